"""`status EXECUTION_ARN [--watch]`: an execution's status, parameters and steps.

Without --watch it exits 0 once it has shown the state; with --watch it follows the execution
and exits like `execute --monitor` (0 Succeeded, 1 Failed/Stopped, 3 timeout).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from pipeline_definition.commands import operating_command
from pipeline_definition.commands.execute import monitor_and_report
from pipeline_definition.operations import OperationError
from pipeline_definition.operations.client import aws_errors, explain, is_not_found
from pipeline_definition.operations.display import print_parameters, print_steps, status_text
from pipeline_definition.operations.executions import (
    Execution,
    describe_execution,
    duration,
    execution_parameters,
    execution_steps,
    format_duration,
    format_time,
    pipeline_name_from_arn,
    region_from_arn,
)
from pipeline_definition.operations.monitor import PollSchedule
from pipeline_definition.operations.target import (
    Operation,
    add_connection_arguments,
    add_follow_arguments,
)
from pipeline_definition.operations.text import safe

if TYPE_CHECKING:
    pass


def configure(parser: argparse.ArgumentParser) -> None:
    """Add status's arguments."""
    parser.add_argument("execution_arn", metavar="EXECUTION_ARN", help="the execution to show")
    parser.add_argument("--watch", action="store_true", help="follow it until it finishes")
    add_follow_arguments(parser, flag="--watch")
    add_connection_arguments(parser)


def _describe(op: Operation, execution_arn: str, pipeline_name: str) -> Execution:
    """The execution; when SageMaker finds none, say whether the pipeline or the run is missing."""
    target = op.target
    try:
        return describe_execution(target.client, execution_arn)
    except ClientError as error:
        if not is_not_found(error):
            raise OperationError(explain(error, region=target.region)) from error
        missing = error
    with aws_errors(pipeline_name=pipeline_name, region=target.region):
        # Raises "pipeline ... not found" when the pipeline itself is missing.
        target.client.describe_pipeline(PipelineName=pipeline_name)
    raise OperationError(
        f"execution {safe(execution_arn)} not found: pipeline {pipeline_name} exists in "
        f"{target.region} but has no such execution (its recent ones: python -m "
        f"pipeline_definition list --pipeline-name {pipeline_name})"
    ) from missing


def _show(args: argparse.Namespace, op: Operation) -> int:
    """Show (and maybe follow) one execution."""
    pipeline_name = pipeline_name_from_arn(args.execution_arn)
    console, clock, target = op.console, op.clock, op.target
    with aws_errors(pipeline_name=pipeline_name, region=target.region):
        execution = _describe(op, args.execution_arn, pipeline_name)
        parameters = execution_parameters(target.client, args.execution_arn)

    now = clock.now()
    console.print(f"Pipeline:  {safe(pipeline_name)}", markup=False, highlight=False)
    console.print(f"Execution: {safe(execution.arn)}", markup=False, highlight=False)
    if execution.display_name:
        console.print(f"Name:      {safe(execution.display_name)}", markup=False, highlight=False)
    console.print("Status:    ", status_text(execution.status), sep="")
    console.print(
        f"Started:   {format_time(execution.started)}"
        f"  ({format_duration(duration(execution.started, execution.ended, now))})",
        markup=False,
        highlight=False,
    )
    if execution.failure_reason:
        console.print(f"Reason:    {safe(execution.failure_reason)}", markup=False, highlight=False)
    print_parameters(console, parameters)

    if args.watch and not execution.finished:
        return monitor_and_report(
            target.client,
            args.execution_arn,
            console=console,
            clock=clock,
            schedule=PollSchedule(initial=args.poll_interval),
            timeout=args.timeout,
            region=target.region,
        )
    try:
        steps = execution_steps(target.client, args.execution_arn)
    except (BotoCoreError, ClientError) as error:
        # The status above is still worth having when the steps cannot be listed.
        console.print(f"Steps unavailable: {safe(explain(error))}", markup=False, highlight=False)
        return 0
    print_steps(console, steps, now)
    return 0


# The ARN says where the execution lives; that beats any configured default region.
run = operating_command(_show, default_region=lambda args: region_from_arn(args.execution_arn))
