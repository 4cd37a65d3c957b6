"""One module per command of `python -m pipeline_definition`, and the error they share."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.target import Operation, operate

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from rich.console import Console

    from pipeline_definition.operations.monitor import Clock


class CommandError(Exception):
    """A user-facing error: printed as one line, exit code 2 unless given."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@contextmanager
def operation_errors() -> Iterator[None]:
    """Report an OperationError (credentials, region, names, values) as a CommandError."""
    try:
        yield
    except OperationError as error:
        raise CommandError(str(error)) from error


class OperatingRun(Protocol):
    """`run` of a command that works on the deployed pipeline; the keywords are for tests."""

    def __call__(
        self,
        args: argparse.Namespace,
        *,
        client: SageMakerClient | None = None,
        clock: Clock | None = None,
        console: Console | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> int:
        """Run the command; return the exit code."""
        ...


def operating_command(
    body: Callable[[argparse.Namespace, Operation], int],
    *,
    default_region: Callable[[argparse.Namespace], str | None] | None = None,
) -> OperatingRun:
    """Wrap a command body: settings and client first, OperationError as a one-line error."""

    def run(
        args: argparse.Namespace,
        *,
        client: SageMakerClient | None = None,
        clock: Clock | None = None,
        console: Console | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> int:
        with operation_errors():
            operation = operate(
                args,
                client=client,
                clock=clock,
                console=console,
                environ=environ,
                default_region=default_region(args) if default_region else None,
            )
            return body(args, operation)

    run.__doc__ = body.__doc__
    return run
