"""Which pipeline, which account and region: the arguments the operating commands share."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from rich.console import Console

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.client import logs_client, sagemaker_client
from pipeline_definition.operations.monitor import DEFAULT_POLL_INTERVAL, Clock, SystemClock
from project.settings import Settings, SettingsError, project_settings

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

STATUS_COMMAND = "python -m pipeline_definition status"


def positive_float(text: str) -> float:
    """argparse type: a number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from error
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than zero")
    return value


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """--profile and --region (defaults: AWS_PROFILE, AWS_REGION, then the app's region)."""
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or the default)")
    parser.add_argument(
        "--region",
        help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, cdk.json's)",
    )


def add_follow_arguments(parser: argparse.ArgumentParser, *, flag: str) -> None:
    """--timeout and --poll-interval, which apply when `flag` asks to follow an execution."""
    parser.add_argument(
        "--timeout",
        type=positive_float,
        metavar="SECONDS",
        help=f"with {flag}: stop following after this long (exit 3; the run goes on)",
    )
    parser.add_argument(
        "--poll-interval",
        type=positive_float,
        default=DEFAULT_POLL_INTERVAL,
        metavar="S",
        help=f"with {flag}: first delay between polls, growing x1.5 to 60 s "
        f"(default {DEFAULT_POLL_INTERVAL:g})",
    )


def add_pipeline_argument(parser: argparse.ArgumentParser) -> None:
    """--pipeline-name (default: the app's pipeline, honouring PIPELINE_NAME)."""
    parser.add_argument(
        "--pipeline-name",
        help="the pipeline (default: the app's, from cdk.json or PIPELINE_NAME)",
    )


def app_settings(environ: Mapping[str, str]) -> Settings:
    """The app's settings, as `cdk synth` reads them; OperationError for a bad setting."""
    try:
        return project_settings(environ)
    except SettingsError as error:
        raise OperationError(str(error)) from error


@dataclass(frozen=True)
class Target:
    """The client to use and where it points."""

    client: SageMakerClient
    region: str


def connect(
    args: argparse.Namespace,
    settings: Settings,
    environ: Mapping[str, str],
    client: SageMakerClient | None = None,
) -> Target:
    """A client from the arguments and environment, unless one is given (tests)."""
    if client is None:
        client = sagemaker_client(
            profile=args.profile,
            region=args.region,
            fallback_region=settings.region,
            environ=environ,
        )
    return Target(client=client, region=client.meta.region_name)


@dataclass(frozen=True)
class Operation:
    """What an operating command works with: where it prints, the time, settings, the client."""

    console: Console
    clock: Clock
    environ: Mapping[str, str]
    settings: Settings
    target: Target
    # CloudWatch Logs, made on first use with the same profile and region (job logs).
    logs: Callable[[], Any]


def operate(
    args: argparse.Namespace,
    *,
    client: SageMakerClient | None = None,
    clock: Clock | None = None,
    console: Console | None = None,
    environ: Mapping[str, str] | None = None,
    default_region: str | None = None,
    logs: Any = None,
) -> Operation:
    """Read the app's settings and connect; the keyword arguments are for tests.

    `default_region` (the region of an execution ARN, say) applies when neither --region nor
    AWS_REGION chooses one.
    """
    environ = os.environ if environ is None else environ
    settings = app_settings(environ)
    if default_region and args.region is None and not environ.get("AWS_REGION"):
        args.region = default_region
    target = connect(args, settings, environ, client)
    known = environ

    @cache
    def logs_factory() -> Any:
        if logs is not None:
            return logs
        return logs_client(profile=args.profile, region=target.region, environ=known)

    return Operation(
        console=console or Console(soft_wrap=True),
        clock=clock or SystemClock(),
        environ=environ,
        settings=settings,
        target=target,
        logs=logs_factory,
    )
