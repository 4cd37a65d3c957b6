"""What a local execution produced: step results, the execution record, progress events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pipeline_definition.local.execution import ExecutionInfo
from pipeline_definition.local.registry import RegistryEntry


class StepStatus(StrEnum):
    """Where a step is."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CACHED = "cached"
    SKIPPED = "skipped"
    NOT_RUN = "not run"


COMPLETED = frozenset({StepStatus.SUCCEEDED, StepStatus.CACHED})
FINAL = frozenset(
    {
        StepStatus.SUCCEEDED,
        StepStatus.FAILED,
        StepStatus.CACHED,
        StepStatus.SKIPPED,
        StepStatus.NOT_RUN,
    }
)


@dataclass
class StepResult:
    """One step's state, updated as the run goes."""

    name: str
    type: str
    status: StepStatus = StepStatus.PENDING
    attempts: int = 0
    started: datetime | None = None
    ended: datetime | None = None
    detail: str = ""
    failure_reason: str | None = None
    cache_source: str | None = None
    properties: dict[str, Any] | None = None
    log_path: Path | None = None
    retries: list[dict[str, Any]] = field(default_factory=list)
    command: dict[str, Any] | None = None

    def snapshot(self) -> StepResult:
        """A copy that later updates do not change."""
        return replace(self, retries=list(self.retries))

    def duration(self, now: datetime) -> float | None:
        """Seconds from start to end (or to `now` while running)."""
        if self.started is None:
            return None
        return ((self.ended or now) - self.started).total_seconds()

    def to_json(self) -> dict[str, Any]:
        """The step's entry in execution.json."""
        return {
            "Name": self.name,
            "Type": self.type,
            "Status": str(self.status),
            "Attempts": self.attempts,
            "StartTime": self.started.isoformat() if self.started else None,
            "EndTime": self.ended.isoformat() if self.ended else None,
            "DurationSeconds": (
                round((self.ended - self.started).total_seconds(), 3)
                if self.started and self.ended
                else None
            ),
            "Detail": self.detail,
            "FailureReason": self.failure_reason,
            "CacheHit": {"SourceExecutionId": self.cache_source} if self.cache_source else None,
            "Retries": self.retries,
            "Log": str(self.log_path) if self.log_path else None,
            "Command": self.command,
            "Properties": self.properties,
        }


@dataclass
class ExecutionResult:
    """The whole execution."""

    info: ExecutionInfo
    directory: Path
    parameters: dict[str, Any]
    steps: list[StepResult]
    status: str = "Executing"
    failure_reason: str | None = None
    failed_step: str | None = None
    ended: datetime | None = None
    registry: list[RegistryEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    definition_path: Path | None = None

    @property
    def record_path(self) -> Path:
        """Where execution.json is written."""
        return self.directory / "execution.json"

    def step(self, name: str) -> StepResult:
        """The result of a step by name."""
        for result in self.steps:
            if result.name == name:
                return result
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The content of execution.json."""
        ended = self.ended
        return {
            "PipelineExecutionId": self.info.execution_id,
            "PipelineExecutionArn": self.info.arn,
            "PipelineName": self.info.pipeline_name,
            "Status": self.status,
            "FailureReason": self.failure_reason,
            "FailedStep": self.failed_step,
            "StartTime": self.info.started.isoformat(),
            "EndTime": ended.isoformat() if ended else None,
            "DurationSeconds": (
                round((ended - self.info.started).total_seconds(), 3) if ended else None
            ),
            "Parameters": self.parameters,
            "Definition": str(self.definition_path) if self.definition_path else None,
            "Steps": [step.to_json() for step in self.steps],
            "Registry": [
                {
                    "ModelPackageGroupName": entry.group,
                    "ModelPackageVersion": entry.version,
                    "ModelPackageArn": entry.arn,
                    "ModelApprovalStatus": entry.approval_status,
                    "Path": str(entry.path),
                }
                for entry in self.registry
            ],
            "Notes": self.notes,
        }

    def settle(self, *, stopped: bool) -> None:
        """The final status: Stopped, Failed, CompletedWithFailures or Succeeded.

        A failure that a run condition waited for does not fail the execution, which then
        ends CompletedWithFailures, as on SageMaker.
        """
        if stopped:
            self.status = "Stopped"
            self.failure_reason = self.failure_reason or "stopped by the user"
        elif self.failed_step is not None:
            self.status = "Failed"
        elif any(step.status == StepStatus.FAILED for step in self.steps):
            self.status = "CompletedWithFailures"
        else:
            self.status = "Succeeded"

    def write(self) -> Path:
        """Write execution.json; return its path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.record_path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return self.record_path


class ProgressListener(Protocol):
    """Receives progress; called from worker threads, so implementations lock."""

    def started(self, result: ExecutionResult) -> None:
        """The run begins; every step is listed."""

    def step_changed(self, step: StepResult) -> None:
        """A step's status, attempt or detail changed."""

    def note(self, message: str) -> None:
        """Something the user should know (retries, warnings)."""

    def finished(self, result: ExecutionResult) -> None:
        """The run ended."""


class SilentListener:
    """A listener that ignores everything."""

    def started(self, result: ExecutionResult) -> None:
        """Ignore."""

    def step_changed(self, step: StepResult) -> None:
        """Ignore."""

    def note(self, message: str) -> None:
        """Ignore."""

    def finished(self, result: ExecutionResult) -> None:
        """Ignore."""
