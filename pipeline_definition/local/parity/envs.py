"""One virtual environment per lock and Python, built once and kept in a cache folder.

`<cache>/<image>-<tag>-py<version>-<key>/` is a venv of the found interpreter with exactly the
lock's pins (`pip install --no-deps --only-binary=:all:`, then `pip check` proves the lock is
complete). The key hashes the lock's text, the Python's full version and the platform, so an
edited lock or another Python gets a new folder and an unchanged one is reused. A marker file
written last says the build finished; a folder without it (an interrupted build) is rebuilt.
Builders of the same environment take turns through a lock file beside it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline_definition.local.parity.interpreters import Interpreter
from pipeline_definition.local.parity.locks import Lock
from project.paths import PROJECT_ROOT

DEFAULT_CACHE_DIR = PROJECT_ROOT / ".local" / "parity-envs"
MARKER = ".parity-env.json"
# Bump when the way environments are built changes: every cached one is then rebuilt.
RECIPE = "1"
PIP_INSTALL = (
    "-m",
    "pip",
    "install",
    "--no-deps",
    "--only-binary=:all:",
    "--disable-pip-version-check",
    "--no-input",
    "--progress-bar",
    "off",
)
_DROPPED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE")


class EnvBuildError(Exception):
    """An environment could not be built; the message names the command and the log."""


class BuildProgress(Protocol):
    """What an environment build reports."""

    def building(self, label: str, packages: int) -> None:
        """A build starts."""

    def update(self, label: str, message: str) -> None:
        """The build moved on (a package collected, downloaded, installed)."""

    def done(self, label: str, seconds: float, *, reused: bool) -> None:
        """The environment is ready (`reused`: it was already in the cache)."""

    def failed(self, label: str) -> None:
        """The build stopped with an error (the error says why)."""


@dataclass(frozen=True)
class ParityEnv:
    """A ready (or to be built) environment."""

    lock: Lock
    interpreter: Interpreter
    directory: Path
    key: str

    @property
    def bin_dir(self) -> Path:
        """Its `bin/`: python3, pip and the packages' scripts."""
        return self.directory / "bin"

    @property
    def python(self) -> Path:
        """Its `python3`, as the image's PATH finds it."""
        return self.bin_dir / "python3"

    @property
    def description(self) -> str:
        """The lock, the Python and the key, as notes and cache keys name the environment."""
        return f"{self.lock.label} python {self.interpreter.version} env {self.key[:12]}"


def env_key(lock: Lock, interpreter: Interpreter) -> str:
    """What decides an environment's contents, hashed."""
    material = "\0".join(
        (RECIPE, lock.digest, interpreter.version, sys.platform, platform.machine())
    )
    return hashlib.sha256(material.encode()).hexdigest()


def plan_env(lock: Lock, interpreter: Interpreter, cache_dir: Path) -> ParityEnv:
    """The environment of a lock and an interpreter in `cache_dir` (not built yet)."""
    key = env_key(lock, interpreter)
    name = f"{lock.image}-{lock.tags[0]}-py{interpreter.version}-{key[:12]}"
    return ParityEnv(lock=lock, interpreter=interpreter, directory=cache_dir / name, key=key)


def is_built(env: ParityEnv) -> bool:
    """True when the environment finished building with this key."""
    marker = env.directory / MARKER
    try:
        recorded = json.loads(marker.read_text()).get("key")
    except (OSError, ValueError):
        return False
    return recorded == env.key and env.python.exists()


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in _DROPPED}


def _pip_message(line: str, collected: list[str], total: int) -> str | None:
    """A progress message for one line of pip's output (None: nothing worth showing)."""
    text = line.strip()
    if text.startswith("Collecting "):
        collected.append(text.removeprefix("Collecting ").split()[0])
        return f"collecting {len(collected)}/{total}: {collected[-1]}"
    if text.startswith("Downloading "):
        name = collected[-1] if collected else text.split()[1]
        size = text[text.rfind("(") :] if text.endswith(")") else ""
        return f"downloading {name} {size}".rstrip()
    if text.startswith("Installing collected packages"):
        return f"installing {total} packages"
    return None


def _run(
    argv: list[str], log: Path, on_line: Callable[[str], None] | None = None
) -> tuple[int, str]:
    """Run a build command with its output appended to `log`; (exit code, last error line)."""
    last = ""
    with log.open("a") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=_environment(),
        )
        assert process.stdout is not None  # stdout=PIPE
        for line in process.stdout:
            out.write(line)
            if line.strip() and (not last.startswith("ERROR") or line.startswith("ERROR")):
                last = line.strip()
            if on_line is not None:
                on_line(line)
        code = process.wait()
    return code, last


def _check(env: ParityEnv, argv: list[str], log: Path, on_line: Callable[[str], None]) -> None:
    code, last = _run(argv, log, on_line)
    if code != 0:
        raise EnvBuildError(
            f"building the parity environment of {env.lock.label} failed: "
            f"`{' '.join(argv[:4])} ...` exited {code}: {last} (full log: {log})"
        )


def _build(env: ParityEnv, progress: BuildProgress) -> None:
    label = env.lock.label
    log = env.directory.with_name(env.directory.name + ".build.log")
    log.write_text("")
    shutil.rmtree(env.directory, ignore_errors=True)
    progress.building(label, len(env.lock.pins))
    collected: list[str] = []

    def on_line(line: str) -> None:
        message = _pip_message(line, collected, len(env.lock.pins))
        if message is not None:
            progress.update(label, message)

    progress.update(label, f"creating a venv of Python {env.interpreter.version}")
    _check(env, [str(env.interpreter.executable), "-m", "venv", str(env.directory)], log, on_line)
    python = str(env.python)
    _check(env, [python, *PIP_INSTALL, "-r", str(env.lock.path)], log, on_line)
    progress.update(label, "checking that the lock is complete (pip check)")
    _check(env, [python, "-m", "pip", "check", "--disable-pip-version-check"], log, on_line)
    marker = {
        "key": env.key,
        "lock": env.lock.path.name,
        "lock_sha256": env.lock.digest,
        "python": env.interpreter.version,
        "interpreter": str(env.interpreter.executable),
        "packages": [f"{name}=={version}" for name, version in env.lock.pins],
    }
    (env.directory / MARKER).write_text(json.dumps(marker, indent=2) + "\n")


def ensure_env(
    lock: Lock, interpreter: Interpreter, cache_dir: Path, progress: BuildProgress
) -> ParityEnv:
    """The environment of a lock and an interpreter: from the cache, or built now."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    env = plan_env(lock, interpreter, cache_dir)
    with _exclusive(env.directory.with_name(env.directory.name + ".lock")):
        if is_built(env):
            progress.done(lock.label, 0.0, reused=True)
            return env
        started = time.monotonic()
        try:
            _build(env, progress)
        except BaseException:
            progress.failed(lock.label)
            raise
        progress.done(lock.label, time.monotonic() - started, reused=False)
    return env
