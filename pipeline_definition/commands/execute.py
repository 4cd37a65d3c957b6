"""`execute`: start an execution of the deployed pipeline and, with --monitor, watch it.

Exit codes: 0 started (or, with --monitor, Succeeded); 1 Failed or Stopped; 2 a problem to
fix before anything ran (names, values, credentials, region, endpoint); 3 still running when
--timeout ran out (the execution goes on).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from pipeline_definition.commands import add_json_argument, emit_json, operating_command
from pipeline_definition.operations import OperationError
from pipeline_definition.operations.champion import (
    LOOKUP_ACTIONS,
    deployed_champion,
    refuse_user_champion,
)
from pipeline_definition.operations.client import aws_errors, explain, s3_client
from pipeline_definition.operations.display import print_steps
from pipeline_definition.operations.executions import (
    Step,
    describe_execution,
    execution_steps,
    new_token,
    start_execution,
)
from pipeline_definition.operations.failure_logs import (
    FailedStepLog,
    failed_step_logs,
    failure_lines,
)
from pipeline_definition.operations.input_version import input_version, needs_lookup
from pipeline_definition.operations.monitor import (
    Clock,
    MonitorResult,
    PollSchedule,
    exit_code,
    summary,
    watch,
)
from pipeline_definition.operations.parameters import (
    assignments,
    declared_parameters,
    deployed_definition,
    validate_assignments,
)
from pipeline_definition.operations.records import execution_record
from pipeline_definition.operations.target import (
    STATUS_COMMAND,
    Operation,
    add_connection_arguments,
    add_follow_arguments,
    add_pipeline_argument,
)
from pipeline_definition.operations.text import safe
from project.run_parameters import (
    CLIENT_TOKEN_MAX_LENGTH,
    CLIENT_TOKEN_MIN_LENGTH,
    INPUT_DATA,
    INPUT_VERSION,
)

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


def configure(parser: argparse.ArgumentParser) -> None:
    """Add execute's arguments."""
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="Name=Value",
        help="set a pipeline parameter (repeatable); checked against the deployed pipeline. "
        "With InputData and no InputVersion, the object's version is read from S3. "
        "ChampionModelData is set from the Model Registry, never here",
    )
    parser.add_argument(
        "--monitor", action="store_true", help="watch the execution until it finishes"
    )
    add_follow_arguments(parser, flag="--monitor")
    add_pipeline_argument(parser)
    parser.add_argument("--display-name", help="a name for the execution in the console")
    parser.add_argument("--description", help="a description for the execution")
    parser.add_argument(
        "--client-request-token",
        metavar="TOKEN",
        help="reuse the token a previous start printed, so a retried start starts nothing new",
    )
    add_json_argument(parser, "the execution (ARN, status, parameters, steps)")
    add_connection_arguments(parser)


def _token(args: argparse.Namespace) -> str:
    token: str | None = args.client_request_token
    if token is None:
        return new_token()
    if not CLIENT_TOKEN_MIN_LENGTH <= len(token) <= CLIENT_TOKEN_MAX_LENGTH:
        raise OperationError(
            f"--client-request-token must be {CLIENT_TOKEN_MIN_LENGTH}-"
            f"{CLIENT_TOKEN_MAX_LENGTH} characters"
        )
    return token


def _start(args: argparse.Namespace, op: Operation) -> int:
    """Start (and maybe watch) an execution."""
    values = assignments(args.param)
    refuse_user_champion(values)
    token = _token(args)
    pipeline_name: str = args.pipeline_name or op.settings.pipeline_name
    console, target = op.console, op.target

    with aws_errors(pipeline_name=pipeline_name, region=target.region):
        definition = deployed_definition(target.client, pipeline_name)
    specs = declared_parameters(definition)
    parameters = validate_assignments(values, specs)
    if needs_lookup(parameters, specs):
        parameters[INPUT_VERSION] = _input_version(args, op, parameters[INPUT_DATA])
    parameters.update(_champion(op, definition))

    console.print(
        f"Starting {pipeline_name} in {target.region} (ClientRequestToken {token})",
        markup=False,
        highlight=False,
    )
    with aws_errors(pipeline_name=pipeline_name, region=target.region):
        execution_arn = start_execution(
            target.client,
            pipeline_name,
            parameters,
            token=token,
            display_name=args.display_name,
            description=args.description,
        )
    execution_arn = safe(execution_arn)
    console.print(f"Execution ARN: {execution_arn}", markup=False, highlight=False)
    started = Started(pipeline_name, execution_arn, token, parameters)
    if args.monitor:
        return _monitor(args, op, started)
    if args.json:
        return emit_json(args, _just_started(op, started), 0)
    console.print(
        f"Follow it with: {STATUS_COMMAND} {execution_arn} --watch", markup=False, highlight=False
    )
    return 0


