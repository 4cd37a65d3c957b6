"""`logs --follow`: print a step's job log while it runs, until the step ends.

It waits for the step to start and for its job to write (the log group and stream appear a
minute or so after a job starts), polls every --poll-interval seconds at a steady pace, and
after the step ends prints what is left.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline_definition.commands.logs import (
    EXIT_FAILED,
    EXIT_TIMED_OUT,
    Printer,
    choose_step,
    header,
    missing,
    say,
    step_job,
)
from pipeline_definition.operations import OperationError
from pipeline_definition.operations.client import aws_errors
from pipeline_definition.operations.executions import (
    SUCCEEDED,
    Step,
    describe_execution,
    execution_steps,
)
from pipeline_definition.operations.logs import Reader
from pipeline_definition.operations.target import STATUS_COMMAND, Operation


@dataclass
class Following:
    """The step being followed, once it is known, and its log reader."""

    wanted: str | None
    reader: Reader | None = None


def _poll(op: Operation, arn: str) -> list[Step]:
    with aws_errors(region=op.target.region):
        return execution_steps(op.target.client, arn)


def _ended_without(op: Operation, arn: str, steps: Sequence[Step], wanted: str | None) -> None:
    """OperationError when the execution is over and the step never ran a job."""
    with aws_errors(region=op.target.region):
        execution = describe_execution(op.target.client, arn)
    if execution.finished:
        raise OperationError(
            f"the execution ended {execution.status}: {missing(None, wanted, steps)}"
        )


def _print_new(following: Following, printer: Printer) -> None:
    reader = following.reader
    if reader is None:
        return
    for line in reader.new_lines():
        printer.several = len(reader.cursors) > 1
        printer(line)


def _attach(op: Operation, following: Following, step: Step | None) -> None:
    """Start reading once the step has a job; from then on it is the step followed."""
    job = step_job(step) if step else None
    if step is None or job is None or following.reader is not None:
        return
    following.wanted = step.name
    following.reader = Reader(op.logs(), job, op.target.region)
    say(f"{header(step, job)}: following")


def follow_step(args: argparse.Namespace, op: Operation, steps: Sequence[Step]) -> int:
    """Follow the chosen step's log until it ends (exit 0 succeeded, 1 not, 3 timeout)."""
    following = Following(args.step)
    printer = Printer(sys.stdout)
    started = op.clock.monotonic()
    while True:
        step = choose_step(steps, following.wanted)
        _attach(op, following, step)
        _print_new(following, printer)
        if step is not None and step.finished:
            if following.reader is None:
                raise OperationError(missing(step, following.wanted, steps))
            return 0 if step.status == SUCCEEDED else EXIT_FAILED
        if step is None:
            _ended_without(op, args.execution_arn, steps, following.wanted)
        elapsed = op.clock.monotonic() - started
        if args.timeout is not None and elapsed >= args.timeout:
            say(
                f"Timed out after {elapsed:.0f}s; the step keeps running. "
                f"Check it with: {STATUS_COMMAND} {args.execution_arn}"
            )
            return EXIT_TIMED_OUT
        remaining = None if args.timeout is None else args.timeout - elapsed
        op.clock.sleep(
            args.poll_interval if remaining is None else min(args.poll_interval, remaining)
        )
        steps = _poll(op, args.execution_arn)
