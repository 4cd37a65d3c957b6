"""What job steps share: the attempt's context, inputs, the run and its failure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline_definition.local.command import (
    JobCommand,
    ProcessTracker,
    RuntimeExceededError,
    run_command,
    tail,
)
from pipeline_definition.local.errors import ALGORITHM_ERROR, CLIENT_ERROR, LocalJobError
from pipeline_definition.local.models import LocalModels
from pipeline_definition.local.registry import RegistryEntry
from pipeline_definition.local.sandbox import Sandbox, SandboxError
from pipeline_definition.local.store import LocalObjectStore, StoreError
from pipeline_definition.model.graph import StepNode

# SageMaker keeps at most this much of a failure file as the job's FailureReason.
MAX_FAILURE_REASON = 1024
# Input modes in which a script reads ordinary files: FastFile streams on demand but looks
# the same to the script.
FILE_MODES = ("File", "FastFile")


@dataclass(frozen=True)
class LocalStep:
    """What a job kind may need beyond its evaluated arguments.

    The step as written (a Lambda step's FunctionArn and OutputParameters sit beside its
    Arguments), the local handler the user mapped to it (`--lambda`), and the models that
    Model steps created in this workdir (a Transform step runs one of them).
    """

    node: StepNode
    models: LocalModels | None = None
    handler: str | None = None

    def model_store(self) -> LocalModels:
        """The models of the run's workdir (there are always some during a run)."""
        if self.models is None:
            raise LocalJobError("this step has no models folder", CLIENT_ERROR)
        return self.models


@dataclass(frozen=True)
class JobContext:
    """One attempt of one job step."""

    step_name: str
    job_name: str
    sandbox: Sandbox
    store: LocalObjectStore
    log_path: Path
    tracker: ProcessTracker
    note: Callable[[str], None]
    clock: Callable[[], datetime]
    record_command: Callable[[JobCommand], None]
    log: Callable[[str], None]  # a line in the step's log
    register_model: Callable[[Mapping[str, Any]], RegistryEntry]  # into this run's registry
    step: LocalStep


def container_path(ctx: JobContext, path: str, what: str) -> Path:
    """Map a container path of the job's arguments; a path outside /opt/ml is a client error."""
    try:
        return ctx.sandbox.host_path(path)
    except SandboxError as error:
        raise LocalJobError(f"{what}: {error}", CLIENT_ERROR) from error


def download_input(
    ctx: JobContext, what: str, uri: object, destination: Path, *, manifest: bool = False
) -> int:
    """Copy one input from the local store; an input with no objects fails like SageMaker.

    With `manifest`, the URI names a manifest whose listed objects are the input (ManifestFile).
    """
    if not isinstance(uri, str):
        raise LocalJobError(f"{what}: S3Uri evaluated to {uri!r}, not a string", CLIENT_ERROR)
    try:
        count = ctx.store.download(uri, destination, manifest=manifest)
    except StoreError as error:
        raise LocalJobError(f"{what}: {error}", CLIENT_ERROR) from error
    if count == 0:
        raise LocalJobError(
            f"{what}: no objects found at {uri} (local store: {ctx.store.path(uri)})",
            CLIENT_ERROR,
        )
    return count


def _failure_file_text(paths: tuple[Path, ...]) -> str:
    for path in paths:
        if path.is_file():
            text = path.read_text(errors="replace").strip()
            if text:
                return text[:MAX_FAILURE_REASON]
    return ""


def run_job_command(
    ctx: JobContext,
    command: JobCommand,
    *,
    timeout: float | None,
    failure_files: tuple[Path, ...],
) -> None:
    """Run the job's command; raise LocalJobError with SageMaker's failure reason on failure."""
    ctx.record_command(command)
    try:
        code = run_command(command, ctx.log_path, tracker=ctx.tracker, timeout=timeout)
    except RuntimeExceededError as error:
        raise LocalJobError(
            f"MaxRuntimeExceeded: job {ctx.job_name} {error} (StoppingCondition)", CLIENT_ERROR
        ) from error
    except OSError as error:
        raise LocalJobError(f"cannot start {command.argv[0]!r}: {error}", CLIENT_ERROR) from error
    if code == 0:
        return
    reason = _failure_file_text(failure_files)
    if not reason:
        # Scripts that follow the data contract end with a one-line error; it is the most
        # useful reason when no failure file was written.
        last = [line for line in tail(ctx.log_path, 20) if line.strip()]
        reason = last[-1].strip() if last else "no output"
    raise LocalJobError(f"AlgorithmError: exit code {code}: {reason}", ALGORITHM_ERROR)
