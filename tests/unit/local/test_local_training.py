"""The training driver contract, compared with the SDK's own container drivers."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import multiprocessing
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pipeline_definition.local.drivers import (
    driver_argv,
    hyperparameters_to_cli_args,
    input_data_config,
    resource_config,
    training_environment,
    uses_drivers,
)
from pipeline_definition.local.errors import LocalJobError
from pipeline_definition.local.sandbox import Sandbox
from pipeline_definition.local.training import package


def _drivers_dir() -> Path:
    spec = importlib.util.find_spec("sagemaker")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "train" / "container_drivers"


@pytest.fixture
def drivers() -> Iterator[dict[str, ModuleType]]:
    """The SDK's driver modules, imported the way the container imports them."""
    root = str(_drivers_dir())
    saved = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "common"}
    sys.path.insert(0, root)
    try:
        modules = {}
        for name, relative in (
            ("utils", "common/utils.py"),
            ("environment", "scripts/environment.py"),
            ("basic", "distributed_drivers/basic_script_driver.py"),
        ):
            spec = importlib.util.spec_from_file_location(f"sm_driver_{name}", f"{root}/{relative}")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            modules[name] = module
        yield modules
    finally:
        sys.path[:] = [entry for entry in sys.path if entry != root]
        for name in [n for n in sys.modules if n.split(".")[0] == "common"]:
            del sys.modules[name]
        sys.modules.update(saved)


HYPERPARAMETERS: list[dict[str, Any]] = [
    {"max_depth": "4", "eta": "0.05", "num_round": "2000"},
    {"flag": "true", "name": "xgb", "quoted": '"text"', "list": "[1, 2]", "obj": '{"a": 1}'},
    {"neg": "-1", "exp": "1e-3", "null": "null", "spaces": "a b", "bad json": "{x"},
    {"typed_int": 3, "typed_float": 0.5, "typed_bool": False},
]


@pytest.mark.parametrize("hyperparameters", HYPERPARAMETERS)
def test_cli_args_match_the_sdk_driver(
    drivers: dict[str, ModuleType], hyperparameters: dict[str, Any]
) -> None:
    expected = drivers["utils"].hyperparameters_to_cli_args(hyperparameters)
    assert hyperparameters_to_cli_args(hyperparameters) == expected


def test_environment_matches_the_sdk_environment_script(
    drivers: dict[str, ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINING_JOB_NAME", "pipelines-abc123-TrainModel")
    monkeypatch.delenv("SM_LOG_LEVEL", raising=False)
    hyperparameters = {"max_depth": "4", "eta": "0.05", "objective": "reg:squarederror"}
    resources = resource_config("ml.m5.large")
    channels = [
        {"ChannelName": name, "DataSource": {"S3DataSource": {"S3Uri": f"s3://b/{name}"}}}
        for name in ("train", "validation", "code")
    ]
    data_config = input_data_config(channels, "File")
    out = tmp_path / "sm_training.env"
    monkeypatch.setattr(drivers["environment"], "num_gpus", lambda: 0)
    monkeypatch.setattr(drivers["environment"], "num_neurons", lambda: 0)

    drivers["environment"].set_env(resources, data_config, hyperparameters, output_file=str(out))

    exported = {}
    for line in out.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        exported[name] = value[1:-1]  # the script single-quotes every value
    ours = training_environment(
        job_name="pipelines-abc123-TrainModel",
        hyperparameters=hyperparameters,
        resources=resources,
        data_config=data_config,
        source_code=None,
        distributed=None,
        num_cpus=multiprocessing.cpu_count(),
    )
    assert ours.pop("TRAINING_JOB_NAME") == "pipelines-abc123-TrainModel"
    assert ours == exported
    assert ours["SM_CHANNEL_VALIDATION"] == "/opt/ml/input/data/validation"
    assert json.loads(ours["SM_HPS"]) == {
        "max_depth": 4,
        "eta": 0.05,
        "objective": "reg:squarederror",
    }
    assert ours["SM_HP_MAX_DEPTH"] == "4"
    assert ours["SM_NUM_GPUS"] == "0"


def test_entry_script_command_matches_the_basic_driver(
    drivers: dict[str, ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hyperparameters = {"max_depth": "4", "eta": "0.05"}
    monkeypatch.setenv("SM_HPS", json.dumps({"max_depth": 4, "eta": 0.05}))
    sandbox = Sandbox(tmp_path)
    for entry in ("ml_scripts/training/train.py", "train.sh"):
        monkeypatch.setenv("SM_ENTRY_SCRIPT", entry)
        expected = drivers["basic"].create_commands()
        assert driver_argv({"entry_script": entry}, hyperparameters, sandbox) == expected


def test_command_form_and_bad_entry_scripts(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path)
    argv = driver_argv(
        {"command": "python3 train.py --data /opt/ml/input/data/train", "args": ["a b", "c"]},
        {"ignored": "1"},
        sandbox,
    )
    assert argv[:2] == ["/bin/bash", "-c"]
    assert argv[2] == f"{sys.executable} train.py --data {tmp_path}/input/data/train 'a b' c"
    with pytest.raises(LocalJobError, match=r"only \.py and \.sh"):
        driver_argv({"entry_script": "train.R"}, {}, sandbox)
    with pytest.raises(LocalJobError, match="neither command nor entry_script"):
        driver_argv({}, {}, sandbox)


def test_driver_contract_detection() -> None:
    contract = {
        "AlgorithmSpecification": {
            "ContainerEntrypoint": ["/bin/bash"],
            "ContainerArguments": [
                "-c",
                "chmod +x /opt/ml/input/data/sm_drivers/sm_train.sh && "
                "/opt/ml/input/data/sm_drivers/sm_train.sh",
            ],
        }
    }
    assert uses_drivers(contract)
    assert not uses_drivers(
        {"AlgorithmSpecification": {"ContainerEntrypoint": ["python3", "t.py"]}}
    )


def test_model_archive_is_reproducible_with_files_at_the_root(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "code").mkdir(parents=True)
    (model / "xgboost-model").write_bytes(b"booster")
    (model / "code" / "inference.py").write_text("# serve\n")

    package(model, tmp_path / "a.tar.gz")
    (model / "xgboost-model").touch()  # a newer mtime must not change the archive
    package(model, tmp_path / "b.tar.gz")

    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    data = io.BytesIO((tmp_path / "a.tar.gz").read_bytes())
    with tarfile.open(fileobj=data) as archive:
        assert archive.getnames() == ["code", "code/inference.py", "xgboost-model"]
