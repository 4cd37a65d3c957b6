"""The events that start a run, parsed into typed values.

Three shapes are accepted:

* S3 `Object Created` from EventBridge (`source: aws.s3`). Unlike classic S3 notifications,
  EventBridge carries the object key as stored, not URL-encoded, so it is used verbatim.
* A schedule (`detail-type: Scheduled Event`, from an EventBridge rule or Scheduler): run with
  the pipeline's defaults.
* A manual event `{"parameters": {"Name": value, ...}}` (for `aws lambda invoke`).

Anything else raises `MalformedEventError`, which is not worth retrying.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Objects with these endings start a run; the EventBridge rule filters on the same list.
SUPPORTED_SUFFIXES = (".csv", ".csv.gz")
OBJECT_CREATED = "Object Created"
SCHEDULED_EVENT = "Scheduled Event"
SCHEDULE_SOURCES = frozenset({"aws.events", "aws.scheduler"})


# A bad value is quoted in the error at most this long: an event may be megabytes.
SHOWN_MAX_CHARS = 120


class MalformedEventError(ValueError):
    """The event is not one the trigger understands; retrying it cannot help."""


def shown(value: object) -> str:
    """`repr(value)`, shortened to SHOWN_MAX_CHARS with the count of characters cut."""
    try:
        return cut(repr(value))
    except RecursionError:
        return f"a {type(value).__name__} nested too deep to show"


def cut(text: str) -> str:
    """`text`, shortened to SHOWN_MAX_CHARS with the count of characters cut."""
    if len(text) <= SHOWN_MAX_CHARS:
        return text
    return f"{text[:SHOWN_MAX_CHARS]}... ({len(text) - SHOWN_MAX_CHARS} more characters)"


@dataclass(frozen=True)
class ObjectCreated:
    """A new object in the data bucket."""

    event_id: str
    bucket: str
    key: str
    size: int
    version_id: str | None
    sequencer: str | None
    etag: str | None = None

    @property
    def s3_uri(self) -> str:
        """The object as an `s3://` URI, the form the InputData parameter takes."""
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class ScheduledRun:
    """A scheduled start: the pipeline runs with its default parameters."""

    event_id: str
    time: str
    resources: tuple[str, ...]


@dataclass(frozen=True)
class ManualRun:
    """A start requested by hand, with raw parameter values still to be validated."""

    parameters: Mapping[str, object]


TriggerEvent = ObjectCreated | ScheduledRun | ManualRun


def _text(container: Mapping[str, Any], name: str, where: str) -> str:
    value = container.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedEventError(f"{where}.{name} must be a non-empty string, got {shown(value)}")
    return value


def _optional_text(container: Mapping[str, Any], name: str, where: str) -> str | None:
    value = container.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedEventError(f"{where}.{name} must be a string, got {shown(value)}")
    return value


def _mapping(container: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    value = container.get(name)
    if not isinstance(value, dict):
        raise MalformedEventError(f"{where}.{name} must be an object, got {shown(value)}")
    return value


def _object_created(event: Mapping[str, Any]) -> ObjectCreated:
    detail = _mapping(event, "detail", "event")
    bucket = _mapping(detail, "bucket", "detail")
    obj = _mapping(detail, "object", "detail")
    size = obj.get("size")
    # bool is an int subclass; a JSON `true` is not a size.
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise MalformedEventError(
            f"detail.object.size must be a non-negative integer, got {shown(size)}"
        )
    return ObjectCreated(
        event_id=_text(event, "id", "event"),
        bucket=_text(bucket, "name", "detail.bucket"),
        key=_text(obj, "key", "detail.object"),
        size=size,
        version_id=_optional_text(obj, "version-id", "detail.object"),
        sequencer=_optional_text(obj, "sequencer", "detail.object"),
        etag=_optional_text(obj, "etag", "detail.object"),
    )


def _scheduled(event: Mapping[str, Any]) -> ScheduledRun:
    resources = event.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        raise MalformedEventError(f"event.resources must be a list of ARNs, got {shown(resources)}")
    return ScheduledRun(
        event_id=_text(event, "id", "event"),
        time=_text(event, "time", "event"),
        resources=tuple(resources),
    )


def _manual(event: Mapping[str, Any]) -> ManualRun:
    unexpected = sorted(set(event) - {"parameters"})
    if unexpected:
        raise MalformedEventError(
            f"a manual event has only 'parameters'; unexpected keys: {cut(', '.join(unexpected))}"
        )
    parameters = event["parameters"]
    if not isinstance(parameters, dict):
        raise MalformedEventError(
            f"'parameters' must be an object of name -> value, got {shown(parameters)}"
        )
    for name, value in parameters.items():
        if not isinstance(value, str | int | float | bool):
            raise MalformedEventError(
                f"parameter {shown(name)} must be a string, number or boolean, got {shown(value)}"
            )
    return ManualRun(parameters=dict(parameters))


def parse_event(event: object) -> TriggerEvent:
    """Classify and parse an incoming event; raise MalformedEventError for anything else."""
    if not isinstance(event, dict):
        raise MalformedEventError(f"the event must be a JSON object, got {type(event).__name__}")
    detail_type = event.get("detail-type")
    source = event.get("source")
    if detail_type is None and source is None:
        if "parameters" not in event:
            raise MalformedEventError(
                "not an S3, schedule or manual event: expected 'detail-type' and 'source', "
                'or {"parameters": {...}}'
            )
        return _manual(event)
    if source == "aws.s3" and detail_type == OBJECT_CREATED:
        return _object_created(event)
    if detail_type == SCHEDULED_EVENT and source in SCHEDULE_SOURCES:
        return _scheduled(event)
    raise MalformedEventError(
        f"unsupported event: source={shown(source)}, detail-type={shown(detail_type)}"
    )
