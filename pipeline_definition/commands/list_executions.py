"""`list [--limit N] [--pipeline-name NAME]`: recent executions, newest first."""

from __future__ import annotations

import argparse

from pipeline_definition.commands import add_json_argument, emit_json, operating_command
from pipeline_definition.operations.client import aws_errors
from pipeline_definition.operations.display import print_executions
from pipeline_definition.operations.executions import recent_executions
from pipeline_definition.operations.records import executions_record
from pipeline_definition.operations.target import (
    Operation,
    add_connection_arguments,
    add_pipeline_argument,
)

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
    add_json_argument(parser, "the executions")
    add_connection_arguments(parser)


def _list(args: argparse.Namespace, op: Operation) -> int:
    """List the pipeline's recent executions."""
    pipeline_name: str = args.pipeline_name or op.settings.pipeline_name
    with aws_errors(pipeline_name=pipeline_name, region=op.target.region):
        executions = recent_executions(op.target.client, pipeline_name, args.limit)
    if args.json:
        return emit_json(args, executions_record(pipeline_name, op.target.region, executions), 0)
    if not executions:
        op.console.print(
            f"No executions of {pipeline_name} in {op.target.region} yet.",
            markup=False,
            highlight=False,
        )
        return 0
    print_executions(op.console, executions, op.clock.now())
    return 0


run = operating_command(_list)
