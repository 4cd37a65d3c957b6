"""The queue's records: what Lambda's SQS event source hands the function, and their grouping.

An invocation from the queue is `{"Records": [...]}`, each record one message whose body is the
EventBridge event the rules sent. The batch flow reads every record, parks what cannot be read,
and gathers the new objects by folder: each folder of a batch becomes one run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from project.manifests import folder_of

from .events import ObjectCreated, cut

SQS_EVENT_SOURCE = "aws:sqs"


class RecordError(ValueError):
    """A record that is not a readable message; the reason says why."""


@dataclass(frozen=True)
class QueueMessage:
    """One message of the batch: its id (for batchItemFailures), handle and receive count."""

    message_id: str
    receipt_handle: str
    receive_count: int
    body: str
    # When SQS first received it (epoch milliseconds; 0 when the record does not say).
    sent_timestamp: int = 0


def is_queue_event(event: object) -> bool:
    """True for an invocation by the SQS event source: a list of records from `aws:sqs`."""
    if not isinstance(event, Mapping):
        return False
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(
            isinstance(record, Mapping) and record.get("eventSource") == SQS_EVENT_SOURCE
            for record in records
        )
    )


def queue_message(record: Mapping[str, Any]) -> QueueMessage:
    """The message a record carries; RecordError when Lambda's fields are missing."""
    message_id = record.get("messageId")
    receipt_handle = record.get("receiptHandle")
    body = record.get("body")
    if not isinstance(message_id, str) or not message_id:
        raise RecordError("the record has no messageId")
    if not isinstance(receipt_handle, str) or not isinstance(body, str):
        raise RecordError(f"record {cut(message_id)} has no receiptHandle or body")
    attributes = record.get("attributes")
    attributes = attributes if isinstance(attributes, Mapping) else {}
    return QueueMessage(
        message_id=message_id,
        receipt_handle=receipt_handle,
        receive_count=_whole(attributes.get("ApproximateReceiveCount"), 1),
        body=body,
        sent_timestamp=_whole(attributes.get("SentTimestamp"), 0),
    )


def _whole(value: object, default: int) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else default


def message_event(message: QueueMessage) -> object:
    """The event in a message's body; RecordError when the body is not JSON."""
    try:
        return json.loads(message.body)
    except (ValueError, RecursionError) as error:
        raise RecordError(f"the message body is not JSON: {cut(str(error))}") from error


@dataclass(frozen=True)
class Accepted:
    """A message whose event announces a new object that starts a run."""

    message: QueueMessage
    event: object
    obj: ObjectCreated


@dataclass
class FolderBatch:
    """The new objects of one folder in one batch, and the messages that announced them."""

    bucket: str
    folder: str
    objects: dict[tuple[str, str | None, str | None], ObjectCreated] = field(default_factory=dict)
    entries: list[tuple[QueueMessage, object]] = field(default_factory=list)

    def add(self, accepted: Accepted) -> None:
        """One more message; a redelivered event for the same object version adds no object."""
        obj = accepted.obj
        self.objects.setdefault((obj.key, obj.version_id, obj.sequencer), obj)
        self.entries.append((accepted.message, accepted.event))

    @property
    def keys(self) -> list[str]:
        """The objects' keys, each once (two versions of a key are one object to read)."""
        return sorted({key for key, _, _ in self.objects})


def group_by_folder(accepted: list[Accepted]) -> list[FolderBatch]:
    """The accepted objects gathered by (bucket, folder), folders in key order."""
    groups: dict[tuple[str, str], FolderBatch] = {}
    for item in accepted:
        where = (item.obj.bucket, folder_of(item.obj.key))
        groups.setdefault(where, FolderBatch(bucket=where[0], folder=where[1])).add(item)
    return [groups[where] for where in sorted(groups)]
