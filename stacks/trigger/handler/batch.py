"""The queue's flow: one invocation, a batch of messages, one run per folder.

Lambda's SQS event source hands the function what the queue gathered over the batching window.
The function answers with `batchItemFailures`: the messages it hands back to the queue; every
other message is done (started, skipped, ignored or parked) and Lambda deletes it.

1. Each record is read on its own (`records`): a body that is not JSON, a malformed event or an
   object from another bucket is parked alone, with its reason, in the failed-events queue; an
   object outside the raw prefix, with another suffix or empty is ignored.
2. The new objects are gathered by folder; a schedule (or another event the rules sent) is a
   unit of its own, run as `handler.handle` runs it.
3. Each folder becomes one run (`folder_runs`), the folder whose oldest message was sent first
   going first, so at the quota nothing waits behind later arrivals. With SKIP_IF_RUNNING, a
   run that an Executing one covers (the same set of objects) is skipped; otherwise the
   manifest is written, the champion looked up (`champion`, once per run) and the execution
   started with the set's token, so a redelivered batch starts nothing new.
4. The first retryable error (ResourceLimitExceeded when the account runs its maximum of
   concurrent executions, throttling, a service error) ends the starts: that unit's messages
   and every later unit's go back to the queue with a growing delay (`backoff`), each unit's
   together, to coalesce again when they return. A non-retryable error parks the unit's
   messages with the reason.
5. When the invocation runs short of time, the units not tried go back at once.

A problem of the function's own configuration raises, so the whole batch returns to the queue
and the error alarm fires.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from project.run_parameters import INPUT_DATA

from .aws_errors import error_code
from .backoff import VisibilityQueue, aligned_delay, hand_back
from .config import TriggerConfig
from .events import ObjectCreated
from .folder_runs import folder_request, write_manifest
from .logs import logger
from .parking import MessageQueue
from .records import (
    Accepted,
    FolderBatch,
    QueueMessage,
    RecordError,
    group_by_folder,
    message_event,
    queue_message,
)
from .starts import (
    RejectedEventError,
    bind_request,
    classify,
    park,
    parse,
    run_event,
    screen,
    skip_if_covered,
    start_with_champion,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

# No new start begins with less time than this left: a start's calls, with their retries, must
# end before Lambda stops the invocation (which would hand back the whole batch).
START_MARGIN_MS = 30_000
RETRY_NOTE = "the messages return to the queue"


class BatchQueue(MessageQueue, VisibilityQueue, Protocol):
    """The SQS client: parks events and delays the messages handed back."""


@dataclass(frozen=True)
class BatchClients:
    """The clients the batch flow calls."""

    sagemaker: SageMakerClient
    s3: S3Client
    queue: BatchQueue | None = None


@dataclass(frozen=True)
class Unit:
    """What one start covers: a folder's objects, or one other event."""

    entries: list[tuple[QueueMessage, object]]
    fields: dict[str, object]
    run: Callable[[], dict[str, Any]]

    @property
    def oldest(self) -> int:
        """When its oldest message was sent (epoch milliseconds)."""
        return min(message.sent_timestamp for message, _ in self.entries)


