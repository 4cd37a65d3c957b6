"""Pure parts of the trigger: event parsing, parameter coercion, tokens and log lines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.trigger.handler.events import (
    MalformedEventError,
    ManualRun,
    ObjectCreated,
    ScheduledRun,
    parse_event,
)
from stacks.trigger.handler.parameters import (
    MAX_VALUE_LENGTH,
    ParameterError,
    coerce_value,
    validate_parameters,
)
from stacks.trigger.handler.structured_log import StructuredLogger
from stacks.trigger.handler.tokens import manual_token, object_token
from testsupport.definitions import event as event_fixture


def test_parses_the_s3_event_into_a_typed_value() -> None:
    event = event_fixture("s3_object_created")

    assert parse_event(event) == ObjectCreated(
        event_id="17793124-05d4-b198-2fde-7ededc63b103",
        bucket="house-price-data",
        key="data/raw/house_data.csv",
        size=451234,
        version_id="IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
        sequencer="00617F08299329D189",
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


@pytest.mark.parametrize(
    ("type_", "value", "rendered"),
    [
        ("Integer", 5, "5"),
        ("Integer", " 007 ", "7"),
        ("Integer", "-3", "-3"),
        ("Float", 1, "1.0"),
        ("Float", "0.05", "0.05"),
        ("Float", "1e-3", "0.001"),
        ("Boolean", True, "true"),
        ("Boolean", "False", "false"),
        ("String", "s3://b/k.csv", "s3://b/k.csv"),
    ],
)
def test_values_are_rendered_as_the_api_expects(type_: str, value: object, rendered: str) -> None:
    assert coerce_value("P", type_, value) == rendered


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("Integer", True),
        ("Integer", 2.5),
        ("Integer", "2.0"),
        ("Float", "nan"),
        ("Float", "inf"),
        ("Float", False),
        ("Boolean", "yes"),
        ("Boolean", 1),
        ("String", 3),
        ("String", "x" * (MAX_VALUE_LENGTH + 1)),
    ],
)
def test_values_of_the_wrong_type_are_refused(type_: str, value: object) -> None:
    with pytest.raises(ParameterError, match=r"^P"):
        coerce_value("P", type_, value)


def test_all_problems_are_reported_at_once() -> None:
    types = {"InputData": "String", "MaxDepth": "Integer", "Eta": "Float"}

    with pytest.raises(ParameterError) as raised:
        validate_parameters({"Depth": 1, "Eta": "fast", "Colour": "red"}, types)

    assert str(raised.value) == (
        "unknown parameters Colour, Depth; the pipeline takes Eta (Float), "
        "InputData (String), MaxDepth (Integer); Eta is a Float parameter; "
        "'fast' is not a finite number"
    )


def test_tokens_do_not_collide_on_separators() -> None:
    assert object_token("p", "b", "a\nb", None, None) != object_token("p", "b", "a", "b", None)
    assert object_token("p", "b", "k", "v", "s") != object_token("q", "b", "k", "v", "s")


def test_manual_tokens_do_not_depend_on_parameter_order() -> None:
    first = manual_token("p", {"A": "1", "B": "2"}, "r")

    assert first == manual_token("p", {"B": "2", "A": "1"}, "r")
    assert first != manual_token("p", {"A": "1", "B": "3"}, "r")


def test_log_lines_are_json_with_bound_keys(capsys: pytest.CaptureFixture[str]) -> None:
    logger = StructuredLogger("test_trigger_events", "DEBUG")
    logger.bind(pipeline="p", token="t")
    logger.info("hello", key="data/raw/x.csv", missing=None)
    logger.clear()
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")

    lines: list[dict[str, Any]] = [
        json.loads(line) for line in capsys.readouterr().out.splitlines()
    ]
    assert lines[0]["level"] == "INFO"
    assert lines[0]["message"] == "hello"
    assert lines[0]["pipeline"] == "p"
    assert lines[0]["key"] == "data/raw/x.csv"
    assert "missing" not in lines[0]
    assert "pipeline" not in lines[1]
    assert lines[1]["exception_type"] == "ValueError"
    assert "boom" in lines[1]["exception"]
