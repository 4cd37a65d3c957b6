"""Tables for executions, steps and parameters: rich on a terminal, aligned text otherwise.

Plain text keeps CI logs and pipes (`| grep Failed`) readable: one row per line, no box
drawing, no colour, full ARNs. Every cell is text from AWS, printed through `text.safe`: control
characters and bidi overrides are escaped, in both modes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline_definition.operations.executions import (
    Execution,
    Step,
    duration,
    format_duration,
    format_time,
)
from pipeline_definition.operations.text import safe

STATUS_STYLES = {
    "Succeeded": "green",
    "Failed": "bold red",
    "CompletedWithFailures": "bold red",
    "Stopped": "yellow",
    "Stopping": "yellow",
    "Executing": "cyan",
    "Starting": "cyan",
}
STEP_HEADERS = ("Step", "Status", "Started", "Duration", "Failure reason")
EXECUTION_HEADERS = ("Execution ARN", "Status", "Started", "Duration")


def status_text(status: str) -> Text:
    """The status, coloured by what it means."""
    return Text(safe(status), style=STATUS_STYLES.get(status, ""))


def _safe_rows(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    return [[safe(cell) for cell in row] for row in rows]


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to a common width, separated by two spaces."""
    rows = _safe_rows(rows)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
    return "\n".join(lines)


def rich_table(
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    status_column: int | None = None,
) -> Table:
    """A rich table; the cells of `status_column` are coloured by status."""
    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        # Text, not str: a cell is never read as rich markup.
        cells: list[Text] = [Text(safe(cell)) for cell in row]
        if status_column is not None:
            cells[status_column] = status_text(row[status_column])
        table.add_row(*cells)
    return table


def print_table(
    console: Console,
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    status_column: int | None = None,
) -> None:
    """Print a table: rich on a terminal, plain text otherwise."""
    if console.is_terminal:
        console.print(rich_table(title, headers, rows, status_column=status_column))
        return
    if title:
        console.print(title, markup=False, highlight=False)
    console.print(plain_table(headers, rows), markup=False, highlight=False, soft_wrap=True)


def step_rows(steps: Sequence[Step], now: datetime) -> list[list[str]]:
    """One row per step: name, status, start, duration, failure reason."""
    return [
        [
            step.name + (" (cached)" if step.cache_hit else ""),
            step.status,
            format_time(step.started),
            format_duration(duration(step.started, step.ended, now)),
            step.failure_reason or "",
        ]
        for step in steps
    ]


def steps_table(steps: Sequence[Step], now: datetime) -> Table:
    """The step table as a rich renderable (for live display)."""
    return rich_table(None, STEP_HEADERS, step_rows(steps, now), status_column=1)


def print_steps(console: Console, steps: Sequence[Step], now: datetime) -> None:
    """Print the step table, or say that no step has started."""
    if not steps:
        console.print("No step has started yet.", markup=False, highlight=False)
        return
    print_table(console, "Steps", STEP_HEADERS, step_rows(steps, now), status_column=1)


def print_executions(console: Console, executions: Sequence[Execution], now: datetime) -> None:
    """Print executions, newest first as given."""
    rows = [
        [
            execution.arn,
            execution.status,
            format_time(execution.started),
            format_duration(duration(execution.started, execution.ended, now)),
        ]
        for execution in executions
    ]
    print_table(console, None, EXECUTION_HEADERS, rows, status_column=1)


def print_parameters(console: Console, parameters: Mapping[str, str]) -> None:
    """Print the parameters an execution runs with (defaults are not listed by SageMaker)."""
    if not parameters:
        console.print("Parameters: all defaults", markup=False, highlight=False)
        return
    rows = [[name, parameters[name]] for name in sorted(parameters)]
    print_table(console, "Parameters", ("Name", "Value"), rows)
