"""Lambda's SQS event source, played against a real (moto) queue.

What the event source mapping does for the trigger, as far as the outcome depends on it: it
gathers up to `batch_size` messages (or what arrives within `window` seconds), invokes the
function with them as `{"Records": [...]}` in Lambda's record format, then deletes every message
the answer's `batchItemFailures` does not name; those stay in the queue and return once their
visibility timeout ends (the function may have changed it). SQS itself counts receives and moves
a message to the dead-letter queue past the redrive policy's maxReceiveCount. `max_concurrency`
pollers run at once (`run`), as the mapping's maximum concurrency allows.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SQS_RECEIVE_MAX = 10
Handler = Callable[[dict[str, Any], str], dict[str, Any]]


def record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A received message as Lambda hands it to the function."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", "0"),
            "ApproximateFirstReceiveTimestamp": attributes.get(
                "ApproximateFirstReceiveTimestamp", "0"
            ),
        },
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


@dataclass
class EventSource:
    """An SQS event source mapping: batches, a batching window, partial batch responses."""

    sqs: Any
    queue_url: str
    handler: Handler
    batch_size: int = 100
    window: float = 0.0
    region: str = "us-east-1"
    invocations: int = 0
    records: int = 0
    handed_back: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    receiving: threading.Lock = field(default_factory=threading.Lock)

    @property
    def queue_arn(self) -> str:
        """The queue's ARN, as records name their source."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )
        return str(attributes["Attributes"]["QueueArn"])

    def _gather(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.window
        while len(messages) < self.batch_size:
            # moto hands a message to two concurrent receives now and then; SQS does so only
            # rarely, so the pollers receive one at a time.
            with self.receiving:
                received = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(SQS_RECEIVE_MAX, self.batch_size - len(messages)),
                    MessageSystemAttributeNames=["All"],
                ).get("Messages", [])
            messages.extend(received)
            if not messages or time.monotonic() >= deadline:
                break
            if not received:
                time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))
        return messages

    def poll_once(self) -> int:
        """One invocation with what the queue holds now (and within the window); how many
        records it got (0: nothing to do, no invocation)."""
        messages = self._gather()
        if not messages:
            return 0
        arn = self.queue_arn
        event = {"Records": [record(message, arn, self.region) for message in messages]}
        try:
            answer = self.handler(event, f"invoke-{uuid.uuid4()}")
        except Exception as error:
            # A failed invocation keeps every message in the queue, as Lambda does.
            with self.lock:
                self.errors.append(f"{type(error).__name__}: {error}")
            return len(messages)
        failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), SQS_RECEIVE_MAX):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + SQS_RECEIVE_MAX])
                ],
            )
        with self.lock:
            self.invocations += 1
            self.records += len(messages)
            self.handed_back += len(failed)
        return len(messages)

    def run(
        self, pollers: int, stop: threading.Event, idle: float = 0.05
    ) -> list[threading.Thread]:
        """Start `pollers` threads that poll until `stop` is set."""

        def loop() -> None:
            while not stop.is_set():
                if self.poll_once() == 0:
                    stop.wait(idle)

        threads = [threading.Thread(target=loop, daemon=True) for _ in range(pollers)]
        for thread in threads:
            thread.start()
        return threads
