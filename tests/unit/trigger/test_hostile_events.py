"""Hostile-input suite, Lambda part: hostile events through `handle()` against moto.

Every event is accounted for: started, ignored or skipped with a reason, or rejected and parked
in FailedEvents with its reason. Nothing raises (moto answers, so no error is retryable), and
every reason is one bounded line. `CASES` is what the README's security section counts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacks.trigger.handler.parking import REASON_MAX_CHARS
from testsupport.definitions import event as event_fixture
from testsupport.trigger_account import Aws, s3_event


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    event = s3_event()
    target = event
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return event


def _bucket(name: object) -> dict[str, Any]:
    event = s3_event()
    event["detail"]["bucket"]["name"] = name
    return event


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _scheduled(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = event_fixture("scheduled_event")
    event.update(fields)
    return event


# name -> (event, expected status, error code when rejected)
HOSTILE_EVENTS: dict[str, tuple[object, str, str | None]] = {
    "a string": ("not an object", "rejected", "MalformedEvent"),
    "a number": (42, "rejected", "MalformedEvent"),
    "null": (None, "rejected", "MalformedEvent"),
    "a list": ([s3_event()], "rejected", "MalformedEvent"),
    "an empty object": ({}, "rejected", "MalformedEvent"),
    "a classic S3 notification": (
        {"Records": [{"s3": {"bucket": {"name": "house-price-data"}}}]},
        "rejected",
        "MalformedEvent",
    ),
    "an Object Deleted event": (
        {**s3_event(), "detail-type": "Object Deleted"},
        "rejected",
        "MalformedEvent",
    ),
    "no detail": (_without(("detail",)), "rejected", "MalformedEvent"),
    "detail.bucket a string": (
        {**s3_event(), "detail": {**s3_event()["detail"], "bucket": "b"}},
        "rejected",
        "MalformedEvent",
    ),
    "no key": (_without(("detail", "object", "key")), "rejected", "MalformedEvent"),
    "an empty key": (s3_event(key=""), "rejected", "MalformedEvent"),
    "size as text": (s3_event(size="12"), "rejected", "MalformedEvent"),
    "a negative size": (s3_event(size=-1), "rejected", "MalformedEvent"),
    "size true": (s3_event(size=True), "rejected", "MalformedEvent"),
    "size a float": (s3_event(size=1.5), "rejected", "MalformedEvent"),
    "600 KB of bad size": (s3_event(size="9" * 600_000), "rejected", "MalformedEvent"),
    "version id a number": (s3_event(**{"version-id": 5}), "rejected", "MalformedEvent"),
    "another bucket": (_bucket("attacker-bucket"), "rejected", "ForeignBucket"),
    "a bucket name with escapes": (_bucket("b\x1b]0;t\x07"), "rejected", "ForeignBucket"),
    "a bucket name not a string": (_bucket(["house-price-data"]), "rejected", "MalformedEvent"),
    "a key with a line break": (s3_event(key="data/raw/a\nb.csv"), "started", None),
    "a key with NUL": (s3_event(key="data/raw/a\x00b.csv"), "started", None),
    "a key with a bidi override": (s3_event(key="data/raw/\u202evsc.csv"), "started", None),
    "a key with ../": (s3_event(key="data/raw/../../etc/passwd.csv"), "started", None),
    "a key outside the prefix": (s3_event(key="data/processed/x.csv"), "ignored", None),
    "a key with another suffix": (s3_event(key="data/raw/x.csv.exe"), "ignored", None),
    "an empty object's event": (s3_event(size=0), "ignored", None),
    "a key too long for InputData": (
        s3_event(key="data/raw/" + "k" * 1100 + ".csv"),
        "rejected",
        "InvalidParameters",
    ),
    "manual: parameters a list": ({"parameters": [1, 2]}, "rejected", "MalformedEvent"),
    "manual: an unknown parameter": (
        {"parameters": {"Evil": "1"}},
        "rejected",
        "InvalidParameters",
    ),
    "manual: extra keys": ({"parameters": {}, "pipeline": "x"}, "rejected", "MalformedEvent"),
    "manual: a value nested 900 deep": (
        {"parameters": {"MaxDepth": _nested(900)}},
        "rejected",
        "MalformedEvent",
    ),
    "manual: a value nested past the interpreter's limit": (
        {"parameters": {"MaxDepth": _nested(5_000)}},
        "rejected",
        "MalformedEvent",
    ),
    "manual: a 2 MB value": (
        {"parameters": {"Eta": "1" * 2_000_000}},
        "rejected",
        "InvalidParameters",
    ),
    "manual: an approval status that is none": (
        {"parameters": {"ModelApprovalStatus": "Approved\x1b[2J"}},
        "rejected",
        "InvalidParameters",
    ),
    "manual: a NaN threshold": (
        {"parameters": {"RmseThreshold": "nan"}},
        "rejected",
        "InvalidParameters",
    ),
    "schedule: resources not a list": (_scheduled(resources="arn"), "rejected", "MalformedEvent"),
    "schedule: from another source": (
        _scheduled(source="evil.events"),
        "rejected",
        "MalformedEvent",
    ),
    "a valid object": (s3_event(), "started", None),
    "a valid schedule": (_scheduled(), "started", None),
}

# Runs under SKIP_IF_RUNNING against an Executing run of the fixture's object (version 1).
RunningCase = Callable[[Aws], tuple[dict[str, Any], str]]
WHILE_RUNNING: dict[str, tuple[dict[str, Any], str]] = {
    "the running version again": (s3_event(), "skipped"),
    "a new version of the running key": (
        s3_event(**{"version-id": "v2", "sequencer": "00617F0829932BBBBB"}),
        "started",
    ),
    "an unversioned copy of the running key": (
        s3_event(**{"version-id": None, "etag": "0123abcd"}),
        "started",
    ),
}

CASES = len(HOSTILE_EVENTS) + len(WHILE_RUNNING)


def _assert_one_bounded_line(reason: str) -> None:
    assert "\n" not in reason
    assert len(reason) < REASON_MAX_CHARS + 200


@pytest.mark.parametrize("case", list(HOSTILE_EVENTS), ids=list(HOSTILE_EVENTS))
def test_a_hostile_event_is_started_ignored_or_parked_with_one_line(aws: Aws, case: str) -> None:
    event, expected, code = HOSTILE_EVENTS[case]
    deep = "nested" in case  # too deep for copy.deepcopy and == themselves
    original = event if deep else copy.deepcopy(event)

    result = aws.handle(event)

    assert result["status"] == expected
    parked = aws.parked()
    if expected == "rejected":
        assert result["error_code"] == code
        assert result["parked"] is True
        (message,) = parked
        assert message["reason"].startswith(result["reason"].split(" [")[0][:100])
        _assert_one_bounded_line(message["reason"])
    else:
        assert parked == []
    if expected == "started":
        assert result["execution_arn"] in aws.executions()
    else:
        _assert_one_bounded_line(result["reason"])
    if not deep:
        assert event == original  # the handler never changes the event it was given


@pytest.mark.parametrize("case", list(WHILE_RUNNING), ids=list(WHILE_RUNNING))
def test_an_upload_during_a_run_is_never_dropped(aws: Aws, case: str) -> None:
    first = aws.handle(s3_event())
    aws.mark_executing(first["execution_arn"])
    event, expected = WHILE_RUNNING[case]

    result = aws.handle(event, request_id="req-2", skip_if_running=True)

    assert result["status"] == expected
    if expected == "skipped":
        # The running execution reads this very version: nothing is lost by not starting.
        assert result["execution_arn"] == first["execution_arn"]
        _assert_one_bounded_line(result["reason"])
    else:
        assert result["execution_arn"] != first["execution_arn"]
    assert aws.parked() == []


def test_the_suite_holds_the_cases_the_readme_counts() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert f"{CASES} trigger events" in readme
