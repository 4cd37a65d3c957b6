"""The trigger: a new raw CSV file (or a schedule, or a manual request) starts a pipeline run.

Environment (set by the `PipelineTrigger` construct):

| variable | meaning |
| --- | --- |
| PIPELINE_NAME | the pipeline to start |
| RAW_DATA_PREFIX | only objects below this key prefix start a run |
| PIPELINE_PARAMETERS | JSON list of the declared parameters: Name, Type, EnumValues |
| SKIP_IF_RUNNING | `true`: do not start when an execution with the same InputData is running |
| FAILED_EVENTS_QUEUE_URL | where events that cannot succeed are parked (optional) |
| MODEL_PACKAGE_GROUP_NAME, CHAMPION_MODELS_PREFIX | the champion lookup (`champion.py`) |

Logs go through the standard `logging` module; the function is set to Lambda's JSON log format,
whose formatter writes each record's `extra` keys as fields, so every line carries the keys bound
for the invocation (pipeline, request, object, token). The log level is the function's
application log level.

Every invocation returns a result (`status`: started, ignored, skipped or rejected) or raises:
it raises only for errors worth retrying (see `aws_errors`), so Lambda's asynchronous retries
and then the on-failure destination take over. Events that would fail the same way again
(malformed, bad parameters, validation or permission errors) are logged, parked in the
failed-events queue with the reason, and answered with `status: rejected`: nothing is lost,
and nothing is retried in vain.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from project.run_parameters import (
    INPUT_DATA,
    INPUT_VERSION,
    ParameterError,
    ParameterSpec,
    check_values,
    decode_specs,
    object_version,
)

from .aws_errors import error_code, is_retryable
from .champion import refuse_champion, with_champion
from .events import (
    SUPPORTED_SUFFIXES,
    MalformedEventError,
    ManualRun,
    ObjectCreated,
    ScheduledRun,
    TriggerEvent,
    parse_event,
)
from .tokens import manual_token, object_token, scheduled_token

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

EXECUTING = "Executing"
# The skip-if-running check looks at this many of the newest executions: a run still going
# after a hundred newer starts is not one a new file should wait for.
RUNNING_SCAN_LIMIT = 100
DESCRIPTION_MAX_LENGTH = 3072
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
REQUIRED_VARIABLES = ("PIPELINE_NAME", "RAW_DATA_PREFIX", "PIPELINE_PARAMETERS")
# boto3's standard mode retries throttling and 5xx a few times before we classify the error.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=15
)


class InvocationLog(logging.LoggerAdapter[logging.Logger]):
    """Adds the keys bound for this invocation to every record's `extra`."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.getLogger(name), {})

    def bind(self, **fields: object) -> None:
        """Add keys to every following record (until `clear`); None values are left out."""
        self.extra = {**(self.extra or {}), **_present(fields)}

    def clear(self) -> None:
        """Forget the bound keys (at the start of each invocation)."""
        self.extra = {}

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        """Merge the bound keys under the record's own `extra`."""
        kwargs["extra"] = {**(self.extra or {}), **_present(kwargs.get("extra") or {})}
        return msg, kwargs


def _present(fields: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in fields.items() if value is not None}


logger = InvocationLog("pipeline_trigger")


class Status(StrEnum):
    """What an invocation did."""

    STARTED = "started"
    IGNORED = "ignored"
    SKIPPED = "skipped"
    REJECTED = "rejected"


class ConfigurationError(RuntimeError):
    """The function's environment is wrong: a deployment problem, raised so it is noticed."""


class LambdaContext(Protocol):
    """The part of the Lambda context object the handler uses."""

    aws_request_id: str


class MessageQueue(Protocol):
    """The part of an SQS client the handler uses."""

    def send_message(self, **kwargs: str) -> Mapping[str, Any]:
        """Send one message."""
        ...


@dataclass(frozen=True)
class TriggerConfig:
    """The function's configuration, read once from its environment."""

    pipeline_name: str
    raw_data_prefix: str
    parameters: Mapping[str, ParameterSpec]
    skip_if_running: bool = False
    failed_events_queue_url: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TriggerConfig:
        """Read and check the environment; raise ConfigurationError naming what is wrong."""
        missing = [name for name in REQUIRED_VARIABLES if not environ.get(name, "").strip()]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        try:
            specs = decode_specs(environ["PIPELINE_PARAMETERS"])
        except ParameterError as error:
            raise ConfigurationError(f"PIPELINE_PARAMETERS: {error}") from error
        if INPUT_DATA not in specs or specs[INPUT_DATA].type != "String":
            raise ConfigurationError(f"PIPELINE_PARAMETERS must declare {INPUT_DATA} as a String")
        return cls(
            pipeline_name=environ["PIPELINE_NAME"].strip(),
            raw_data_prefix=environ["RAW_DATA_PREFIX"].strip(),
            parameters=specs,
            skip_if_running=environ.get("SKIP_IF_RUNNING", "").strip().lower() in TRUE_VALUES,
            failed_events_queue_url=environ.get("FAILED_EVENTS_QUEUE_URL", "").strip() or None,
        )