@dataclass
class _Batch:
    request_id: str
    config: TriggerConfig
    clients: BatchClients
    remaining_ms: Callable[[], int] | None
    clock: Callable[[], float] = time.time
    handed_back: list[tuple[QueueMessage, int]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    stopped_by: str | None = None

    def count(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    def bind(self, **fields: object) -> None:
        logger.clear()
        logger.bind(pipeline=self.config.pipeline_name, request_id=self.request_id, **fields)

    def hand_back(self, messages: list[QueueMessage], *, tried: bool) -> None:
        """Return messages to the queue: at once when not tried, else together, after the
        aligned delay of the one received most often."""
        most = max(message.receive_count for message in messages)
        delay = aligned_delay(most, self.config, self.clock()) if tried else 0
        self.handed_back.extend((message, delay) for message in messages)

    def park(self, message: QueueMessage, event: object, rejection: RejectedEventError) -> None:
        try:
            park(event, self.request_id, self.config, self.clients.queue, rejection)
        except (ClientError, BotoCoreError):
            self.hand_back([message], tried=True)
            return
        self.count("parked")

    def out_of_time(self) -> bool:
        return self.remaining_ms is not None and self.remaining_ms() < START_MARGIN_MS


def _read(record: object, batch: _Batch) -> Accepted | tuple[QueueMessage, object] | None:
    """An accepted object, another event to run, or None when the record is done (parked or
    ignored)."""
    try:
        message = queue_message(record if isinstance(record, Mapping) else {})
    except RecordError as error:
        # SQS always sends these fields; a record without them cannot be handed back by id,
        # so it is parked whole, and a failure to park fails the whole batch instead.
        batch.bind()
        rejection = RejectedEventError(str(error), "MalformedRecord")
        park(record, batch.request_id, batch.config, batch.clients.queue, rejection)
        batch.count("parked")
        return None
    batch.bind(message_id=message.message_id, receive_count=message.receive_count)
    try:
        event = message_event(message)
    except RecordError as error:
        batch.park(message, message.body, RejectedEventError(str(error), "MalformedMessage"))
        return None
    try:
        parsed = parse(event)
        if isinstance(parsed, ObjectCreated) and screen(parsed, batch.config) is not None:
            batch.count("ignored")
            return None
    except RejectedEventError as rejection:
        batch.park(message, event, rejection)
        return None
    if not isinstance(parsed, ObjectCreated):
        return (message, event)
    return Accepted(message, event, parsed)


def _folder_unit(group: FolderBatch, batch: _Batch) -> Unit:
    config, clients = batch.config, batch.clients

    def run() -> dict[str, Any]:
        request = folder_request(group, config)
        bind_request(request)
        try:
            answer = skip_if_covered(request, config, clients.sagemaker)
            if answer is not None:
                return answer
            write_manifest(clients.s3, request.parameters[INPUT_DATA], group)
            return start_with_champion(request, config, clients.sagemaker)
        except (ClientError, BotoCoreError) as error:
            classify(error, RETRY_NOTE, expected=True)

    folder = f"s3://{group.bucket}/{group.folder}"
    return Unit(group.entries, {"folder": folder, "objects": len(group.keys)}, run)


def _event_unit(message: QueueMessage, event: object, batch: _Batch) -> Unit:
    def run() -> dict[str, Any]:
        # The message id stands for the request id: it survives redelivery, so a manual
        # event's token does too.
        return run_event(
            event,
            message.message_id,
            batch.config,
            batch.clients.sagemaker,
            retry_note=RETRY_NOTE,
            retry_expected=True,
        )

    return Unit([(message, event)], {"message_id": message.message_id}, run)


def _attempt(unit: Unit, batch: _Batch) -> None:
    """Run one unit, or hand its messages back when the batch has stopped starting."""
    if batch.stopped_by is None and batch.out_of_time():
        batch.stopped_by = "time"
    messages = [message for message, _ in unit.entries]
    if batch.stopped_by is not None:
        batch.hand_back(messages, tried=batch.stopped_by != "time")
        return
    batch.bind(**unit.fields)
    try:
        answer = unit.run()
    except RejectedEventError as rejection:
        for message, event in unit.entries:
            batch.park(message, event, rejection)
        return
    except (ClientError, BotoCoreError) as error:
        # classify let only retryable errors through: stop, and hand these messages back.
        batch.stopped_by = error_code(error)
        batch.hand_back(messages, tried=True)
        return
    batch.count(str(answer["status"]))


def handle_batch(
    event: Mapping[str, Any],
    request_id: str,
    *,
    config: TriggerConfig,
    clients: BatchClients,
    remaining_ms: Callable[[], int] | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Handle one batch of queue records; answer the messages handed back to the queue."""
    batch = _Batch(request_id, config, clients, remaining_ms, clock)
    accepted: list[Accepted] = []
    units: list[Unit] = []
    for record in event["Records"]:
        read = _read(record, batch)
        if isinstance(read, Accepted):
            accepted.append(read)
        elif read is not None:
            units.append(_event_unit(*read, batch))
    units[:0] = [_folder_unit(group, batch) for group in group_by_folder(accepted)]
    # Oldest first: at the quota, what has waited longest gets the next free slot.
    for unit in sorted(units, key=lambda unit: unit.oldest):
        _attempt(unit, batch)
    batch.bind()
    hand_back(clients.queue, config, batch.handed_back)
    logger.info(
        "Batch handled",
        extra={
            "records": len(event["Records"]),
            "outcomes": batch.counts,
            "handed_back": len(batch.handed_back),
            "stopped_by": batch.stopped_by,
        },
    )
    return {"batchItemFailures": [{"itemIdentifier": m.message_id} for m, _ in batch.handed_back]}
