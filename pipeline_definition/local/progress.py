"""Live progress: a rich table on a terminal, one line per change otherwise."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pipeline_definition.local.execution import utc_now
from pipeline_definition.local.results import ExecutionResult, StepResult, StepStatus

STATUS_STYLES = {
    StepStatus.PENDING: "dim",
    StepStatus.RUNNING: "bold cyan",
    StepStatus.SUCCEEDED: "green",
    StepStatus.FAILED: "bold red",
    StepStatus.CACHED: "blue",
    StepStatus.SKIPPED: "yellow",
    StepStatus.NOT_RUN: "dim",
}
DETAIL_WIDTH = 70


def format_duration(seconds: float | None) -> str:
    """`4.2s`, `1m05s`; empty when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def _shorten(text: str, width: int = DETAIL_WIDTH) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[: width - 1] + "…"


class LiveProgress:
    """A table of steps that redraws while the run goes."""

    def __init__(self, console: Console, clock: Callable[[], datetime] = utc_now) -> None:
        self.console = console
        self.clock = clock
        self._lock = threading.Lock()
        self._steps: dict[str, StepResult] = {}
        self._title = ""
        self._live: Live | None = None

    def _table(self) -> Table:
        now = self.clock()
        table = Table(title=self._title, title_justify="left", expand=False)
        for column in ("Step", "Type", "Status", "Attempt", "Duration", "Detail"):
            table.add_column(column, no_wrap=column != "Detail")
        with self._lock:
            steps = list(self._steps.values())
        for step in steps:
            table.add_row(
                step.name,
                step.type,
                Text(str(step.status), style=STATUS_STYLES[step.status]),
                str(step.attempts) if step.attempts else "",
                format_duration(step.duration(now)),
                _shorten(step.detail),
            )
        return table

    def started(self, result: ExecutionResult) -> None:
        """Start drawing."""
        with self._lock:
            self._steps = {step.name: step.snapshot() for step in result.steps}
            self._title = f"{result.info.pipeline_name} · {result.info.execution_id}"
        self._live = Live(
            console=self.console,
            get_renderable=self._table,
            refresh_per_second=4,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def step_changed(self, step: StepResult) -> None:
        """Record the change; the next refresh shows it."""
        with self._lock:
            self._steps[step.name] = step

    def note(self, message: str) -> None:
        """Print above the table."""
        self.console.print(Text(message, style="yellow"))

    def finished(self, result: ExecutionResult) -> None:
        """Draw the final table and stop."""
        with self._lock:
            self._steps = {step.name: step.snapshot() for step in result.steps}
        if self._live is not None:
            self._live.refresh()
            self._live.stop()


class PlainProgress:
    """One line per status change, for logs and CI."""

    def __init__(self, stream: TextIO, clock: Callable[[], datetime] = utc_now) -> None:
        self.stream = stream
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[StepStatus, int]] = {}
        self._start: datetime | None = None

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def started(self, result: ExecutionResult) -> None:
        """Announce the run."""
        self._start = result.info.started
        self._write(
            f"execution {result.info.execution_id} of {result.info.pipeline_name}: "
            f"{len(result.steps)} steps"
        )

    def step_changed(self, step: StepResult) -> None:
        """Print when the status or the attempt changed."""
        # Attempt 0 (preparing) and 1 are the same "running" line.
        state = (step.status, max(step.attempts, 1))
        with self._lock:
            if self._seen.get(step.name) == state or step.status == StepStatus.PENDING:
                return
            self._seen[step.name] = state
        elapsed = (self.clock() - self._start).total_seconds() if self._start else 0.0
        parts = [f"[{elapsed:7.1f}s]", f"{step.name:<20}", str(step.status)]
        if step.status == StepStatus.RUNNING and step.attempts > 1:
            parts.append(f"(attempt {step.attempts})")
        if step.ended is not None and step.started is not None:
            parts.append(f"in {format_duration(step.duration(step.ended))}")
        if step.detail:
            parts.append(f"- {_shorten(step.detail, 160)}")
        self._write(" ".join(parts))

    def note(self, message: str) -> None:
        """Print a note line."""
        self._write(f"note: {message}")

    def finished(self, result: ExecutionResult) -> None:
        """Nothing to close."""
