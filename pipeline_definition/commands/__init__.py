"""One module per command of `python -m pipeline_definition`, and the error they share."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.target import Operation, operate


class CommandError(Exception):
    """A user-facing error: printed as one line, exit code 2 unless given."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_json_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """--json: one JSON object on stdout, everything else (progress, logs) on stderr."""
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} as one JSON object on stdout; progress and messages go to stderr",
    )


def emit_json(args: argparse.Namespace, record: Mapping[str, Any], exit_code: int) -> int:
    """Print `record` with its exit code as one line of JSON on the command's stdout."""
    # The CLI points stdout at stderr while a --json command runs; json_out is the real one.
    out = getattr(args, "json_out", None) or sys.stdout
    print(json.dumps({**record, "exit_code": exit_code}, default=str), file=out, flush=True)
    return exit_code


@contextmanager
def operation_errors() -> Iterator[None]:
    """Report an OperationError (credentials, region, names, values) as a CommandError."""
    try:
        yield
    except OperationError as error:
        raise CommandError(str(error)) from error


@contextmanager
def unexpected_answers() -> Iterator[None]:
    """A backstop: an answer of a shape no check foresaw ends in one line, not a traceback.

    The operations check every field they rely on (`executions.answered`); this catches what an
    endpoint posing as SageMaker could still break (a number where a string belongs, ...).
    """
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise CommandError(
            f"unexpected answer from the endpoint ({type(error).__name__}: {str(error)[:200]}); "
            "check AWS_ENDPOINT_URL and any proxy, or try again"
        ) from error


def operating_command(
    body: Callable[[argparse.Namespace, Operation], int],
    *,
    default_region: Callable[[argparse.Namespace], str | None] | None = None,
) -> Callable[..., int]:
    """Wrap a command body: settings and client first, OperationError as a one-line error.

    The wrapped `run(args, **overrides)` passes `overrides` (client, clock, console, environ:
    what tests replace) to `operate`.
    """

    def run(args: argparse.Namespace, **overrides: Any) -> int:
        with operation_errors(), unexpected_answers():
            region = default_region(args) if default_region else None
            return body(args, operate(args, default_region=region, **overrides))

    run.__doc__ = body.__doc__
    return run
