"""Why a step failed: its failure reason and the last lines of its job's log.

`status`, `execute --monitor` and `status --watch` print this for every failed step that ran a
job (processing, training, transform), so the error the script logged is on screen without a
trip to the console. A log that cannot be read (no stream yet, access denied, no credentials
for CloudWatch Logs) is one line saying why; it never fails the command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.executions import Step
from pipeline_definition.operations.logs import Job, LogLine, last_lines
from pipeline_definition.operations.text import safe

LOG_TAIL_LINES = 20
LOGS_COMMAND = "python -m pipeline_definition logs"


@dataclass(frozen=True)
class FailedStepLog:
    """A failed job step: its reason and its log's last lines, or why they are missing."""

    step: str
    reason: str | None
    job: Job
    lines: Sequence[LogLine] = field(default_factory=tuple)
    unavailable: str | None = None


def failed_step_logs(
    steps: Sequence[Step],
    logs: Callable[[], Any],
    region: str,
    count: int = LOG_TAIL_LINES,
) -> list[FailedStepLog]:
    """The log tail of each failed step that ran a job (`logs` makes the client on first use)."""
    found: list[FailedStepLog] = []
    for step in steps:
        if step.status != "Failed" or not step.job_kind or not step.job_arn:
            continue
        job = Job(step.job_kind, step.job_arn)
        try:
            lines = last_lines(logs(), job, region, count)
        except OperationError as error:
            found.append(FailedStepLog(step.name, step.failure_reason, job, unavailable=str(error)))
            continue
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            # The log is detail: an answer of a shape no check foresaw does not fail the command.
            why = f"unexpected answer from CloudWatch Logs ({type(error).__name__})"
            found.append(FailedStepLog(step.name, step.failure_reason, job, unavailable=why))
            continue
        found.append(FailedStepLog(step.name, step.failure_reason, job, lines))
    return found


def failure_lines(entries: Sequence[FailedStepLog], execution_arn: str) -> list[str]:
    """What to print for the failed steps (text from AWS escaped)."""
    lines: list[str] = []
    for entry in entries:
        lines.append("")
        lines.append(f"{entry.step} failed: {entry.reason or 'no reason given'}")
        if entry.unavailable:
            lines.append(f"  log unavailable: {entry.unavailable}")
        elif not entry.lines:
            lines.append(f"  its log in {entry.job.group} is empty")
        else:
            streams = sorted({line.stream for line in entry.lines})
            lines.append(
                f"  last {len(entry.lines)} lines of {entry.job.group} {', '.join(streams)}:"
            )
            several = len(streams) > 1
            lines += [
                f"  | {f'[{line.stream}] ' if several else ''}{line.message.rstrip()}"
                for line in entry.lines
            ]
        lines.append(f"  the whole log: {LOGS_COMMAND} {execution_arn} {entry.step}")
    return [safe(line) for line in lines]


def failure_record(entry: FailedStepLog) -> dict[str, Any]:
    """A failed step's log for --json."""
    return {
        "job_arn": entry.job.arn,
        "log_group": entry.job.group,
        "log_streams": sorted({line.stream for line in entry.lines}),
        "log_tail": [line.message.rstrip("\n") for line in entry.lines],
        "log_error": entry.unavailable,
    }
