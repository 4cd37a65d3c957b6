"""Run one container command as a subprocess with its output in the step's log."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline_definition.local.errors import ExecutionStoppedError

# Inherited variables that would let the host's setup leak into a job: the job's own
# Environment sets PYTHONPATH, and SageMaker variables come from the job, never the shell.
_DROPPED_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "TRAINING_JOB_NAME")
_DROPPED_PREFIXES = ("SM_",)
TERMINATE_GRACE_SECONDS = 5.0
# What the images set with ENV: the XGBoost 3.2-0 and scikit-learn 1.9-0 Dockerfiles and the
# scikit-learn 1.4-2 base Dockerfile alike. Every job gets them, so a job's output reaches its
# log as it happens (PYTHONUNBUFFERED) whatever the shell that started run-local sets.
IMAGE_ENVIRONMENT = {
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONIOENCODING": "UTF-8",
}


@dataclass(frozen=True)
class JobCommand:
    """What a job runs: argv, working directory and the variables it adds to the environment."""

    argv: tuple[str, ...]
    cwd: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    # False: `environment` is all the job gets, as in a container (parity mode).
    inherit: bool = True

    def full_environment(self) -> dict[str, str]:
        """This process's environment without host leaks, plus the job's variables."""
        if not self.inherit:
            return dict(self.environment)
        base = {
            name: value
            for name, value in os.environ.items()
            if name not in _DROPPED_VARIABLES and not name.startswith(_DROPPED_PREFIXES)
        }
        base.update(IMAGE_ENVIRONMENT)
        base.update(self.environment)
        return base


class ProcessTracker:
    """Knows the running subprocesses so that a stop request can end them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self.stopped = threading.Event()

    def add(self, process: subprocess.Popen[bytes]) -> None:
        """Track a started process; end it at once when a stop was already requested."""
        with self._lock:
            self._running.add(process)
        if self.stopped.is_set():
            terminate(process)

    def discard(self, process: subprocess.Popen[bytes]) -> None:
        """Forget a finished process."""
        with self._lock:
            self._running.discard(process)

    def stop(self) -> None:
        """Ask every running process (and any started later) to end."""
        self.stopped.set()
        with self._lock:
            running = list(self._running)
        for process in running:
            terminate(process)


def terminate(process: subprocess.Popen[bytes]) -> None:
    """End a process group politely, then forcefully."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return


class RuntimeExceededError(Exception):
    """The command ran longer than the job's MaxRuntimeInSeconds."""


def run_command(
    command: JobCommand,
    log_path: Path,
    *,
    tracker: ProcessTracker,
    timeout: float | None = None,
) -> int:
    """Run the command, appending its stdout and stderr to `log_path`; return the exit code."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"[{started}] $ {' '.join(command.argv)}\n".encode())
        log.flush()
        if tracker.stopped.is_set():
            raise ExecutionStoppedError("the run was stopped")
        # A session of its own: Ctrl-C reaches only the executor, which ends the job cleanly.
        process = subprocess.Popen(
            list(command.argv),
            cwd=command.cwd,
            env=command.full_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        tracker.add(process)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            terminate(process)
            raise RuntimeExceededError(f"ran longer than {timeout:g} seconds") from None
        finally:
            tracker.discard(process)
    if tracker.stopped.is_set():
        raise ExecutionStoppedError("the run was stopped")
    return code


def tail(path: Path, lines: int = 30) -> list[str]:
    """The last `lines` lines of a text file (empty when it does not exist)."""
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 64 * 1024))
        text = handle.read().decode("utf-8", errors="replace")
    return text.splitlines()[-lines:]
