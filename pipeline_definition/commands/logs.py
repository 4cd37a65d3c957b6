"""`logs EXECUTION_ARN [STEP] [--follow]`: a step's job log from CloudWatch Logs.

The job comes from the step's Metadata (ListPipelineExecutionSteps). Without STEP: the first
failed step that ran a job, else the last one that started. Log lines go to stdout, as the
job wrote them (control characters escaped); what the command says about them goes to stderr.
Exit codes: 0 printed (with --follow: the step succeeded), 1 with --follow, the step failed or
was stopped, 2 a problem to fix (no such step, no log yet, access denied, ...), 3 --follow
still running at --timeout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from pipeline_definition.commands import operating_command
from pipeline_definition.commands.status import find_execution
from pipeline_definition.operations import OperationError
from pipeline_definition.operations.client import aws_errors
from pipeline_definition.operations.executions import (
    Step,
    execution_steps,
    pipeline_name_from_arn,
    region_from_arn,
)
from pipeline_definition.operations.logs import Job, LogLine, last_lines, whole_log
from pipeline_definition.operations.target import (
    Operation,
    add_connection_arguments,
    add_follow_arguments,
)
from pipeline_definition.operations.text import safe

EXIT_FAILED = 1
EXIT_TIMED_OUT = 3


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError("--tail must be at least 1")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add logs' arguments."""
    parser.add_argument("execution_arn", metavar="EXECUTION_ARN", help="the execution")
    parser.add_argument(
        "step",
        metavar="STEP",
        nargs="?",
        help="the step (default: the first failed step that ran a job, else the latest)",
    )
    parser.add_argument("--tail", type=_count, metavar="N", help="only the last N lines")
    parser.add_argument(
        "--follow",
        action="store_true",
        help="keep printing while the step runs (waits for it to start); exit 1 if it fails",
    )
    add_follow_arguments(parser, flag="--follow")
    add_connection_arguments(parser)


def choose_step(steps: Sequence[Step], wanted: str | None) -> Step | None:
    """The step named `wanted`; without a name the first failed job step, else the latest."""
    if wanted is not None:
        return next((step for step in steps if step.name == wanted), None)
    jobs = [step for step in steps if step.job_arn]
    failed = [step for step in jobs if step.status == "Failed"]
    chosen = failed or jobs[-1:]
    return chosen[0] if chosen else None


def step_job(step: Step) -> Job | None:
    """The step's job, if it ran one."""
    return Job(step.job_kind, step.job_arn) if step.job_kind and step.job_arn else None


def missing(step: Step | None, wanted: str | None, steps: Sequence[Step]) -> str:
    started = ", ".join(s.name for s in steps) or "none"
    if step is None and wanted is not None:
        return f"step {wanted} has not started in this execution (started: {started})"
    if step is None:
        return f"no step of this execution has run a job yet (started: {started})"
    if step.finished:
        return f"step {step.name} ({step.status}) ran no job, so it has no job log"
    return f"step {step.name} has no job yet ({step.status}); --follow waits for it"


@dataclass
class Printer:
    """Writes log lines to stdout: with their stream when the job has several."""

    out: TextIO
    several: bool = False

    def __call__(self, line: LogLine) -> None:
        """Print one line, escaped."""
        prefix = f"[{line.stream}] " if self.several else ""
        self.out.write(safe(prefix + line.message.rstrip("\n")) + "\n")
        self.out.flush()


def say(text: str) -> None:
    """A message about the log (not the log itself): stderr."""
    print(safe(text), file=sys.stderr)


def header(step: Step, job: Job) -> str:
    """Which log this is."""
    return f"{step.name} ({step.status}): {job.kind} {job.name} in {job.group}"


def _print_once(args: argparse.Namespace, op: Operation, job: Job, step: Step) -> int:
    client, region = op.logs(), op.target.region
    if args.tail:
        lines = last_lines(client, job, region, args.tail)
    else:
        lines = whole_log(client, job, region)
    say(f"{header(step, job)}: {len(lines)} lines")
    printer = Printer(sys.stdout, several=len({line.stream for line in lines}) > 1)
    for line in lines:
        printer(line)
    return 0


def _show(args: argparse.Namespace, op: Operation) -> int:
    """Print (or follow) a step's job log."""
    if args.follow and args.tail:
        raise OperationError("--tail and --follow do not go together: --follow prints it all")
    pipeline_name = pipeline_name_from_arn(args.execution_arn)
    with aws_errors(pipeline_name=pipeline_name, region=op.target.region):
        find_execution(op, args.execution_arn, pipeline_name)
        steps = execution_steps(op.target.client, args.execution_arn)
    if args.follow:
        from pipeline_definition.commands.logs_follow import follow_step  # noqa: PLC0415

        return follow_step(args, op, steps)
    step = choose_step(steps, args.step)
    job = step_job(step) if step else None
    if step is None or job is None:
        raise OperationError(missing(step, args.step, steps))
    return _print_once(args, op, job, step)


run = operating_command(_show, default_region=lambda args: region_from_arn(args.execution_arn))
