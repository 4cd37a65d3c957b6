"""What an accepted event asks for: the StartPipelineExecution request, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass, field

from project.run_parameters import INPUT_DATA, INPUT_VERSION, check_values, object_version

from .champion import refuse_champion
from .config import TriggerConfig
from .events import SUPPORTED_SUFFIXES, ObjectCreated, ScheduledRun, TriggerEvent
from .tokens import manual_token, object_token, scheduled_token


@dataclass(frozen=True)
class RunRequest:
    """One StartPipelineExecution request, fully determined by the event."""

    trigger: str
    token: str
    description: str
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        """A display name that tells runs apart in the console (letters, digits, hyphens)."""
        return f"{self.trigger}-{self.token[:16]}"


def foreign_bucket_reason(obj: ObjectCreated, data_bucket: str) -> str | None:
    """Why an object outside the data bucket is refused, or None for the data bucket.

    The EventBridge rule only matches the data bucket, so another bucket means a direct invoke:
    the run would read data the stack never vetted, so the event is parked, not started.
    """
    if obj.bucket == data_bucket:
        return None
    return f"bucket {obj.bucket!r} is not the data bucket {data_bucket!r}"


def ignore_reason(obj: ObjectCreated, raw_data_prefix: str) -> str | None:
    """Why a new object does not start a run, or None when it should."""
    if not obj.key.startswith(raw_data_prefix):
        return f"key is outside the raw data prefix {raw_data_prefix}"
    if not obj.key.endswith(SUPPORTED_SUFFIXES):
        return f"key does not end with {' or '.join(SUPPORTED_SUFFIXES)}"
    if obj.size == 0:
        return "object is empty (0 bytes)"
    return None


def object_parameters(event: ObjectCreated, config: TriggerConfig) -> dict[str, str]:
    """InputData, and InputVersion (version id, else ETag) when the pipeline declares it."""
    values = {INPUT_DATA: event.s3_uri}
    version = object_version(event.version_id, event.etag)
    # SageMaker caches on a step's arguments, not on the data: the version makes a new upload
    # of the same key a cache miss.
    if version is not None and INPUT_VERSION in config.parameters:
        values[INPUT_VERSION] = version
    return check_values(values, config.parameters)


def run_request(event: TriggerEvent, request_id: str, config: TriggerConfig) -> RunRequest:
    """The request an accepted event makes; raise ParameterError for bad manual parameters."""
    if isinstance(event, ObjectCreated):
        parameters = object_parameters(event, config)
        version = f"version {event.version_id}" if event.version_id else "unversioned"
        return RunRequest(
            trigger="object",
            token=object_token(
                config.pipeline_name, event.bucket, event.key, event.version_id, event.sequencer
            ),
            description=f"New object {event.s3_uri} ({version}, {event.size} bytes)",
            parameters=parameters,
        )
    if isinstance(event, ScheduledRun):
        return RunRequest(
            trigger="schedule",
            token=scheduled_token(config.pipeline_name, event.event_id),
            description=f"Scheduled start at {event.time} ({', '.join(event.resources)})",
        )
    refuse_champion(event.parameters)
    parameters = check_values(event.parameters, config.parameters)
    return RunRequest(
        trigger="manual",
        token=manual_token(config.pipeline_name, parameters, request_id),
        description=f"Manual start (Lambda request {request_id})",
        parameters=parameters,
    )
