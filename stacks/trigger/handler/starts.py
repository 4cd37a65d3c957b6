"""The steps from one event to one StartPipelineExecution, shared by both flows.

`run_event` is the flow for one event (`handler.handle`): parse, screen, build the request,
skip what a running execution covers, look up the champion, start. The batch flow (`batch`)
reuses the same pieces for the runs it starts from a queue's records. Each step answers, or
raises `RejectedEventError` (parked, not retried), or lets a retryable AWS error propagate.
"""

from __future__ import annotations

import re
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from project.run_parameters import INPUT_DATA, INPUT_VERSION, ParameterError

from .aws_errors import error_code, is_retryable
from .champion import with_champion
from .config import TriggerConfig
from .events import MalformedEventError, ManualRun, ObjectCreated, TriggerEvent, parse_event
from .logs import logger
from .parking import MessageQueue, bounded, parked_body
from .run_requests import RunRequest, foreign_bucket_reason, ignore_reason, run_request
from .running import running_duplicate

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

DESCRIPTION_MAX_LENGTH = 3072


class Status(StrEnum):
    """What became of an event."""

    STARTED = "started"
    IGNORED = "ignored"
    SKIPPED = "skipped"
    REJECTED = "rejected"


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


def result(status: Status, config: TriggerConfig, **fields: Any) -> dict[str, Any]:
    """An answer: the status, the pipeline and the fields that are set."""
    answer = {"status": str(status), "pipeline": config.pipeline_name}
    answer.update({key: value for key, value in fields.items() if value is not None})
    return answer


def park(
    event: object,
    request_id: str,
    config: TriggerConfig,
    queue: MessageQueue | None,
    rejection: RejectedEventError,
) -> dict[str, Any]:
    """Log a non-retryable failure, park the event with its reason, answer `rejected`.

    A failed SendMessage propagates: the caller hands the event back for another try instead.
    """
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
            logger.exception("Could not park the rejected event", extra={"error_code": code})
            raise
        parked = True
        logger.info("Rejected event parked in the failed-events queue", extra={"reason": reason})
    return result(Status.REJECTED, config, reason=reason, error_code=code, parked=parked)


def parse(event: object) -> TriggerEvent:
    """The parsed event; RejectedEventError for a malformed one."""
    try:
        return parse_event(event)
    except MalformedEventError as error:
        raise RejectedEventError(f"malformed event: {error}", "MalformedEvent") from error


def screen(parsed: TriggerEvent, config: TriggerConfig) -> dict[str, Any] | None:
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
        return result(Status.IGNORED, config, reason=reason, input_data=parsed.s3_uri)
    return None


def request_for(parsed: TriggerEvent, request_id: str, config: TriggerConfig) -> RunRequest:
    """The run an accepted event asks for; RejectedEventError for bad parameters."""
    try:
        request = run_request(parsed, request_id, config)
    except ParameterError as error:
        raise RejectedEventError(f"invalid parameters: {error}", "InvalidParameters") from error
    bind_request(request)
    return request


def bind_request(request: RunRequest) -> None:
    """Put the request's token, trigger and input on the following log lines."""
    logger.bind(
        token=request.token,
        trigger=request.trigger,
        input_data=request.parameters.get(INPUT_DATA),
        input_version=request.parameters.get(INPUT_VERSION),
    )


def skip_if_covered(
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
    return result(Status.SKIPPED, config, reason=reason, execution_arn=running, token=request.token)


def start(request: RunRequest, config: TriggerConfig, sagemaker: SageMakerClient) -> str:
    """StartPipelineExecution with the request's token; the execution's ARN."""
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


def start_with_champion(
    request: RunRequest, config: TriggerConfig, sagemaker: SageMakerClient
) -> dict[str, Any]:
    """Look up the champion, then start (steps 5-6): the `started` answer.

    One lookup per start, so each run compares with the champion of the moment it starts. AWS
    errors propagate: callers classify them with `classify`.
    """
    request = replace(
        request,
        parameters=with_champion(request.parameters, sagemaker, config.parameters, logger),
    )
    execution_arn = start(request, config, sagemaker)
    logger.info("Pipeline execution started", extra={"execution_arn": execution_arn})
    return result(
        Status.STARTED,
        config,
        execution_arn=execution_arn,
        token=request.token,
        parameters=request.parameters,
    )


def classify(error: ClientError | BotoCoreError, what: str, *, expected: bool = False) -> NoReturn:
    """Re-raise a retryable AWS error (logged); turn any other into RejectedEventError.

    An `expected` one (the batch flow meets the quota in every burst) is a warning with the
    error's message; otherwise an error with its traceback.
    """
    code = error_code(error)
    if is_retryable(error):
        if expected:
            logger.warning(
                f"Retryable AWS error; {what}",
                extra={"error_code": code, "error_message": bounded(str(error), 300)},
            )
        else:
            logger.exception(f"Retryable AWS error; {what}", extra={"error_code": code})
        raise error
    raise RejectedEventError(f"{code}: {error}", code) from error


def run_event(
    event: object,
    request_id: str,
    config: TriggerConfig,
    sagemaker: SageMakerClient,
    *,
    retry_note: str = "raising so the invocation is retried",
    retry_expected: bool = False,
) -> dict[str, Any]:
    """Steps 1-6 for one event: the answer, or RejectedEventError, or a retryable AWS error."""
    parsed = parse(event)
    answer = screen(parsed, config)
    if answer is not None:
        return answer
    request = request_for(parsed, request_id, config)
    try:
        answer = skip_if_covered(request, config, sagemaker)
        return answer if answer is not None else start_with_champion(request, config, sagemaker)
    except (ClientError, BotoCoreError) as error:
        classify(error, retry_note, expected=retry_expected)
