"""The trigger refuses what it must not start, and parks it within SQS's size limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.trigger.handler.events import SHOWN_MAX_CHARS
from stacks.trigger.handler.parking import (
    EVENT_COPY_MAX_CHARS,
    EVENT_EXCERPT_CHARS,
    REASON_MAX_CHARS,
    SQS_MESSAGE_MAX_BYTES,
    parked_body,
)
from testsupport.trigger_account import DATA_BUCKET, Aws, s3_event


def test_an_object_in_another_bucket_is_parked_not_started(aws: Aws) -> None:
    event = s3_event()
    event["detail"]["bucket"]["name"] = "attacker-bucket"

    result = aws.handle(event)

    assert result["status"] == "rejected"
    assert result["error_code"] == "ForeignBucket"
    assert result["reason"] == f"bucket 'attacker-bucket' is not the data bucket {DATA_BUCKET!r}"
    assert aws.executions() == {}
    (parked,) = aws.parked()
    assert parked["event"] == event
    assert parked["error_code"] == "ForeignBucket"


def test_the_data_bucket_check_comes_before_the_ignore_rules(aws: Aws) -> None:
    event = s3_event(key="elsewhere/notes.txt")
    event["detail"]["bucket"]["name"] = "other-bucket"

    assert aws.handle(event)["status"] == "rejected"


def test_an_oversized_bad_value_is_not_repeated_and_the_event_still_parks(aws: Aws) -> None:
    """600 KB of bad `size` used to make SendMessage fail on size three times over."""
    huge = "9" * 600_000
    event = s3_event(size=huge)

    result = aws.handle(event)

    assert result["status"] == "rejected"
    assert result["parked"] is True
    assert len(result["reason"]) < SHOWN_MAX_CHARS + 200
    assert "599882 more characters" in result["reason"]  # the repr adds two quotes
    (parked,) = aws.parked()
    assert parked["event_truncated"] is True
    assert parked["event_chars"] > 600_000
    assert len(parked["event_excerpt"]) == EVENT_EXCERPT_CHARS
    assert "only its first 32768 are kept" in parked["reason"]
    assert "event" not in parked


@pytest.mark.parametrize(
    "event",
    [
        {"parameters": {"InputData": "s3://b/" + "\u202e" * 300_000}},
        {"parameters": {"MaxDepth": "x" * 2_000_000}},
        {"unexpected": ["\\"] * 200_000},
        '"' * 500_000,
    ],
    ids=["rtl-overrides", "two-megabyte-value", "backslashes", "quotes"],
)
def test_a_parked_body_stays_under_the_sqs_limit_whatever_the_event(event: object) -> None:
    body = parked_body(event, reason="x" * 5_000_000, code="C", pipeline="p", request_id="r")

    assert len(body.encode()) < SQS_MESSAGE_MAX_BYTES
    assert body.isascii()
    parsed: dict[str, Any] = json.loads(body)
    assert len(parsed["reason"]) < REASON_MAX_CHARS + 200
    assert parsed["event_truncated"] is True


def test_a_small_event_is_parked_whole() -> None:
    event = {"parameters": {"MaxDepth": "deep"}}

    parsed = json.loads(parked_body(event, reason="bad", code="C", pipeline="p", request_id="r"))

    assert parsed == {
        "reason": "bad",
        "error_code": "C",
        "pipeline": "p",
        "request_id": "r",
        "event": event,
    }
    assert len(json.dumps(event)) < EVENT_COPY_MAX_CHARS
