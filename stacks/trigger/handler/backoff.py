"""Handing messages back to the queue: later each time, until the dead-letter queue takes them.

A message the function cannot start now (the account is at its concurrent-execution quota,
SageMaker throttles, a service error) is reported in `batchItemFailures`, so Lambda leaves it in
the queue, and is made invisible for a delay that doubles with every receive: RETRY_DELAY_SECONDS
on the first, then 2x, 4x, ... up to MAX_RETRY_DELAY_SECONDS. After the queue's maxReceiveCount
receives, SQS moves a message to the dead-letter queue, whose alarm fires. A message that was
not tried (the invocation ran out of time) is made visible at once.

The messages of one run take the delay of the one received most often, and every delay ends on
a multiple of itself on the clock (`aligned_delay`): what is handed back within one period
returns at the same moment, whichever invocation handed it back, so a folder's messages
coalesce again, with whatever arrived meanwhile, into one run instead of trickling back one by
one into many small ones.

Changing the delay is best effort: when it fails, the message still returns, after the
queue's own visibility timeout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .aws_errors import error_code
from .config import MAX_VISIBILITY_SECONDS, TriggerConfig
from .logs import logger
from .records import QueueMessage

# ChangeMessageVisibilityBatch takes at most this many entries.
VISIBILITY_BATCH_SIZE = 10
# The doubling stops here; beyond it the delay is the cap anyway.
MAX_DOUBLINGS = 20


class VisibilityQueue(Protocol):
    """The part of an SQS client that delays messages."""

    def change_message_visibility_batch(self, **kwargs: Any) -> Mapping[str, Any]:
        """Change the visibility timeout of up to ten messages."""
        ...


def retry_delay(receive_count: int, config: TriggerConfig) -> int:
    """Seconds before a message received `receive_count` times is offered again."""
    doublings = min(max(receive_count, 1) - 1, MAX_DOUBLINGS)
    delay: int = config.retry_delay_seconds * 2**doublings
    return min(delay, config.max_retry_delay_seconds, MAX_VISIBILITY_SECONDS)


def aligned_delay(receive_count: int, config: TriggerConfig, now: float) -> int:
    """The delay from `now` (epoch seconds) to the next multiple of the retry delay that lies at
    least one retry delay ahead: between one and two delays, ending on the shared boundary."""
    delay = retry_delay(receive_count, config)
    if delay == 0:
        return 0
    boundary = -(-(int(now) + delay) // delay) * delay
    return min(boundary - int(now), MAX_VISIBILITY_SECONDS)


def _entries(delayed: Sequence[tuple[QueueMessage, int]]) -> list[dict[str, Any]]:
    return [
        {
            "Id": str(index),
            "ReceiptHandle": message.receipt_handle,
            "VisibilityTimeout": delay,
        }
        for index, (message, delay) in enumerate(delayed)
    ]


def hand_back(
    queue: VisibilityQueue | None,
    config: TriggerConfig,
    delayed: Iterable[tuple[QueueMessage, int]],
) -> None:
    """Set each message's visibility timeout to its delay, ten at a time; log what fails."""
    pending = list(delayed)
    if queue is None or config.new_data_queue_url is None or not pending:
        return
    for start in range(0, len(pending), VISIBILITY_BATCH_SIZE):
        chunk = pending[start : start + VISIBILITY_BATCH_SIZE]
        try:
            response = queue.change_message_visibility_batch(
                QueueUrl=config.new_data_queue_url, Entries=_entries(chunk)
            )
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "Could not delay messages; they return after the queue's visibility timeout",
                extra={"error_code": error_code(error), "messages": len(chunk)},
            )
            continue
        failed = response.get("Failed") or []
        if failed:
            logger.warning(
                "Some messages kept the queue's visibility timeout",
                extra={"messages": len(failed), "error_code": failed[0].get("Code")},
            )
