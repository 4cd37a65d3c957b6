"""Parity environments: found interpreters, cache keys, reuse, and build failures."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import pytest

from pipeline_definition.local.parity import envs
from pipeline_definition.local.parity.envs import (
    MARKER,
    EnvBuildError,
    ensure_env,
    env_key,
    is_built,
    plan_env,
)
from pipeline_definition.local.parity.interpreters import (
    Interpreter,
    candidates,
    find_python,
    missing_message,
    probe,
)
from pipeline_definition.local.parity.locks import Lock, parse_lock
from pipeline_definition.local.parity.progress import PlainBuildProgress

LOCK = """# image: sagemaker-example
# tags: 1-0
# python: 3.12
# source-repository: https://github.com/example/images
# source-commit: 0123456789abcdef0123456789abcdef01234567
# source-paths: uv.lock
numpy==2.1.0
"""


class Recorder:
    """A BuildProgress that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def building(self, label: str, packages: int) -> None:
        self.events.append(("building", label, str(packages)))

    def update(self, label: str, message: str) -> None:
        self.events.append(("update", label, message))

    def done(self, label: str, seconds: float, *, reused: bool) -> None:
        self.events.append(("done", label, "reused" if reused else "built"))

    def failed(self, label: str) -> None:
        self.events.append(("failed", label))


