"""`run-local --json`: the summary as one JSON object, every figure at full precision.

The same content as the printed summary (`summary.py`): the outcome, each step, the model
metrics of every property file, the registry entries, the artifacts, the failed steps' log
tails and where the logs and the record are. Paths are absolute; times ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pipeline_definition.local.command import tail
from pipeline_definition.local.definition import LocalDefinition
from pipeline_definition.local.results import ExecutionResult, StepResult, StepStatus
from pipeline_definition.local.store import LocalObjectStore
from pipeline_definition.local.summary import LOG_TAIL_LINES, artifacts, metrics


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _seconds(step: StepResult) -> float | None:
    if step.started is None or step.ended is None:
        return None
    return round((step.ended - step.started).total_seconds(), 3)


def step_record(step: StepResult) -> dict[str, Any]:
    """One step as the summary knows it; a failed step carries the end of its log."""
    failed = step.status == StepStatus.FAILED and step.log_path is not None
    return {
        "name": step.name,
        "type": step.type,
        "status": str(step.status),
        "attempts": step.attempts,
        "started": _iso(step.started),
        "ended": _iso(step.ended),
        "duration_seconds": _seconds(step),
        "detail": step.detail,
        "failure_reason": step.failure_reason,
        "cache_hit_from": step.cache_source,
        "log": str(step.log_path.resolve()) if step.log_path else None,
        "log_tail": tail(step.log_path, LOG_TAIL_LINES) if failed and step.log_path else None,
    }


def summary_record(
    result: ExecutionResult, definition: LocalDefinition, store: LocalObjectStore
) -> dict[str, Any]:
    """The summary of a local run as a JSON-ready object."""
    ended = result.ended
    return {
        "execution_id": result.info.execution_id,
        "execution_arn": result.info.arn,
        "pipeline_name": result.info.pipeline_name,
        "status": result.status,
        "failure_reason": result.failure_reason,
        "failed_step": result.failed_step,
        "started": _iso(result.info.started),
        "ended": _iso(ended),
        "duration_seconds": (
            round((ended - result.info.started).total_seconds(), 3) if ended else None
        ),
        "parameters": result.parameters,
        "steps": [step_record(step) for step in result.steps],
        "metrics": [
            {"source": label, "file": str(path.resolve()), "values": dict(values)}
            for label, values, path in metrics(result, definition, store)
        ],
        "registry": [
            {
                "group": entry.group,
                "version": entry.version,
                "arn": entry.arn,
                "approval_status": entry.approval_status,
                "path": str(entry.path.resolve()),
            }
            for entry in result.registry
        ],
        "artifacts": {label: str(path.resolve()) for label, path in artifacts(result, store)},
        "notes": list(result.notes),
        "logs": str((result.directory / "logs").resolve()),
        "record": str(result.record_path.resolve()),
    }
