"""The trigger: a new raw CSV file (or a schedule, or a manual request) starts a pipeline run.

Configuration comes from the environment the construct sets (see `config`). Logs go through
the standard `logging` module in Lambda's JSON log format, every line carrying the keys bound
for the invocation (see `logs`).

One event goes through `handle`, which answers with a result (`status`: started, ignored,
skipped or rejected) or raises. The steps are small functions of the event, so a caller that
receives events in batches (an SQS queue in front of the function) can run `handle` per record:

1. parse the event (`events`); a malformed one is rejected;
2. an object from another bucket is rejected; one outside the raw prefix, with another suffix
   or empty is ignored with the reason (`run_requests`);
3. build the request: parameters checked against the declarations, the idempotency token
   (`run_requests`, `tokens`); bad parameters are rejected;
4. with SKIP_IF_RUNNING, a start that an Executing run already covers (same InputData and
   InputVersion) is skipped with that run's ARN (`running`);
5. look up the champion, the newest Approved model this pipeline trained, and pass it as
   ChampionModelData when the pipeline declares it (`champion`);
6. start the execution.

It raises only for errors worth retrying (see `aws_errors`), so Lambda's asynchronous retries
and then the on-failure destination take over. Events that would fail the same way again
(malformed, foreign bucket, bad parameters, validation or permission errors) are logged, parked
in the failed-events queue with the reason (`parking`, size-bounded), and answered with
`status: rejected`: nothing is lost, and nothing is retried in vain.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from project.run_parameters import INPUT_DATA, INPUT_VERSION, ParameterError

from .aws_errors import error_code, is_retryable
from .champion import with_champion
from .config import ConfigurationError, TriggerConfig
from .events import MalformedEventError, ManualRun, ObjectCreated, TriggerEvent, parse_event
from .logs import logger
from .parking import MessageQueue, bounded, parked_body
from .run_requests import RunRequest, foreign_bucket_reason, ignore_reason, run_request
from .running import running_duplicate

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

__all__ = ["ConfigurationError", "TriggerConfig", "handle", "lambda_handler", "reset"]

DESCRIPTION_MAX_LENGTH = 3072
# boto3's standard mode retries throttling and 5xx a few times before we classify the error.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=15
)


class Status(StrEnum):
    """What an invocation did."""

    STARTED = "started"
    IGNORED = "ignored"
    SKIPPED = "skipped"
    REJECTED = "rejected"


class LambdaContext(Protocol):
    """The part of the Lambda context object the handler uses."""

    aws_request_id: str


class RejectedEventError(Exception):
    """An event that will fail the same way again: parked with `reason`, not retried.

    The reason is one bounded line: a message that lists choices one a line (the declared
    parameters) is joined with `; `, and a long one is cut (see `parking.bounded`).
    """

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = bounded(one_line(reason))
        self.code = code


def one_line(text: str) -> str:
    """`text` on one line: `a:\n  b\n  c` becomes `a: b; c`."""
    joined = re.sub(r":[ \t]*(\r?\n)\s*", ": ", text.strip())
    return re.sub(r"[ \t]*(\r?\n)\s*", "; ", joined)


def _result(status: Status, config: TriggerConfig, **fields: Any) -> dict[str, Any]:
    result = {"status": str(status), "pipeline": config.pipeline_name}
    result.update({key: value for key, value in fields.items() if value is not None})
    return result


def _park(
    event: object,
    request_id: str,
    config: TriggerConfig,
    queue: MessageQueue | None,
    rejection: RejectedEventError,
) -> dict[str, Any]:
    """Log a non-retryable failure, park the event with its reason, answer `rejected`."""
    reason, code = rejection.reason, rejection.code
    logger.error(
        "Event rejected; it will not be retried", extra={"reason": reason, "error_code": code}
    )
    parked = False
    if queue is not None and config.failed_events_queue_url:
        body = parked_body(
            event, reason=reason, code=code, pipeline=config.pipeline_name, request_id=request_id
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


def _parse(event: object) -> TriggerEvent:
    try:
        return parse_event(event)
    except MalformedEventError as error:
        raise RejectedEventError(f"malformed event: {error}", "MalformedEvent") from error


def _screen(parsed: TriggerEvent, config: TriggerConfig) -> dict[str, Any] | None:
    """Refuse objects from another bucket; the `ignored` answer for objects that start nothing."""
    if isinstance(parsed, ManualRun):
        logger.bind(trigger="manual")
    if not isinstance(parsed, ObjectCreated):
        return None
    logger.bind(bucket=parsed.bucket, key=parsed.key, version_id=parsed.version_id)
    foreign = foreign_bucket_reason(parsed, config.data_bucket)
    if foreign is not None:
        raise RejectedEventError(foreign, "ForeignBucket")
    reason = ignore_reason(parsed, config.raw_data_prefix)
    if reason is not None:
        logger.info("Object ignored", extra={"reason": reason, "size": parsed.size})
        return _result(Status.IGNORED, config, reason=reason, input_data=parsed.s3_uri)
    return None


def _request(parsed: TriggerEvent, request_id: str, config: TriggerConfig) -> RunRequest:
    try:
        request = run_request(parsed, request_id, config)
    except ParameterError as error:
        raise RejectedEventError(f"invalid parameters: {error}", "InvalidParameters") from error
    logger.bind(
        token=request.token,
        trigger=request.trigger,
        input_data=request.parameters.get(INPUT_DATA),
        input_version=request.parameters.get(INPUT_VERSION),
    )
    return request


def _skip_if_covered(
    request: RunRequest, config: TriggerConfig, sagemaker: SageMakerClient
) -> dict[str, Any] | None:
    """With SKIP_IF_RUNNING, the `skipped` answer when an Executing run reads the same version."""
    if not config.skip_if_running:
        return None
    running = running_duplicate(sagemaker, config.pipeline_name, request.parameters)
    if running is None:
        return None
    reason = "an execution with the same InputData and InputVersion is already Executing"
    logger.info("Start skipped", extra={"reason": reason, "execution_arn": running})
    return _result(
        Status.SKIPPED, config, reason=reason, execution_arn=running, token=request.token
    )


def _start(request: RunRequest, config: TriggerConfig, sagemaker: SageMakerClient) -> str:
    response = sagemaker.start_pipeline_execution(
        PipelineName=config.pipeline_name,
        PipelineExecutionDisplayName=request.display_name,
        PipelineExecutionDescription=request.description[:DESCRIPTION_MAX_LENGTH],
        PipelineParameters=[
            {"Name": name, "Value": value} for name, value in request.parameters.items()
        ],
        ClientRequestToken=request.token,
    )
    return response["PipelineExecutionArn"]


def _run(
    event: object, request_id: str, config: TriggerConfig, sagemaker: SageMakerClient
) -> dict[str, Any]:
    """Steps 1-6: the answer, or RejectedEventError, or a retryable AWS error."""
    parsed = _parse(event)
    answer = _screen(parsed, config)
    if answer is not None:
        return answer
    request = _request(parsed, request_id, config)
    try:
        answer = _skip_if_covered(request, config, sagemaker)
        if answer is not None:
            return answer
        request = replace(
            request,
            parameters=with_champion(request.parameters, sagemaker, config.parameters, logger),
        )
        execution_arn = _start(request, config, sagemaker)
    except (ClientError, BotoCoreError) as error:
        code = error_code(error)
        if is_retryable(error):
            logger.exception(
                "Retryable AWS error; raising so the invocation is retried",
                extra={"error_code": code},
            )
            raise
        raise RejectedEventError(f"{code}: {error}", code) from error
    logger.info("Pipeline execution started", extra={"execution_arn": execution_arn})
    return _result(
        Status.STARTED,
        config,
        execution_arn=execution_arn,
        token=request.token,
        parameters=request.parameters,
    )


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
        return _run(event, request_id, config, sagemaker)
    except RejectedEventError as rejection:
        return _park(event, request_id, config, queue, rejection)


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
