"""Pure parts of the trigger: event parsing, tokens and log records."""

from __future__ import annotations

import pytest

from stacks.trigger.handler.events import (
    MalformedEventError,
    ManualRun,
    ObjectCreated,
    ScheduledRun,
    parse_event,
)
from stacks.trigger.handler.logs import InvocationLog
from stacks.trigger.handler.tokens import manual_token, object_token
from testsupport.definitions import event as event_fixture
from testsupport.lambda_logs import TRIGGER_LOGGER, lambda_json


def test_parses_the_s3_event_into_a_typed_value() -> None:
    event = event_fixture("s3_object_created")

    assert parse_event(event) == ObjectCreated(
        event_id="17793124-05d4-b198-2fde-7ededc63b103",
        bucket="house-price-data",
        key="data/raw/house_data.csv",
        size=451234,
        version_id="IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
        sequencer="00617F08299329D189",
        etag="b1946ac92492d2347c6235b4d2611184",
    )


def test_keys_are_taken_verbatim() -> None:
    event = event_fixture("s3_object_created")
    event["detail"]["object"]["key"] = "data/raw/sales 2026+Q1.csv"

    parsed = parse_event(event)

    assert isinstance(parsed, ObjectCreated)
    assert parsed.s3_uri == "s3://house-price-data/data/raw/sales 2026+Q1.csv"


def test_parses_schedules_from_rules_and_scheduler() -> None:
    event = event_fixture("scheduled_event")

    assert isinstance(parse_event(event), ScheduledRun)
    assert isinstance(parse_event({**event, "source": "aws.scheduler"}), ScheduledRun)


def test_parses_manual_events() -> None:
    assert parse_event({"parameters": {"MaxDepth": 5}}) == ManualRun(parameters={"MaxDepth": 5})


@pytest.mark.parametrize(
    "event",
    [
        [],
        {"detail-type": "Scheduled Event", "source": "aws.codebuild", "id": "x", "time": "t"},
        {"parameters": {"MaxDepth": [5]}},
        {"parameters": {"MaxDepth": None}},
    ],
)
def test_other_events_are_malformed(event: object) -> None:
    with pytest.raises(MalformedEventError):
        parse_event(event)


def test_tokens_do_not_collide_on_separators() -> None:
    assert object_token("p", "b", "a\nb", None, None) != object_token("p", "b", "a", "b", None)
    assert object_token("p", "b", "k", "v", "s") != object_token("q", "b", "k", "v", "s")


def test_manual_tokens_do_not_depend_on_parameter_order() -> None:
    first = manual_token("p", {"A": "1", "B": "2"}, "r")

    assert first == manual_token("p", {"B": "2", "A": "1"}, "r")
    assert first != manual_token("p", {"A": "1", "B": "3"}, "r")


def test_log_records_carry_the_bound_keys(caplog: pytest.LogCaptureFixture) -> None:
    log = InvocationLog(TRIGGER_LOGGER)
    log.bind(pipeline="p", token="t", missing=None)
    log.info("hello", extra={"key": "data/raw/x.csv", "absent": None})
    log.clear()
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")

    first, second = lambda_json(caplog.records)
    assert first == {
        "level": "INFO",
        "message": "hello",
        "logger": TRIGGER_LOGGER,
        "pipeline": "p",
        "token": "t",
        "key": "data/raw/x.csv",
    }
    assert "pipeline" not in second
    assert second["errorType"] == "ValueError"
    assert second["errorMessage"] == "boom"
