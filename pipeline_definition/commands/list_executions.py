"""`list [--limit N] [--pipeline-name NAME]`: recent executions, newest first."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.console import Console

from pipeline_definition.cli import CommandError
from pipeline_definition.operations import OperationError
from pipeline_definition.operations.client import aws_errors
from pipeline_definition.operations.display import print_executions
from pipeline_definition.operations.executions import recent_executions
from pipeline_definition.operations.monitor import Clock, SystemClock
from pipeline_definition.operations.target import (
    add_connection_arguments,
    add_pipeline_argument,
    app_settings,
    connect,
)

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"--limit must be between 1 and {MAX_LIMIT}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add list's arguments."""
    parser.add_argument(
        "--limit",
        type=_limit,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"how many executions to show (default {DEFAULT_LIMIT})",
    )
    add_pipeline_argument(parser)
    add_connection_arguments(parser)


def run(
    args: argparse.Namespace,
    *,
    client: SageMakerClient | None = None,
    clock: Clock | None = None,
    console: Console | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """List the pipeline's recent executions; the keyword arguments are for tests."""
    console = console or Console(soft_wrap=True)
    clock = clock or SystemClock()
    environ = os.environ if environ is None else environ
    try:
        settings = app_settings(environ)
        pipeline_name: str = args.pipeline_name or settings.pipeline_name
        target = connect(args, settings, environ, client)
        with aws_errors(pipeline_name=pipeline_name, region=target.region):
            executions = recent_executions(target.client, pipeline_name, args.limit)
    except OperationError as error:
        raise CommandError(str(error)) from error
    if not executions:
        console.print(
            f"No executions of {pipeline_name} in {target.region} yet.",
            markup=False,
            highlight=False,
        )
        return 0
    print_executions(console, executions, clock.now())
    return 0
