"""The render prefetch: started before CDK loads, awaited before the cache is read."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import app
from pipeline_definition.build import prefetch, render_cache
from pipeline_definition.build.config import PipelineConfig
from pipeline_definition.build.slim_imports import without_unused_sdk_dependencies

CONFIG = PipelineConfig(
    pipeline_name="prefetch-test",
    region="us-east-1",
    model_package_group_name="prefetch-test-models",
    sample_data_key="data/sample/house_data.csv",
)


class FakeProcess:
    """Records waits instead of running a render."""

    def __init__(self, args: list[str], **_: Any) -> None:
        self.args = args
        self.waited = 0

    def wait(self, timeout: float | None = None) -> int:
        self.waited += 1
        return 0


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[FakeProcess]:
    """Every process `prefetch.start` would have started."""
    processes: list[FakeProcess] = []

    def popen(args: list[str], **kwargs: Any) -> FakeProcess:
        processes.append(FakeProcess(args, **kwargs))
        return processes[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    return processes


def test_start_renders_the_configuration_in_a_subprocess_and_wait_joins_it(
    tmp_path: Path, started: list[FakeProcess]
) -> None:
    assert prefetch.start(CONFIG, tmp_path / "cache", python="/venv/python")

    (process,) = started
    assert process.args[:4] == [
        "/venv/python",
        "-m",
        "pipeline_definition.build.prefetch",
        str(tmp_path / "cache"),
    ]
    assert json.loads(process.args[4])["pipeline_name"] == "prefetch-test"
    prefetch.wait(tmp_path / "cache", render_cache.cache_key(CONFIG))
    prefetch.wait(tmp_path / "cache", render_cache.cache_key(CONFIG))
    assert process.waited == 1


def test_nothing_starts_when_the_cache_holds_the_render(
    tmp_path: Path, started: list[FakeProcess]
) -> None:
    (tmp_path / "cache" / render_cache.cache_key(CONFIG)).mkdir(parents=True)

    assert not prefetch.start(CONFIG, tmp_path / "cache")
    assert started == []


def test_waiting_for_another_key_does_not_wait(tmp_path: Path, started: list[FakeProcess]) -> None:
    prefetch.start(CONFIG, tmp_path / "cache")

    prefetch.wait(tmp_path / "cache", "another-key")

    assert started[0].waited == 0
    prefetch.wait(tmp_path / "cache", render_cache.cache_key(CONFIG))


def test_the_app_prefetches_with_the_context_the_cli_passes(
    tmp_path: Path, started: list[FakeProcess]
) -> None:
    context = {"projectName": "churn", "region": "eu-west-1"}
    environ = {"CDK_CONTEXT_JSON": json.dumps(context)}

    assert app.prefetch_render(environ, tmp_path / "cache")

    fields = json.loads(started[0].args[4])
    assert (fields["pipeline_name"], fields["region"]) == ("churn-mlops-pipeline", "eu-west-1")
    prefetch.wait(tmp_path / "cache", render_cache.cache_key(PipelineConfig(**_config(fields))))


def _config(fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "ml_scripts_dir": Path(fields["ml_scripts_dir"])}


def test_cli_context_from_the_variable_the_overflow_file_or_cdk_json(tmp_path: Path) -> None:
    overflow = tmp_path / "context.json"
    overflow.write_text('{"projectName": "from-file"}')
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text('{"context": {"projectName": "from-cdk-json"}}')

    assert app.cli_context({"CDK_CONTEXT_JSON": '{"a": 1}'}, cdk_json) == {"a": 1}
    assert app.cli_context({"CONTEXT_OVERFLOW_LOCATION": str(overflow)}, cdk_json) == {
        "projectName": "from-file"
    }
    assert app.cli_context({}, cdk_json) == {"projectName": "from-cdk-json"}
    assert app.cli_context({"CDK_CONTEXT_JSON": "{oops"}, cdk_json) == {}


def test_a_bad_setting_starts_nothing(tmp_path: Path, started: list[FakeProcess]) -> None:
    environ = {"CDK_CONTEXT_JSON": "{}", "PIPELINE_NAME": "not_valid!"}

    assert not app.prefetch_render(environ, tmp_path / "cache")
    assert started == []


def test_unused_dependencies_import_as_inert_stand_ins() -> None:
    name = "prefetch_test_heavy_library"
    try:
        with without_unused_sdk_dependencies((name,)):
            module = __import__(name)
            from prefetch_test_heavy_library.sub import Frame  # type: ignore[import-not-found]

            assert Frame.dtypes["x"].anything is not None
        assert module.DataFrame.__name__ == "DataFrame"
        assert not any(type(f).__name__ == "_InertFinder" for f in sys.meta_path)
        with pytest.raises(ModuleNotFoundError):
            __import__(name + "_other")
    finally:
        for loaded in [m for m in sys.modules if m.startswith(name)]:
            del sys.modules[loaded]


def test_a_hollow_package_skips_its_init_but_keeps_its_submodules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "prefetch_test_hollow"
    (package / "utils").mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('the heavy __init__ ran')\n")
    (package / "utils" / "__init__.py").write_text("")
    (package / "utils" / "text.py").write_text("def shout(s):\n    return s.upper()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with without_unused_sdk_dependencies((), hollow=("prefetch_test_hollow",)):
            from prefetch_test_hollow.utils.text import shout  # type: ignore[import-not-found]

        assert shout("camel") == "CAMEL"
    finally:
        for loaded in [m for m in sys.modules if m.startswith("prefetch_test_hollow")]:
            del sys.modules[loaded]


def test_the_subprocess_gets_the_configuration_with_its_types(
    tmp_path: Path, started: list[FakeProcess]
) -> None:
    config = dataclasses.replace(CONFIG, rmse_threshold=0.125)

    assert prefetch.start(config, tmp_path / "cache")

    fields = json.loads(started[0].args[-1])
    assert fields["rmse_threshold"] == 0.125
    assert fields["ml_scripts_dir"] == str(config.ml_scripts_dir)
