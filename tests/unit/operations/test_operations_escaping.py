"""Text from AWS never reaches the terminal as control sequences: failure reasons, parameter
values, names and error messages are printed with their control characters escaped."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from pipeline_definition.operations.display import (
    plain_table,
    print_executions,
    print_parameters,
    print_steps,
)
from pipeline_definition.operations.executions import Execution, Step
from pipeline_definition.operations.monitor import MonitorResult, summary
from pipeline_definition.operations.text import safe, safe_lines

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
TITLE = "\x1b]0;pwned\x07"  # OSC: set the window title
CLEAR = "\x1b[2J"  # CSI: clear the screen
LINK = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # OSC 8 hyperlink
RTL = "\u202e"  # right-to-left override
ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/run1"


@pytest.fixture(params=[False, True], ids=["plain", "terminal"])
def console(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    monkeypatch.setenv("TERM", "xterm-256color")  # rich draws nothing for TERM=dumb
    yield Console(file=io.StringIO(), force_terminal=request.param, width=200, soft_wrap=True)


def _printed(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def _assert_inert(text: str) -> None:
    """No OSC, no screen clearing, no bidi override: only rich's own colour codes remain."""
    assert "\x1b]" not in text
    assert CLEAR not in text
    assert "\x07" not in text
    assert RTL not in text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (TITLE, "\\x1b]0;pwned\\x07"),
        (CLEAR, "\\x1b[2J"),
        (f"a{RTL}b", "a\\u202eb"),
        ("line\nbreak\r", "line\\x0abreak\\x0d"),
        ("C1 \x9b31m", "C1 \\x9b31m"),
        ("DEL\x7f", "DEL\\x7f"),
        ("plain text, ünïcode 🙂 and [bold]markup[/bold]", None),
    ],
)
def test_safe_escapes_control_characters_only(raw: str, shown: str | None) -> None:
    assert safe(raw) == (raw if shown is None else shown)


def test_safe_lines_keeps_our_own_line_breaks() -> None:
    assert (
        safe_lines(f"unknown parameter\n  MaxDepth{CLEAR}")
        == "unknown parameter\n  MaxDepth\\x1b[2J"
    )


def test_step_failure_reasons_and_names_are_escaped(console: Console) -> None:
    steps = [
        Step(f"Train{RTL}Model", "Failed", T0, T0 + timedelta(minutes=1), f"{TITLE}{CLEAR}oom"),
    ]
    print_steps(console, steps, T0 + timedelta(minutes=2))

    out = _printed(console)
    _assert_inert(out)
    assert "\\x1b]0;pwned\\x07\\x1b[2Joom" in out


def test_parameter_values_and_names_are_escaped_and_never_read_as_markup(
    console: Console,
) -> None:
    print_parameters(
        console,
        {"InputData": f"s3://b/data/raw/{LINK}.csv", f"Max{CLEAR}Depth": "[link=http://x]6[/link]"},
    )

    out = _printed(console)
    _assert_inert(out)
    assert "\\x1b]8;;http://evil.example/" in out
    assert "[link=http://x]6[/link]" in out  # shown as typed, not turned into a link


def test_execution_rows_are_escaped(console: Console) -> None:
    print_executions(console, [Execution(arn=f"{ARN}{TITLE}", status="Failed", started=T0)], T0)

    _assert_inert(_printed(console))


def test_the_monitor_summary_escapes_reasons() -> None:
    execution = Execution(
        arn=ARN, status="Failed", started=T0, last_modified=T0, failure_reason=f"{TITLE}bad"
    )
    steps = [Step("TrainModel", "Failed", failure_reason=f"{CLEAR}{LINK}")]
    lines = summary(MonitorResult(execution, steps, False, 1.0), status_command="status")

    assert lines[1] == "Reason: \\x1b]0;pwned\\x07bad"
    _assert_inert("\n".join(lines))


def test_plain_tables_keep_one_row_per_line() -> None:
    table = plain_table(("Name", "Value"), [("InputData", "a\nb\rc")])

    assert table.splitlines() == ["Name       Value", "InputData  a\\x0ab\\x0dc"]
    assert os.linesep not in table.splitlines()[1]
