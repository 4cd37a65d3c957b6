"""What `--json` prints: executions, steps and parameters as one JSON object.

Times are ISO 8601 in UTC (`2026-11-27T08:00:00Z`), absent ones null; every key is always
present, so a consumer never has to guess. Text is as AWS sent it (JSON escapes it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pipeline_definition.operations.executions import Execution, Step
from pipeline_definition.operations.failure_logs import FailedStepLog, failure_record


def iso(value: datetime | None) -> str | None:
    """A timestamp in UTC, ISO 8601 with a Z; None stays None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def step_record(step: Step, failure: FailedStepLog | None = None) -> dict[str, Any]:
    """One step: name, status, times, failure reason, cache hit, its job and its log's tail."""
    return {
        "name": step.name,
        "status": step.status,
        "started": iso(step.started),
        "ended": iso(step.ended),
        "failure_reason": step.failure_reason,
        "cache_hit": step.cache_hit,
        "job_arn": step.job_arn,
        "log": failure_record(failure) if failure else None,
    }


def execution_record(
    *,
    pipeline_name: str,
    region: str,
    execution: Execution,
    parameters: Mapping[str, str] | None,
    steps: Sequence[Step],
    failures: Sequence[FailedStepLog] = (),
    steps_error: str | None = None,
) -> dict[str, Any]:
    """One execution with its parameters and steps (`parameters` None: not read)."""
    by_step = {failure.step: failure for failure in failures}
    return {
        "pipeline_name": pipeline_name,
        "region": region,
        "execution_arn": execution.arn,
        "display_name": execution.display_name,
        "status": execution.status,
        "started": iso(execution.started),
        "ended": iso(execution.ended),
        "failure_reason": execution.failure_reason,
        "parameters": dict(parameters) if parameters is not None else None,
        "steps": [step_record(step, by_step.get(step.name)) for step in steps],
        "steps_error": steps_error,
    }


def executions_record(
    pipeline_name: str, region: str, executions: Sequence[Execution]
) -> dict[str, Any]:
    """A pipeline's recent executions, newest first."""
    return {
        "pipeline_name": pipeline_name,
        "region": region,
        "executions": [
            {
                "execution_arn": execution.arn,
                "display_name": execution.display_name,
                "status": execution.status,
                "started": iso(execution.started),
                "ended": iso(execution.ended),
                "failure_reason": execution.failure_reason,
            }
            for execution in executions
        ],
    }
