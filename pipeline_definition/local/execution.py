"""Identity of one local execution and the execution variables it gives expressions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline_definition.local.names import arn

EXECUTION_VARIABLES = (
    "PipelineExecutionId",
    "PipelineExecutionArn",
    "PipelineName",
    "PipelineArn",
    "StartDateTime",
    "CurrentDateTime",
    "TrainingJobName",
    "ProcessingJobName",
)


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


@dataclass(frozen=True)
class ExecutionInfo:
    """Names and times of one execution."""

    execution_id: str
    token: str
    pipeline_name: str
    started: datetime

    @property
    def pipeline_arn(self) -> str:
        """The pipeline's ARN in the local partition."""
        return arn(f"pipeline/{self.pipeline_name.lower()}")

    @property
    def arn(self) -> str:
        """The execution's ARN."""
        return f"{self.pipeline_arn}/execution/{self.execution_id}"

    def variables(self, now: datetime) -> dict[str, Any]:
        """Values of `Execution.*` at time `now` (job names are added per job step)."""
        return {
            "PipelineExecutionId": self.execution_id,
            "PipelineExecutionArn": self.arn,
            "PipelineName": self.pipeline_name,
            "PipelineArn": self.pipeline_arn,
            "StartDateTime": _iso(self.started),
            "CurrentDateTime": _iso(now),
        }


def new_execution(
    pipeline_name: str, *, now: datetime | None = None, token: str | None = None
) -> ExecutionInfo:
    """A fresh execution: id `local-YYYYMMDDTHHMMSS-<6 hex>`."""
    started = now or utc_now()
    token = token or secrets.token_hex(3)
    execution_id = f"local-{started.astimezone(UTC):%Y%m%dT%H%M%S}-{token}"
    return ExecutionInfo(
        execution_id=execution_id, token=token, pipeline_name=pipeline_name, started=started
    )
