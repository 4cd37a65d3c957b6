"""Watching an execution until it ends: polling with a capped exponential backoff.

Delays grow from the poll interval by x1.5 to at most 60 s (or the interval, if larger); the
schedule is deterministic, so a test with a fake clock knows every sleep in advance. On a
terminal a live display shows a spinner with the elapsed time and the step table; elsewhere
(CI logs) one line is printed whenever the execution or a step changes status.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipeline_definition.operations.client import explain
from pipeline_definition.operations.display import steps_table
from pipeline_definition.operations.executions import (
    SUCCEEDED,
    Execution,
    Step,
    describe_execution,
    execution_steps,
    format_duration,
)
from pipeline_definition.operations.text import safe

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

DEFAULT_POLL_INTERVAL = 5.0
BACKOFF_FACTOR = 1.5
MAX_POLL_INTERVAL = 60.0
# Past this many polls the delay sits at its cap anyway; stops float overflow in the power.
MAX_BACKOFF_STEPS = 32


class Clock(Protocol):
    """Time as the monitor sees it (injectable so tests never sleep)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait."""
        ...

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """`time.sleep()`."""
        time.sleep(seconds)

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class PollSchedule:
    """Exponential backoff without jitter, capped."""

    initial: float = DEFAULT_POLL_INTERVAL
    factor: float = BACKOFF_FACTOR
    maximum: float = MAX_POLL_INTERVAL

    def delay(self, attempt: int) -> float:
        """Seconds to wait after poll number `attempt` (0-based)."""
        cap = max(self.maximum, self.initial)
        return min(self.initial * self.factor ** min(attempt, MAX_BACKOFF_STEPS), cap)


@dataclass(frozen=True)
class MonitorResult:
    """How the watch ended."""

    execution: Execution
    steps: Sequence[Step]
    timed_out: bool
    elapsed: float
    steps_error: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when the execution finished with status Succeeded."""
        return self.execution.status == SUCCEEDED


def _snapshot(execution: Execution, steps: Sequence[Step]) -> tuple[str, ...]:
    return (execution.status, *(f"{step.name}={step.status}" for step in steps))


def _status_line(elapsed: float, execution: Execution, steps: Sequence[Step]) -> str:
    step_text = ", ".join(f"{step.name}: {step.status}" for step in steps) or "no step started"
    line = f"[{format_duration(timedelta(seconds=elapsed)):>9}] {execution.status} - {step_text}"
    return safe(line)


@dataclass
class _StepsSeen:
    """The last steps listed; the execution's own status decides the outcome, steps are detail."""

    steps: Sequence[Step] = ()
    error: str | None = None

    def refresh(self, client: SageMakerClient, execution_arn: str, console: Console) -> None:
        """List the steps again; on an error keep the last known ones and say so once."""
        try:
            self.steps = execution_steps(client, execution_arn)
        except (BotoCoreError, ClientError) as error:
            # A caller without ListPipelineExecutionSteps can still watch the execution.
            if self.error is None:
                console.print(
                    f"Steps unavailable, watching the execution only: {safe(explain(error))}",
                    markup=False,
                    highlight=False,
                )
            self.error = explain(error)


def _next_delay(
    schedule: PollSchedule, attempt: int, timeout: float | None, elapsed: float
) -> float:
    delay = schedule.delay(attempt)
    return delay if timeout is None else min(delay, timeout - elapsed)


def watch(
    client: SageMakerClient,
    execution_arn: str,
    *,
    console: Console,
    clock: Clock,
    schedule: PollSchedule,
    timeout: float | None = None,
) -> MonitorResult:
    """Poll until the execution finishes or `timeout` seconds pass (botocore errors propagate)."""
    started = clock.monotonic()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        get_time=clock.monotonic,
    )
    task = progress.add_task(escape(safe(execution_arn)), total=None)
    live = Live(console=console, refresh_per_second=4) if console.is_terminal else None
    last_snapshot: tuple[str, ...] = ()
    seen = _StepsSeen()
    attempt = 0
    if live is not None:
        live.start()
    try:
        while True:
            execution = describe_execution(client, execution_arn)
            seen.refresh(client, execution_arn, console)
            steps = seen.steps
            elapsed = clock.monotonic() - started
            if live is not None:
                progress.update(
                    task, description=escape(safe(f"{execution.status}  {execution_arn}"))
                )
                live.update(Group(progress, steps_table(steps, clock.now())), refresh=True)
            elif _snapshot(execution, steps) != last_snapshot:
                console.print(
                    _status_line(elapsed, execution, steps), markup=False, highlight=False
                )
            last_snapshot = _snapshot(execution, steps)
            if execution.finished:
                return MonitorResult(execution, steps, False, elapsed, seen.error)
            if timeout is not None and elapsed >= timeout:
                return MonitorResult(execution, steps, True, elapsed, seen.error)
            clock.sleep(_next_delay(schedule, attempt, timeout, elapsed))
            attempt += 1
    finally:
        if live is not None:
            live.stop()


def summary(result: MonitorResult, *, status_command: str) -> list[str]:
    """What to tell the user when the watch ends (text from AWS escaped, see `text.safe`)."""
    return [safe(line) for line in _summary(result, status_command=status_command)]


def _summary(result: MonitorResult, *, status_command: str) -> list[str]:
    execution = result.execution
    if result.timed_out:
        return [
            f"Timed out after {result.elapsed:.0f}s: the execution is still {execution.status} "
            "and keeps running.",
            f"Check it with: {status_command} {execution.arn} --watch",
        ]
    if result.succeeded:
        return [f"Succeeded in {format_duration(_run_time(execution))}: {execution.arn}"]
    lines = [f"Execution {execution.status}: {execution.arn}"]
    if execution.failure_reason:
        lines.append(f"Reason: {execution.failure_reason}")
    for step in result.steps:
        if step.status in {"Failed", "Stopped"}:
            reason = step.failure_reason or "no reason given"
            lines.append(f"Step {step.name} {step.status}: {reason}")
    return lines


def _run_time(execution: Execution) -> timedelta | None:
    if execution.started is None or execution.ended is None:
        return None
    return execution.ended - execution.started


EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_TIMED_OUT = 3


def exit_code(result: MonitorResult) -> int:
    """0 succeeded, 1 failed or stopped, 3 still running at the timeout."""
    if result.timed_out:
        return EXIT_TIMED_OUT
    return EXIT_SUCCEEDED if result.succeeded else EXIT_FAILED
