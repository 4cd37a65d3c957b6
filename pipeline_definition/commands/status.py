"""`status EXECUTION_ARN [--watch]`: an execution's status, parameters and steps.

Without --watch it exits 0 once it has shown the state; with --watch it follows the execution
and exits like `execute --monitor` (0 Succeeded, 1 Failed/Stopped, 3 timeout).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from pipeline_definition.commands import add_json_argument, emit_json, operating_command
from pipeline_definition.commands.execute import monitor_from_args
from pipeline_definition.operations import OperationError
from pipeline_definition.operations.client import aws_errors, explain, is_not_found
from pipeline_definition.operations.display import print_parameters, print_steps, status_text
from pipeline_definition.operations.executions import (
    Execution,
    Step,
    describe_execution,
    duration,
    execution_parameters,
    execution_steps,
    format_duration,
    format_time,
    pipeline_name_from_arn,
    region_from_arn,
)
from pipeline_definition.operations.failure_logs import failed_step_logs, failure_lines
from pipeline_definition.operations.records import execution_record
from pipeline_definition.operations.target import (
    Operation,
    add_connection_arguments,
    add_follow_arguments,
)
from pipeline_definition.operations.text import safe


def configure(parser: argparse.ArgumentParser) -> None:
    """Add status's arguments."""
    parser.add_argument("execution_arn", metavar="EXECUTION_ARN", help="the execution to show")
    parser.add_argument("--watch", action="store_true", help="follow it until it finishes")
    add_follow_arguments(parser, flag="--watch")
    add_json_argument(parser, "the execution (status, parameters, steps, failed steps' logs)")
    add_connection_arguments(parser)


def find_execution(op: Operation, execution_arn: str, pipeline_name: str) -> Execution:
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


def _print_header(op: Operation, pipeline_name: str, execution: Execution) -> None:
    console = op.console
    console.print(f"Pipeline:  {safe(pipeline_name)}", markup=False, highlight=False)
    console.print(f"Execution: {safe(execution.arn)}", markup=False, highlight=False)
    if execution.display_name:
        console.print(f"Name:      {safe(execution.display_name)}", markup=False, highlight=False)
    console.print("Status:    ", status_text(execution.status), sep="")
    elapsed = duration(execution.started, execution.ended, op.clock.now())
    console.print(
        f"Started:   {format_time(execution.started)}  ({format_duration(elapsed)})",
        markup=False,
        highlight=False,
    )
    if execution.failure_reason:
        console.print(f"Reason:    {safe(execution.failure_reason)}", markup=False, highlight=False)


def _show(args: argparse.Namespace, op: Operation) -> int:
    """Show (and maybe follow) one execution."""
    pipeline_name = pipeline_name_from_arn(args.execution_arn)
    target = op.target
    with aws_errors(pipeline_name=pipeline_name, region=target.region):
        execution = find_execution(op, args.execution_arn, pipeline_name)
        parameters = execution_parameters(target.client, args.execution_arn)
    _print_header(op, pipeline_name, execution)
    print_parameters(op.console, parameters)
    if args.watch and not execution.finished:
        return _watch(args, op, pipeline_name, parameters)
    return _steps(args, op, pipeline_name, execution, parameters)


def _watch(
    args: argparse.Namespace, op: Operation, pipeline_name: str, parameters: Mapping[str, str]
) -> int:
    monitored = monitor_from_args(args, op, args.execution_arn)
    if not args.json:
        return monitored.exit_code
    result = monitored.result
    record = execution_record(
        pipeline_name=pipeline_name,
        region=op.target.region,
        execution=result.execution,
        parameters=parameters,
        steps=result.steps,
        failures=monitored.failures,
        steps_error=result.steps_error,
    )
    return emit_json(args, {**record, "timed_out": result.timed_out}, monitored.exit_code)


def _steps(
    args: argparse.Namespace,
    op: Operation,
    pipeline_name: str,
    execution: Execution,
    parameters: Mapping[str, str],
) -> int:
    """The steps, and for each failed job step its reason and the end of its log."""
    steps: Sequence[Step] = ()
    steps_error = None
    try:
        steps = execution_steps(op.target.client, args.execution_arn)
    except (BotoCoreError, ClientError) as error:
        # The status above is still worth having when the steps cannot be listed.
        steps_error = explain(error)
        op.console.print(f"Steps unavailable: {safe(steps_error)}", markup=False, highlight=False)
    if steps_error is None:
        print_steps(op.console, steps, op.clock.now())
    failures = failed_step_logs(steps, op.logs, op.target.region)
    for line in failure_lines(failures, execution.arn):
        op.console.print(line, markup=False, highlight=False)
    if not args.json:
        return 0
    record = execution_record(
        pipeline_name=pipeline_name,
        region=op.target.region,
        execution=execution,
        parameters=parameters,
        steps=steps,
        failures=failures,
        steps_error=steps_error,
    )
    return emit_json(args, record, 0)


# The ARN says where the execution lives; that beats any configured default region.
run = operating_command(_show, default_region=lambda args: region_from_arn(args.execution_arn))
