"""Parking: an event that cannot succeed goes to the failed-events queue with its reason.

A parked message is one JSON object: the reason, the error code, the pipeline, the Lambda
request id and a copy of the event. Its size is bounded whatever the event holds, so that
SendMessage never fails on size (SQS takes 256 KiB): a reason is cut at `REASON_MAX_CHARS`,
and an event whose JSON exceeds `EVENT_COPY_MAX_CHARS` is replaced by its first
`EVENT_EXCERPT_CHARS` characters, with `event_truncated`, `event_chars` and a note in the reason
saying so. The body is ASCII (`json.dumps` escapes the rest), so characters are bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

REASON_MAX_CHARS = 1_000
EVENT_COPY_MAX_CHARS = 64 * 1024
# An excerpt is embedded as a JSON string: escaping can at most double it.
EVENT_EXCERPT_CHARS = 32 * 1024
SQS_MESSAGE_MAX_BYTES = 256 * 1024


class MessageQueue(Protocol):
    """The part of an SQS client the handler uses."""

    def send_message(self, **kwargs: str) -> Mapping[str, Any]:
        """Send one message."""
        ...


def bounded(text: str, limit: int = REASON_MAX_CHARS) -> str:
    """`text`, or its first `limit` characters and how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters cut)"


def event_json(event: object) -> str:
    """The event as compact ASCII JSON (anything JSON cannot hold is written as text)."""
    try:
        return json.dumps(event, default=str, ensure_ascii=True, separators=(",", ":"))
    except (RecursionError, ValueError) as error:
        # Nested past the interpreter's limit (or circular): keep what can be said of it.
        return json.dumps({"unserializable_event": type(event).__name__, "error": str(error)})


def parked_body(event: object, *, reason: str, code: str, pipeline: str, request_id: str) -> str:
    """The message body for a parked event, at most `SQS_MESSAGE_MAX_BYTES` long."""
    copy = event_json(event)
    body: dict[str, Any] = {
        "reason": bounded(reason),
        "error_code": bounded(code, 200),
        "pipeline": pipeline,
        "request_id": bounded(request_id, 200),
    }
    if len(copy) <= EVENT_COPY_MAX_CHARS:
        body["event"] = json.loads(copy)
    else:
        body["reason"] += (
            f" [the event was {len(copy)} characters of JSON; only its first "
            f"{EVENT_EXCERPT_CHARS} are kept, in event_excerpt]"
        )
        body["event_truncated"] = True
        body["event_chars"] = len(copy)
        body["event_excerpt"] = copy[:EVENT_EXCERPT_CHARS]
    return event_json(body)
