"""The trigger's configuration, read once from the environment the construct sets.

| variable | meaning |
| --- | --- |
| PIPELINE_NAME | the pipeline to start |
| DATA_BUCKET_NAME | the only bucket whose objects start a run; events from any other are parked |
| RAW_DATA_PREFIX | only objects below this key prefix start a run |
| PIPELINE_PARAMETERS | JSON list of the declared parameters: Name, Type, EnumValues |
| SKIP_IF_RUNNING | `true`: no start that an Executing run covers (same InputData, InputVersion) |
| FAILED_EVENTS_QUEUE_URL | where events that cannot succeed are parked (optional) |
| MODEL_PACKAGE_GROUP_NAME, CHAMPION_MODELS_PREFIX | the champion lookup (read by `champion`) |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from project.run_parameters import INPUT_DATA, ParameterError, ParameterSpec, decode_specs

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
REQUIRED_VARIABLES = ("PIPELINE_NAME", "DATA_BUCKET_NAME", "RAW_DATA_PREFIX", "PIPELINE_PARAMETERS")


class ConfigurationError(RuntimeError):
    """The function's environment is wrong: a deployment problem, raised so it is noticed."""


@dataclass(frozen=True)
class TriggerConfig:
    """The function's configuration, read once from its environment."""

    pipeline_name: str
    data_bucket: str
    raw_data_prefix: str
    parameters: Mapping[str, ParameterSpec]
    skip_if_running: bool = False
    failed_events_queue_url: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TriggerConfig:
        """Read and check the environment; raise ConfigurationError naming what is wrong."""
        missing = [name for name in REQUIRED_VARIABLES if not environ.get(name, "").strip()]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        try:
            specs = decode_specs(environ["PIPELINE_PARAMETERS"])
        except ParameterError as error:
            raise ConfigurationError(f"PIPELINE_PARAMETERS: {error}") from error
        if INPUT_DATA not in specs or specs[INPUT_DATA].type != "String":
            raise ConfigurationError(f"PIPELINE_PARAMETERS must declare {INPUT_DATA} as a String")
        return cls(
            pipeline_name=environ["PIPELINE_NAME"].strip(),
            data_bucket=environ["DATA_BUCKET_NAME"].strip(),
            raw_data_prefix=environ["RAW_DATA_PREFIX"].strip(),
            parameters=specs,
            skip_if_running=environ.get("SKIP_IF_RUNNING", "").strip().lower() in TRUE_VALUES,
            failed_events_queue_url=environ.get("FAILED_EVENTS_QUEUE_URL", "").strip() or None,
        )
