"""The trigger: new raw CSV files (or a schedule, or a manual request) start pipeline runs.

Configuration comes from the environment the construct sets (see `config`). Logs go through
the standard `logging` module in Lambda's JSON log format, every line carrying the keys bound
for the invocation (see `logs`).

Two flows share the same steps (`starts`):

* The queue's batches (`batch`): the EventBridge rules send to an SQS queue that Lambda reads
  with a batching window, so a burst of uploads arrives as one batch; the objects of each folder
  become one run over a manifest that lists them, and what cannot start now (the account's
  concurrent-execution quota, throttling) goes back to the queue with a growing delay.
* One event (`handle`), for a direct invocation: a manual request, or an event sent by hand.
  It answers with a result (`status`: started, ignored, skipped or rejected) or raises:

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
  (malformed, foreign bucket, bad parameters, validation or permission errors) are logged,
  parked in the failed-events queue with the reason (`parking`, size-bounded), and answered with
  `status: rejected`: nothing is lost, and nothing is retried in vain.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast

import boto3
from botocore.config import Config

from .batch import BatchClients, BatchQueue, handle_batch
from .config import ConfigurationError, TriggerConfig
from .logs import logger
from .parking import MessageQueue
from .records import is_queue_event
from .starts import RejectedEventError, park, run_event

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

__all__ = ["ConfigurationError", "TriggerConfig", "handle", "lambda_handler", "reset"]

# boto3's standard mode retries throttling and 5xx a few times before we classify the error.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=15
)


class LambdaContext(Protocol):
    """The part of the Lambda context object the handler uses."""

    aws_request_id: str


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
        return run_event(event, request_id, config, sagemaker)
    except RejectedEventError as rejection:
        return park(event, request_id, config, queue, rejection)


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
def _queue() -> BatchQueue:
    return cast(BatchQueue, boto3.client("sqs", region_name=_region(), config=CLIENT_CONFIG))


@cache
def _s3() -> S3Client:
    return boto3.client("s3", region_name=_region(), config=CLIENT_CONFIG)


def reset() -> None:
    """Forget the cached configuration and clients (after the environment changes)."""
    for cached in (_config, _sagemaker, _queue, _s3):
        cached.cache_clear()


def lambda_handler(event: object, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point; clients are created on first use and reused by the sandbox.

    A batch from the queue gets the batch flow and answers `batchItemFailures`; anything else
    (a direct invocation) is one event.
    """
    config = _config()
    if is_queue_event(event):
        remaining: Callable[[], int] | None = getattr(context, "get_remaining_time_in_millis", None)
        clients = BatchClients(sagemaker=_sagemaker(), s3=_s3(), queue=_queue())
        return handle_batch(
            cast(dict[str, Any], event),
            context.aws_request_id,
            config=config,
            clients=clients,
            remaining_ms=remaining,
        )
    queue = _queue() if config.failed_events_queue_url else None
    return handle(event, context.aws_request_id, config=config, sagemaker=_sagemaker(), queue=queue)
