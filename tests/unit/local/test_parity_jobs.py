"""Parity jobs on the fake pipeline: the namespace, the real sm_train.sh, the commands, the cache.

The "image environment" here is a folder whose `bin/python3` is this interpreter (the fake
scripts need only the standard library), so these tests build nothing and stay fast; the real
environments are exercised by tests/integration/test_parity_pipeline.py (`make parity`).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pipeline_definition.local.errors import LocalJobError
from pipeline_definition.local.parity.envs import MARKER, ParityEnv, plan_env
from pipeline_definition.local.parity.interpreters import Interpreter
from pipeline_definition.local.parity.kinds import RUNTIME_ATTRIBUTE, parity_kinds
from pipeline_definition.local.parity.locks import Lock, parse_lock
from pipeline_definition.local.parity.namespace import (
    Namespace,
    NamespaceSupport,
    probe_namespace,
)
from pipeline_definition.local.parity.prepare import ParityError, job_images, prepare_parity
from pipeline_definition.local.parity.runtime import ParityRuntime
from pipeline_definition.local.results import StepStatus
from pipeline_definition.local.steps import JobKind

from .local_fakes import (
    LocalRun,
    condition_step,
    definition,
    evaluate_step,
    split_step,
    training_step,
)

IMAGE = "000000000000.dkr.ecr.us-east-1.amazonaws.com/fake:1"
LOCK = """# image: fake
# tags: 1
# python: {python}
# source-repository: https://github.com/example/fake-image
# source-commit: 0123456789abcdef0123456789abcdef01234567
# source-paths: uv.lock
numpy==2.1.0
"""
HOST_ONLY = "PARITY_TEST_HOST_ONLY"
THIS_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def support() -> NamespaceSupport:
    """This machine's namespace support, probed once."""
    return probe_namespace()


@pytest.fixture
def namespace(support: NamespaceSupport) -> Namespace:
    """The namespace, or a skip that says why there is none."""
    if support.namespace is None:
        pytest.skip(f"no user namespace here: {support.reason}")
    return support.namespace