@dataclass(frozen=True)
class RunRequest:
    """One StartPipelineExecution request, fully determined by the event."""

    trigger: str
    token: str
    description: str
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        """A display name that tells runs apart in the console (letters, digits, hyphens)."""
        return f"{self.trigger}-{self.token[:16]}"


def ignore_reason(obj: ObjectCreated, raw_data_prefix: str) -> str | None:
    """Why a new object does not start a run, or None when it should."""
    if not obj.key.startswith(raw_data_prefix):
        return f"key is outside the raw data prefix {raw_data_prefix}"
    if not obj.key.endswith(SUPPORTED_SUFFIXES):
        return f"key does not end with {' or '.join(SUPPORTED_SUFFIXES)}"
    if obj.size == 0:
        return "object is empty (0 bytes)"
    return None


def object_parameters(event: ObjectCreated, config: TriggerConfig) -> dict[str, str]:
    """InputData, and InputVersion (version id, else ETag) when the pipeline declares it."""
    values = {INPUT_DATA: event.s3_uri}
    version = object_version(event.version_id, event.etag)
    # SageMaker caches on a step's arguments, not on the data: the version makes a new upload
    # of the same key a cache miss.
    if version is not None and INPUT_VERSION in config.parameters:
        values[INPUT_VERSION] = version
    return check_values(values, config.parameters)


def run_request(event: TriggerEvent, request_id: str, config: TriggerConfig) -> RunRequest:
    """The request an accepted event makes; raise ParameterError for bad manual parameters."""
    if isinstance(event, ObjectCreated):
        parameters = object_parameters(event, config)
        version = f"version {event.version_id}" if event.version_id else "unversioned"
        return RunRequest(
            trigger="object",
            token=object_token(
                config.pipeline_name, event.bucket, event.key, event.version_id, event.sequencer
            ),
            description=f"New object {event.s3_uri} ({version}, {event.size} bytes)",
            parameters=parameters,
        )
    if isinstance(event, ScheduledRun):
        return RunRequest(
            trigger="schedule",
            token=scheduled_token(config.pipeline_name, event.event_id),
            description=f"Scheduled start at {event.time} ({', '.join(event.resources)})",
        )
    refuse_champion(event.parameters)
    parameters = check_values(event.parameters, config.parameters)
    return RunRequest(
        trigger="manual",
        token=manual_token(config.pipeline_name, parameters, request_id),
        description=f"Manual start (Lambda request {request_id})",
        parameters=parameters,
    )


def _default_input_data(sagemaker: SageMakerClient, pipeline_name: str) -> str | None:
    definition = json.loads(
        sagemaker.describe_pipeline(PipelineName=pipeline_name)["PipelineDefinition"]
    )
    for parameter in definition.get("Parameters", []):
        if parameter.get("Name") == INPUT_DATA:
            default = parameter.get("DefaultValue")
            return str(default) if default is not None else None
    return None


def _execution_input_data(sagemaker: SageMakerClient, execution_arn: str) -> str | None:
    paginator = sagemaker.get_paginator("list_pipeline_parameters_for_execution")
    for page in paginator.paginate(PipelineExecutionArn=execution_arn):
        for parameter in page.get("PipelineParameters", []):
            if parameter["Name"] == INPUT_DATA:
                return parameter["Value"]
    return None


def running_execution_with_same_input(
    sagemaker: SageMakerClient, pipeline_name: str, input_data: str | None
) -> str | None:
    """The ARN of an Executing run whose InputData equals `input_data` (None: the default)."""
    default: str | None = None
    default_known = False

    def effective(value: str | None) -> str | None:
        nonlocal default, default_known
        if value is not None:
            return value
        if not default_known:
            default, default_known = _default_input_data(sagemaker, pipeline_name), True
        return default

    paginator = sagemaker.get_paginator("list_pipeline_executions")
    pages = paginator.paginate(
        PipelineName=pipeline_name,
        SortBy="CreationTime",
        SortOrder="Descending",
        PaginationConfig={"MaxItems": RUNNING_SCAN_LIMIT, "PageSize": 50},
    )
    for page in pages:
        for summary in page.get("PipelineExecutionSummaries", []):
            if summary.get("PipelineExecutionStatus") != EXECUTING:
                continue
            arn = summary["PipelineExecutionArn"]
            if effective(_execution_input_data(sagemaker, arn)) == effective(input_data):
                return arn
    return None


def _result(status: Status, config: TriggerConfig, **fields: Any) -> dict[str, Any]:
    result = {"status": str(status), "pipeline": config.pipeline_name}
    result.update({key: value for key, value in fields.items() if value is not None})
    return result