def fake_python(path: Path, version: str, *, venv_fails: bool = False) -> Path:
    """A script that answers the interpreter probe like a Python of `version`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    venv = 'echo "Error: venv is broken" >&2; exit 1' if venv_fails else "exit 0"
    path.write_text(f'#!/bin/sh\nif [ "$1" = "-m" ]; then {venv}; fi\necho {version}; echo "$0"\n')
    path.chmod(0o755)
    return path


@pytest.fixture
def lock(tmp_path: Path) -> Lock:
    """A small lock in a temporary folder."""
    path = tmp_path / "locks" / "sagemaker-example-1-0.txt"
    path.parent.mkdir()
    path.write_text(LOCK)
    return parse_lock(path)


def test_candidates_are_path_first_then_pyenv_newest_patch_first(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    on_path = fake_python(bin_dir / "python3.12", "3.12.7")
    versions = tmp_path / "pyenv" / "versions"
    for version in ("3.12.1", "3.12.10", "3.11.7", "3.12.3"):
        fake_python(versions / version / "bin" / f"python{version[:4]}", version)
    environ = {"PATH": str(bin_dir), "PYENV_ROOT": str(tmp_path / "pyenv")}
    assert candidates("3.12", environ) == [
        on_path,
        versions / "3.12.10" / "bin" / "python3.12",
        versions / "3.12.3" / "bin" / "python3.12",
        versions / "3.12.1" / "bin" / "python3.12",
    ]


def test_the_first_working_interpreter_of_the_minor_version_is_chosen(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    # On PATH but the wrong version (a shim pointing elsewhere): skipped.
    fake_python(bin_dir / "python3.12", "3.13.0")
    versions = tmp_path / "pyenv" / "versions"
    chosen = fake_python(versions / "3.12.4" / "bin" / "python3.12", "3.12.4")
    environ = {"PATH": str(bin_dir), "PYENV_ROOT": str(tmp_path / "pyenv")}
    assert find_python("3.12", environ) == Interpreter(executable=chosen, version="3.12.4")
    assert find_python("3.10", environ) is None


def test_probing_this_interpreter_reports_its_real_version() -> None:
    found = probe(Path(sys.executable))
    assert found is not None
    assert found.version == platform.python_version()
    assert found.minor == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert probe(Path("/nonexistent/python3.12")) is None


def test_a_missing_python_message_says_what_needs_it_and_how_to_get_it() -> None:
    message = missing_message({"3.10": ["sagemaker-scikit-learn:1.4-2-cpu-py3"], "3.12": ["x:1"]})
    assert message.startswith(
        "parity mode needs Python 3.10 (for sagemaker-scikit-learn:1.4-2-cpu-py3) and "
        "Python 3.12 (for x:1), not found on this machine"
    )
    assert "pyenv install 3.10 3.12" in message
    assert "apt-get install python3.10 python3.10-venv python3.12 python3.12-venv" in message
    assert "\n" not in message


def test_the_key_follows_the_lock_text_and_the_python_version(lock: Lock, tmp_path: Path) -> None:
    python = Interpreter(Path("/usr/bin/python3.12"), "3.12.1")
    key = env_key(lock, python)
    assert env_key(lock, Interpreter(Path("/elsewhere/python3.12"), "3.12.1")) == key
    assert env_key(lock, Interpreter(python.executable, "3.12.2")) != key
    lock.path.write_text(LOCK.replace("2.1.0", "2.1.1"))
    assert env_key(parse_lock(lock.path), python) != key
    env = plan_env(lock, python, tmp_path / "cache")
    assert env.directory.name == f"sagemaker-example-1-0-py3.12.1-{key[:12]}"
    assert env.python == env.directory / "bin" / "python3"


def test_a_built_environment_is_reused_without_building(lock: Lock, tmp_path: Path) -> None:
    python = Interpreter(Path("/nonexistent/python3.12"), "3.12.1")
    env = plan_env(lock, python, tmp_path / "cache")
    env.bin_dir.mkdir(parents=True)
    env.python.symlink_to(sys.executable)
    (env.directory / MARKER).write_text(json.dumps({"key": env.key}))
    progress = Recorder()
    assert ensure_env(lock, python, tmp_path / "cache", progress) == env
    assert progress.events == [("done", "sagemaker-example:1-0", "reused")]


def test_an_unfinished_or_stale_environment_is_not_taken_as_built(
    lock: Lock, tmp_path: Path
) -> None:
    env = plan_env(lock, Interpreter(Path("/x"), "3.12.1"), tmp_path / "cache")
    env.bin_dir.mkdir(parents=True)
    env.python.symlink_to(sys.executable)
    assert not is_built(env)  # no marker: the build was interrupted
    (env.directory / MARKER).write_text(json.dumps({"key": "another lock"}))
    assert not is_built(env)
    (env.directory / MARKER).write_text(json.dumps({"key": env.key}))
    assert is_built(env)


def test_a_failed_build_names_the_command_the_error_and_the_log(lock: Lock, tmp_path: Path) -> None:
    executable = fake_python(tmp_path / "python3.12", "3.12.1", venv_fails=True)
    progress = Recorder()
    with pytest.raises(EnvBuildError) as raised:
        ensure_env(lock, Interpreter(executable, "3.12.1"), tmp_path / "cache", progress)
    message = str(raised.value)
    assert "building the parity environment of sagemaker-example:1-0 failed" in message
    assert "-m venv" in message
    assert "exited 1: Error: venv is broken" in message
    log = Path(message.rsplit("full log: ", 1)[1].rstrip(")"))
    assert "venv is broken" in log.read_text()
    assert progress.events[0] == ("building", "sagemaker-example:1-0", "1")
    assert progress.events[-1] == ("failed", "sagemaker-example:1-0")


def test_plain_progress_shows_each_build_step_with_its_time(tmp_path: Path) -> None:
    times = iter([10.0, 10.0, 12.5, 40.0])
    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        progress = PlainBuildProgress(stream, clock=lambda: next(times))
        progress.building("img:1", 17)
        progress.update("img:1", "collecting 3/17: numpy==2.1.0")
        progress.done("img:1", 30.0, reused=False)
        progress.done("other:2", 0.0, reused=True)
    assert out.read_text().splitlines() == [
        "[    0.0s] parity env img:1: building (17 pinned packages; once, then cached)",
        "[    2.5s] parity env img:1: collecting 3/17: numpy==2.1.0",
        "[   30.0s] parity env img:1: ready, built in 30.0s",
        "parity env other:2: ready (cached)",
    ]


def test_the_build_environment_drops_this_shells_python_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONPATH", "/host/site")
    monkeypatch.setenv("VIRTUAL_ENV", "/host/venv")
    environment = envs._environment()
    assert "PYTHONPATH" not in environment
    assert "VIRTUAL_ENV" not in environment
    assert environment["PATH"] == os.environ["PATH"]


def test_pips_output_becomes_short_progress_messages() -> None:
    collected: list[str] = []
    lines = [
        "Collecting numpy==2.1.0 (from -r lock.txt (line 7))",
        "  Downloading numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.whl (16.0 MB)",
        "  Using cached pandas-2.2.3-cp312-cp312-manylinux2014_x86_64.whl.metadata (89 kB)",
        "Installing collected packages: numpy",
    ]
    messages = [envs._pip_message(line, collected, 2) for line in lines]
    assert messages == [
        "collecting 1/2: numpy==2.1.0",
        "downloading numpy==2.1.0 (16.0 MB)",
        None,
        "installing 2 packages",
    ]