def fake_lock(directory: Path, python: str = THIS_PYTHON) -> Lock:
    """A lock serving the fake pipeline's image."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "fake-1.txt"
    path.write_text(LOCK.format(python=python))
    return parse_lock(path)


def fake_env(cache: Path, lock: Lock) -> ParityEnv:
    """A finished environment in `cache` whose python3 is this interpreter, with a pip."""
    env = plan_env(lock, Interpreter(Path(sys.executable), "3.11.0"), cache)
    env.bin_dir.mkdir(parents=True)
    env.python.symlink_to(sys.executable)
    (env.bin_dir / "pip").write_text("#!/bin/sh\nexit 0\n")
    (env.bin_dir / "pip").chmod(0o755)
    (env.directory / MARKER).write_text(json.dumps({"key": env.key}))
    return env


def stage_real_drivers(local_run: LocalRun) -> None:
    """Replace the fake drivers with the SDK's own: its container drivers and sm_train.sh."""
    spec = importlib.util.find_spec("sagemaker")
    assert spec is not None and spec.submodule_search_locations
    train = Path(next(iter(spec.submodule_search_locations))) / "train"
    from sagemaker.train.templates import (
        EXECUTE_BASIC_SCRIPT_DRIVER,
        TRAIN_SCRIPT_TEMPLATE,
    )

    drivers = local_run.code_dir / "code" / "sm_drivers" / "v1"
    shutil.copytree(
        train / "container_drivers",
        drivers,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    script = TRAIN_SCRIPT_TEMPLATE.format(
        working_dir="cd /opt/ml/input/data/code \n",
        install_requirements="",
        execute_driver=EXECUTE_BASIC_SCRIPT_DRIVER,
    )
    (drivers / "sm_train.sh").write_text(script)


def runtime_for(tmp_path: Path, namespace: Namespace | None) -> ParityRuntime:
    """A parity runtime whose fake image runs in the fake environment."""
    env = fake_env(tmp_path / "envs", fake_lock(tmp_path / "locks"))
    return ParityRuntime(envs={IMAGE: env}, namespace=namespace)


def model_state(local_run: LocalRun, artifacts: str) -> dict[str, object]:
    """model.json inside the fake training's model.tar.gz."""
    with tarfile.open(local_run.store.path(artifacts)) as archive:
        member = archive.extractfile("model.json")
        assert member is not None
        state: dict[str, object] = json.load(member)
    return state


def test_a_job_in_the_namespace_sees_its_sandbox_at_opt_ml(
    namespace: Namespace, tmp_path: Path
) -> None:
    sandbox = tmp_path / "step" / "sandbox"
    (sandbox / "input").mkdir(parents=True)
    (sandbox / "input" / "data.csv").write_text("a,1\n")
    had_opt_ml = Path("/opt/ml").exists()
    real_opt = sorted(path.name for path in Path("/opt").iterdir() if path.name != "ml")
    script = "cat /opt/ml/input/data.csv > /opt/ml/copied.csv && pwd > /opt/ml/pwd && ls /opt"
    completed = subprocess.run(
        namespace.wrap(["/bin/sh", "-c", script], sandbox),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert (sandbox / "copied.csv").read_text() == "a,1\n"
    assert (sandbox / "pwd").read_text().strip() == "/opt/ml"
    assert set(real_opt) <= set(completed.stdout.split())  # the real /opt stays visible
    assert Path("/opt/ml").exists() == had_opt_ml  # nothing changed outside


def test_an_isolated_job_has_no_network(namespace: Namespace, tmp_path: Path) -> None:
    sandbox = tmp_path / "step" / "sandbox"
    sandbox.mkdir(parents=True)
    devices = "tail -n +3 /proc/net/dev | cut -d: -f1"
    isolated = subprocess.run(
        namespace.wrap(["/bin/sh", "-c", devices], sandbox, isolate_network=True),
        capture_output=True,
        text=True,
        check=True,
    )
    assert isolated.stdout.split() == ["lo"]
    shared = subprocess.run(
        namespace.wrap(["/bin/sh", "-c", devices], sandbox),
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(shared.stdout.split()) == len(Path("/proc/net/dev").read_text().splitlines()) - 2


def test_jobs_that_ask_for_network_isolation_get_a_network_namespace(
    local_run: LocalRun, namespace: Namespace, tmp_path: Path
) -> None:
    stage_real_drivers(local_run)
    document = definition()
    document["Steps"][0]["Arguments"]["NetworkConfig"] = {"EnableNetworkIsolation": True}
    document["Steps"][1]["Arguments"]["EnableNetworkIsolation"] = True
    result = local_run.run(document, kinds=parity_kinds(runtime_for(tmp_path, namespace)))
    assert result.status == "Succeeded", result.failure_reason
    flags = {
        name: "--net" in (result.step(name).command or {})["Argv"][:6]
        for name in ("Split", "Train", "Evaluate")
    }
    assert flags == {"Split": True, "Train": True, "Evaluate": False}


def test_without_unshare_the_probe_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    support = probe_namespace()
    assert support.namespace is None
    assert support.reason == "`unshare` (util-linux) is not on PATH"


def test_training_runs_the_real_sm_train_sh_in_the_image_environment(
    local_run: LocalRun, namespace: Namespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOST_ONLY, "leaked")
    stage_real_drivers(local_run)
    runtime = runtime_for(tmp_path, namespace)
    result = local_run.run(kinds=parity_kinds(runtime))
    assert result.status == "Succeeded", result.failure_reason
    train = result.step("Train")
    assert train.log_path is not None
    log = train.log_path.read_text()
    # The driver's own steps: check_python, the environment script, the basic driver.
    assert "Running Basic Script driver" in log
    assert "Training Container Execution Completed" in log
    assert f"{runtime.envs[IMAGE].bin_dir}/python3 --version" in log
    assert HOST_ONLY not in log  # the job gets a container's environment, not this shell's
    assert train.command is not None
    assert train.command["Argv"][-2:] == [
        "-c",
        "chmod +x /opt/ml/input/data/sm_drivers/sm_train.sh && "
        "/opt/ml/input/data/sm_drivers/sm_train.sh",
    ]
    assert train.properties is not None
    state = model_state(local_run, train.properties["ModelArtifacts"]["S3ModelArtifacts"])
    assert state["cwd"] == "/opt/ml/input/data/code"
    assert state["job"] == train.properties["TrainingJobName"]
    assert state["argv"] == ["--rate", "0.5", "--rounds", "10"]
    split = result.step("Split").command
    assert split is not None
    start = split["Argv"].index("python3")
    assert split["Argv"][start : start + 3] == ["python3", "-m", "fakejobs.split"]
    assert "/opt/ml/processing/input/data" in split["Argv"]
    assert split["Environment"]["PATH"].startswith(f"{runtime.envs[IMAGE].bin_dir}:")


def test_a_failing_entry_script_fails_the_job_with_the_drivers_failure_file(
    local_run: LocalRun, namespace: Namespace, tmp_path: Path
) -> None:
    stage_real_drivers(local_run)
    source = local_run.code_dir / "code" / "sm_drivers" / "v1" / "sourcecode.json"
    entry = {**json.loads(source.read_text()), "entry_script": "fakejobs/missing.py"}
    source.write_text(json.dumps(entry))
    result = local_run.run(kinds=parity_kinds(runtime_for(tmp_path, namespace)))
    assert result.status == "Failed"
    assert result.failed_step == "Train"
    train = result.step("Train")
    assert train.log_path is not None
    assert "fakejobs/missing.py" in train.log_path.read_text()
    # The SDK's basic driver writes the traceback to /opt/ml/output/failure, which becomes
    # the job's FailureReason as on SageMaker.
    assert train.failure_reason is not None
    assert "returned non-zero exit status" in train.failure_reason


def test_without_a_namespace_jobs_run_with_the_environments_python_and_mapped_paths(
    local_run: LocalRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOST_ONLY, "leaked")
    runtime = runtime_for(tmp_path, None)
    result = local_run.run(kinds=parity_kinds(runtime))
    assert result.status == "Succeeded", result.failure_reason
    python = str(runtime.envs[IMAGE].python)
    for name in ("Split", "Train", "Evaluate"):
        command = result.step(name).command
        assert command is not None
        assert command["Argv"][0] == python
        assert HOST_ONLY not in command["Environment"]
        assert not any("/opt/ml" in part for part in command["Argv"])


def test_parity_and_default_results_never_share_the_cache(
    local_run: LocalRun, tmp_path: Path
) -> None:
    default = local_run.run()
    assert default.step("Split").status == StepStatus.SUCCEEDED
    kinds = parity_kinds(runtime_for(tmp_path, None))
    first = local_run.run(kinds=kinds)
    assert first.step("Split").status == StepStatus.SUCCEEDED  # not the default run's result
    again = local_run.run(kinds=kinds)
    assert again.step("Split").status == StepStatus.CACHED
    assert again.step("Split").cache_source == first.info.execution_id


def test_the_cache_key_names_the_environment(tmp_path: Path) -> None:
    runtime = runtime_for(tmp_path, None)
    kind = parity_kinds(runtime)["Processing"]
    assert isinstance(kind, JobKind)
    cache = kind.cache
    assert cache is not None
    arguments = split_step()["Arguments"]
    tag = cache.attributes(arguments)[RUNTIME_ATTRIBUTE]
    assert tag == f"parity {runtime.envs[IMAGE].description} (mapped paths)"


def test_requirements_are_not_installed_into_a_shared_environment(
    local_run: LocalRun, namespace: Namespace, tmp_path: Path
) -> None:
    stage_real_drivers(local_run)
    source = local_run.code_dir / "code" / "sm_drivers" / "v1" / "sourcecode.json"
    source.write_text(json.dumps({**json.loads(source.read_text()), "requirements": "req.txt"}))
    result = local_run.run(kinds=parity_kinds(runtime_for(tmp_path, namespace)))
    assert result.failed_step == "Train"
    assert "pin them in the image's lock instead" in (result.step("Train").failure_reason or "")


def test_training_hosts_in_namespaces_are_refused_with_the_way_out(
    local_run: LocalRun, namespace: Namespace, tmp_path: Path
) -> None:
    steps = [split_step(), training_step(), evaluate_step(), condition_step()]
    steps[1]["Arguments"]["ResourceConfig"]["InstanceCount"] = 2
    result = local_run.run(definition(steps), kinds=parity_kinds(runtime_for(tmp_path, namespace)))
    assert result.failed_step == "Train"
    reason = result.step("Train").failure_reason or ""
    assert "InstanceCount 2: in a namespace, parity mode cannot join training hosts" in reason
    assert "--parity --no-namespace" in reason


def test_an_image_without_an_environment_fails_its_job_with_a_client_error(tmp_path: Path) -> None:
    runtime = runtime_for(tmp_path, None)
    arguments = training_step()["Arguments"]
    arguments["AlgorithmSpecification"]["TrainingImage"] = "elsewhere/other:2"
    with pytest.raises(LocalJobError, match=r"no environment for image 'elsewhere/other:2'"):
        runtime.env_for("Training", arguments)


def test_prepare_finds_the_locks_pythons_and_built_environments(
    local_run: LocalRun, tmp_path: Path
) -> None:
    lock = fake_lock(tmp_path / "locks")
    env = fake_env(tmp_path / "envs", lock)
    plan = prepare_parity(
        local_run.load(),
        cache_dir=tmp_path / "envs",
        progress=_NoProgress(),
        locks=[lock],
        find=lambda minor: env.interpreter,
        probe=lambda: NamespaceSupport(None, "not on this machine"),
    )
    assert plan.runtime.envs == {IMAGE: env}
    assert plan.notes[0].startswith(f"parity: Split, Train, Evaluate run in {env.description}")
    assert "no private /opt/ml (not on this machine)" in plan.notes[1]
    assert "unshare --user --map-root-user --mount" in plan.notes[1]


def test_prepare_names_every_missing_python_in_one_message(
    local_run: LocalRun, tmp_path: Path
) -> None:
    with pytest.raises(ParityError) as raised:
        prepare_parity(
            local_run.load(),
            cache_dir=tmp_path / "envs",
            progress=_NoProgress(),
            locks=[fake_lock(tmp_path / "locks", python="3.10")],
            find=lambda minor: None,
        )
    assert str(raised.value).startswith("parity mode needs Python 3.10 (for fake:1), not found")
    assert "pyenv install 3.10" in str(raised.value)


def test_prepare_refuses_images_without_a_lock_or_a_literal_uri(
    local_run: LocalRun, tmp_path: Path
) -> None:
    with pytest.raises(ParityError, match="no parity lock for image fake:1"):
        prepare_parity(local_run.load(), cache_dir=tmp_path, progress=_NoProgress(), locks=[])
    document = definition([split_step()])
    document["Steps"][0]["Arguments"]["AppSpecification"]["ImageUri"] = {"Get": "Parameters.X"}
    document["Parameters"].append({"Name": "X", "Type": "String", "DefaultValue": IMAGE})
    with pytest.raises(ParityError, match=r"image as a literal URI: Split's image is \{'Get'"):
        job_images(local_run.load(document))


class _NoProgress:
    def building(self, label: str, packages: int) -> None:
        raise AssertionError("nothing should be built")

    def update(self, label: str, message: str) -> None:
        raise AssertionError("nothing should be built")

    def done(self, label: str, seconds: float, *, reused: bool) -> None:
        assert reused

    def failed(self, label: str) -> None:
        raise AssertionError("nothing should fail")