def _reject(
    event: object,
    request_id: str,
    config: TriggerConfig,
    queue: MessageQueue | None,
    *,
    reason: str,
    code: str,
) -> dict[str, Any]:
    """Log a non-retryable failure, park the event with its reason, answer `rejected`."""
    logger.error(
        "Event rejected; it will not be retried", extra={"reason": reason, "error_code": code}
    )
    parked = False
    if queue is not None and config.failed_events_queue_url:
        body = json.dumps(
            {
                "reason": reason,
                "error_code": code,
                "pipeline": config.pipeline_name,
                "request_id": request_id,
                "event": event,
            },
            default=str,
        )
        try:
            queue.send_message(QueueUrl=config.failed_events_queue_url, MessageBody=body)
        except (ClientError, BotoCoreError):
            # Raising hands the event to Lambda's retries and on-failure destination instead.
            logger.exception("Could not park the rejected event", extra={"error_code": code})
            raise
        parked = True
        logger.info("Rejected event parked in the failed-events queue", extra={"reason": reason})
    return _result(Status.REJECTED, config, reason=reason, error_code=code, parked=parked)


def handle(
    event: object,
    request_id: str,
    *,
    config: TriggerConfig,
    sagemaker: SageMakerClient,
    queue: MessageQueue | None = None,
) -> dict[str, Any]:
    """Process one event; raise only errors worth retrying."""
    logger.clear()
    logger.bind(pipeline=config.pipeline_name, request_id=request_id)
    try:
        parsed = parse_event(event)
    except MalformedEventError as error:
        return _reject(
            event,
            request_id,
            config,
            queue,
            reason=f"malformed event: {error}",
            code="MalformedEvent",
        )

    if isinstance(parsed, ObjectCreated):
        logger.bind(bucket=parsed.bucket, key=parsed.key, version_id=parsed.version_id)
        reason = ignore_reason(parsed, config.raw_data_prefix)
        if reason is not None:
            logger.info("Object ignored", extra={"reason": reason, "size": parsed.size})
            return _result(Status.IGNORED, config, reason=reason, input_data=parsed.s3_uri)
    elif isinstance(parsed, ManualRun):
        logger.bind(trigger="manual")

    try:
        request = run_request(parsed, request_id, config)
    except ParameterError as error:
        return _reject(
            event,
            request_id,
            config,
            queue,
            reason=f"invalid parameters: {error}",
            code="InvalidParameters",
        )
    input_data = request.parameters.get(INPUT_DATA)
    logger.bind(
        token=request.token,
        trigger=request.trigger,
        input_data=input_data,
        input_version=request.parameters.get(INPUT_VERSION),
    )

    try:
        if config.skip_if_running:
            running = running_execution_with_same_input(sagemaker, config.pipeline_name, input_data)
            if running is not None:
                reason = "an execution with the same InputData is already Executing"
                logger.info("Start skipped", extra={"reason": reason, "execution_arn": running})
                return _result(
                    Status.SKIPPED,
                    config,
                    reason=reason,
                    execution_arn=running,
                    token=request.token,
                )
        parameters = with_champion(request.parameters, sagemaker, config.parameters, logger)
        response = sagemaker.start_pipeline_execution(
            PipelineName=config.pipeline_name,
            PipelineExecutionDisplayName=request.display_name,
            PipelineExecutionDescription=request.description[:DESCRIPTION_MAX_LENGTH],
            PipelineParameters=[{"Name": n, "Value": v} for n, v in parameters.items()],
            ClientRequestToken=request.token,
        )
    except (ClientError, BotoCoreError) as error:
        code = error_code(error)
        if is_retryable(error):
            logger.exception(
                "Retryable AWS error; raising so the invocation is retried",
                extra={"error_code": code},
            )
            raise
        return _reject(event, request_id, config, queue, reason=f"{code}: {error}", code=code)

    execution_arn = response["PipelineExecutionArn"]
    logger.info("Pipeline execution started", extra={"execution_arn": execution_arn})
    return _result(
        Status.STARTED,
        config,
        execution_arn=execution_arn,
        token=request.token,
        parameters=parameters,
    )


@cache
def _config() -> TriggerConfig:
    return TriggerConfig.from_environ(os.environ)


def _region() -> str | None:
    # Lambda sets AWS_REGION (and AWS_DEFAULT_REGION); botocore itself reads only the latter.
    return os.environ.get("AWS_REGION") or None


@cache
def _sagemaker() -> SageMakerClient:
    return boto3.client("sagemaker", region_name=_region(), config=CLIENT_CONFIG)


@cache
def _queue() -> MessageQueue:
    return cast(MessageQueue, boto3.client("sqs", region_name=_region(), config=CLIENT_CONFIG))


def reset() -> None:
    """Forget the cached configuration and clients (after the environment changes)."""
    for cached in (_config, _sagemaker, _queue):
        cached.cache_clear()


def lambda_handler(event: object, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point; clients are created on first use and reused by the sandbox."""
    config = _config()
    queue = _queue() if config.failed_events_queue_url else None
    return handle(event, context.aws_request_id, config=config, sagemaker=_sagemaker(), queue=queue)
