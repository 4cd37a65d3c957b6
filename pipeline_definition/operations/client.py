"""The SageMaker client, configured the way the AWS CLI is, and readable AWS errors.

Region: `--region`, then AWS_REGION, then AWS_DEFAULT_REGION or the profile's region, then the
region the app deploys to (`cdk.json`). Credentials and profile: boto3's usual chain, with
`--profile` overriding AWS_PROFILE. AWS_ENDPOINT_URL (for example a moto server) is read by
boto3 itself. A region that is no host name, an AWS_MAX_ATTEMPTS that is no whole number or an
AWS_ENDPOINT_URL that is no http(s) URL stops with one line naming it, before any client exists.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from pipeline_definition.operations import OperationError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

DEFAULT_MAX_ATTEMPTS = 5
RetryMode = Literal["legacy", "standard", "adaptive"]
RETRY_MODES: dict[str, RetryMode] = {
    "legacy": "legacy",
    "standard": "standard",
    "adaptive": "adaptive",
}
MESSAGE_MAX_LENGTH = 300
NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException"})
# What botocore accepts as a region (a host label); anything else it refuses with a traceback.
REGION_PATTERN = re.compile(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")


def check_connection_settings(region: str | None, environ: Mapping[str, str]) -> None:
    """OperationError naming a region, AWS_MAX_ATTEMPTS or AWS_ENDPOINT_URL botocore refuses."""
    if region is not None and not REGION_PATTERN.match(region):
        raise OperationError(
            f"region {region!r} is not a region name such as us-east-1 (--region, AWS_REGION, "
            "AWS_DEFAULT_REGION or the profile's region)"
        )
    attempts = environ.get("AWS_MAX_ATTEMPTS", "").strip()
    if attempts and not (attempts.isdigit() and int(attempts) >= 1):
        raise OperationError(f"AWS_MAX_ATTEMPTS {attempts!r} is not a whole number of at least 1")
    endpoint = environ.get("AWS_ENDPOINT_URL", "").strip()
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in endpoint:
            raise OperationError(
                f"AWS_ENDPOINT_URL {endpoint!r} is not an http(s) URL such as http://127.0.0.1:5000"
            )


def sagemaker_client(
    *,
    profile: str | None,
    region: str | None,
    fallback_region: str,
    environ: Mapping[str, str] | None = None,
) -> SageMakerClient:
    """A SageMaker client (region: `client.meta.region_name`); OperationError if no profile."""
    environ = os.environ if environ is None else environ
    explicit = region or environ.get("AWS_REGION") or None
    check_connection_settings(explicit, environ)
    try:
        session = boto3.Session(profile_name=profile or None, region_name=explicit)
        region_name = session.region_name or fallback_region
    except ProfileNotFound as error:
        raise OperationError(f"AWS profile not found: {error}") from error
    check_connection_settings(region_name, environ)
    with client_errors():
        return session.client("sagemaker", region_name=region_name, config=client_config(environ))


def s3_client(*, profile: str | None, region: str, environ: Mapping[str, str]) -> S3Client:
    """An S3 client with the same profile and region as the SageMaker one (InputVersion)."""
    client: S3Client = _client("s3", profile=profile, region=region, environ=environ)
    return client


def logs_client(*, profile: str | None, region: str, environ: Mapping[str, str]) -> Any:
    """A CloudWatch Logs client with the SageMaker one's profile and region (job logs)."""
    return _client("logs", profile=profile, region=region, environ=environ)


def _client(service: str, *, profile: str | None, region: str, environ: Mapping[str, str]) -> Any:
    check_connection_settings(region, environ)
    try:
        session = boto3.Session(profile_name=profile or None, region_name=region)
    except ProfileNotFound as error:
        raise OperationError(f"AWS profile not found: {error}") from error
    with client_errors():
        return session.client(service, region_name=region, config=client_config(environ))  # type: ignore[call-overload]


@contextmanager
def client_errors() -> Iterator[None]:
    """What botocore refuses when it makes a client (settings the checks above missed)."""
    try:
        yield
    except (BotoCoreError, ValueError) as error:
        raise OperationError(f"cannot make an AWS client: {_first_line(str(error))}") from error


def client_config(environ: Mapping[str, str]) -> Config:
    """Standard retries and short connect timeouts; AWS_MAX_ATTEMPTS / AWS_RETRY_MODE win."""
    mode: RetryMode = RETRY_MODES.get(environ.get("AWS_RETRY_MODE", "").strip(), "standard")
    if environ.get("AWS_MAX_ATTEMPTS"):
        return Config(retries={"mode": mode}, connect_timeout=5, read_timeout=30)
    return Config(
        retries={"mode": mode, "total_max_attempts": DEFAULT_MAX_ATTEMPTS},
        connect_timeout=5,
        read_timeout=30,
    )


def _first_line(message: str) -> str:
    # Proxies and emulators answer some failures with an HTML page; one line is enough.
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if first.startswith("<"):
        return "the endpoint answered with an HTML error page"
    return first[:MESSAGE_MAX_LENGTH]


def is_not_found(error: BaseException) -> bool:
    """True for SageMaker's "no such resource" answers (its code, or its wording)."""
    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code", "Unknown")
    lowered = str(error.response.get("Error", {}).get("Message") or error).lower()
    does_not_exist = any(
        text in lowered for text in ("does not exist", "not found", "could not find")
    )
    return code in NOT_FOUND_CODES or does_not_exist


def _explain_client_error(error: ClientError, pipeline_name: str | None, where: str) -> str:
    code = error.response.get("Error", {}).get("Code", "Unknown")
    message = _first_line(error.response.get("Error", {}).get("Message") or str(error))
    if pipeline_name and is_not_found(error):
        return (
            f"pipeline {pipeline_name!r} not found{where}: deploy it with `cdk deploy`, or "
            "pass --pipeline-name / --region for another one"
        )
    return f"{code}: {message}"


def explain(
    error: Exception, *, pipeline_name: str | None = None, region: str | None = None
) -> str:
    """One line that says what went wrong and what to do about it."""
    where = f" in {region}" if region else ""
    if isinstance(error, ClientError):
        return _explain_client_error(error, pipeline_name, where)
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE (or pass --profile), or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
        )
    if isinstance(error, NoRegionError):
        return "no AWS region: set AWS_REGION or pass --region"
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "the SageMaker endpoint")
        return f"cannot reach {endpoint}{where}: {error} (check the network and AWS_ENDPOINT_URL)"
    return f"{type(error).__name__}: {error}"


@contextmanager
def aws_errors(*, pipeline_name: str | None = None, region: str | None = None) -> Iterator[None]:
    """Turn botocore errors raised inside the block into an OperationError with advice."""
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise OperationError(explain(error, pipeline_name=pipeline_name, region=region)) from error