@dataclass(frozen=True)
class Started:
    """What `execute` started."""

    pipeline_name: str
    execution_arn: str
    token: str
    parameters: Mapping[str, str]

    def record(self, op: Operation, result: MonitorResult, **extra: Any) -> dict[str, Any]:
        """The --json object for this execution in the state `result` saw."""
        record = execution_record(
            pipeline_name=self.pipeline_name,
            region=op.target.region,
            execution=result.execution,
            parameters=self.parameters,
            steps=result.steps,
            steps_error=result.steps_error,
            **extra,
        )
        return {**record, "client_request_token": self.token}


def _monitor(args: argparse.Namespace, op: Operation, started: Started) -> int:
    monitored = monitor_from_args(args, op, started.execution_arn)
    if not args.json:
        return monitored.exit_code
    record = started.record(op, monitored.result, failures=monitored.failures)
    return emit_json(args, {**record, "timed_out": monitored.result.timed_out}, monitored.exit_code)


def _just_started(op: Operation, started: Started) -> dict[str, Any]:
    """The execution right after its start (its steps may not be listed yet)."""
    client, region = op.target.client, op.target.region
    with aws_errors(region=region):
        execution = describe_execution(client, started.execution_arn)
    steps: Sequence[Step] = ()
    steps_error = None
    try:
        steps = execution_steps(client, started.execution_arn)
    except (BotoCoreError, ClientError) as error:
        steps_error = explain(error)
    result = MonitorResult(execution, steps, False, 0.0, steps_error)
    return started.record(op, result)


def _input_version(args: argparse.Namespace, op: Operation, uri: str) -> str:
    """InputData's version from S3, so that a re-uploaded object is not served from cache."""
    s3 = s3_client(profile=args.profile, region=op.target.region, environ=op.environ)
    with aws_errors(region=op.target.region):
        version = input_version(s3, uri)
    line = f"{INPUT_VERSION} {safe(version)} ({safe(uri)})"
    op.console.print(line, markup=False, highlight=False)
    return version


def _champion(op: Operation, definition: dict[str, object]) -> dict[str, str]:
    """ChampionModelData from the Model Registry (nothing when there is no champion)."""
    try:
        with aws_errors(region=op.target.region):
            lookup = deployed_champion(op.target.client, definition)
    except OperationError as error:
        raise OperationError(f"champion lookup ({LOOKUP_ACTIONS}): {error}") from error
    if lookup is None:
        return {}
    op.console.print(lookup.describe(), markup=False, highlight=False)
    return lookup.parameters()


run = operating_command(_start)


@dataclass(frozen=True)
class Monitored:
    """How a watch ended: the exit code, the last state seen and the failed steps' logs."""

    exit_code: int
    result: MonitorResult
    failures: Sequence[FailedStepLog]


def monitor_from_args(args: argparse.Namespace, op: Operation, execution_arn: str) -> Monitored:
    """`monitor_and_report` with the poll interval and timeout the command line gave."""
    return monitor_and_report(
        op.target.client,
        execution_arn,
        console=op.console,
        clock=op.clock,
        schedule=PollSchedule(initial=args.poll_interval),
        timeout=args.timeout,
        region=op.target.region,
        logs=op.logs,
    )


def monitor_and_report(
    client: SageMakerClient,
    execution_arn: str,
    *,
    console: Console,
    clock: Clock,
    schedule: PollSchedule,
    timeout: float | None,
    region: str,
    logs: Callable[[], Any],
) -> Monitored:
    """Watch until the end or the timeout, print the outcome and the failed steps' logs."""
    try:
        with aws_errors(region=region):
            result = watch(
                client,
                execution_arn,
                console=console,
                clock=clock,
                schedule=schedule,
                timeout=timeout,
            )
    except KeyboardInterrupt:
        console.print(
            f"Stopped watching; the execution keeps running. "
            f"Check it with: {STATUS_COMMAND} {safe(execution_arn)} --watch",
            markup=False,
            highlight=False,
        )
        raise
    if not console.is_terminal:
        # On a terminal the live display already left the final table on screen.
        print_steps(console, result.steps, clock.now())
    for line in summary(result, status_command=STATUS_COMMAND):
        console.print(line, markup=False, highlight=False)
    failures = [] if result.timed_out else failed_step_logs(result.steps, logs, region)
    for line in failure_lines(failures, execution_arn):
        console.print(line, markup=False, highlight=False)
    return Monitored(exit_code(result), result, failures)
