"""A PipelineSession that renders a definition without touching the network.

The SDK reaches for AWS in a few places while it builds step arguments: it uploads the
`ModelTrainer` drivers, asks for a default bucket, resolves and validates roles and sends
telemetry. Here uploads land in a content-addressed staging folder, lookups are answered from
the configuration, telemetry is opted out, and any AWS API call that still slips through fails
at once with an error that names the operation (it never reaches a socket).

The drivers folder carries `sourcecode.json`, whose `source_dir` the SDK fills with the code's
S3 URI. Only the definition body goes through CloudFormation's `Fn::Sub`, so that URI would ship
with a literal `${ArtifactBucket}`; the drivers read only `entry_script` (the code itself comes
in as the job's `code` channel), so `source_dir` is staged blank.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from sagemaker.core.workflow.pipeline_context import PipelineSession

from pipeline_definition.build.staging import CodeStaging, StagedCode, list_files

SOURCE_CODE_JSON = "sourcecode.json"

# The SDK reads its defaults from config files unless it is given a dictionary: an explicit,
# minimal one keeps user or admin config files from changing the rendered definition.
SDK_CONFIG: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


class OfflineRenderError(RuntimeError):
    """The SDK tried to call AWS while rendering the definition."""


def _refuse_aws_call(event_name: str, **_: Any) -> None:
    operation = event_name.rsplit(".", 1)[-1]
    service = event_name.split(".")[1] if event_name.count(".") >= 2 else "aws"
    raise OfflineRenderError(
        f"the SageMaker SDK tried to call {service}:{operation} while rendering the pipeline "
        "definition; rendering must be offline: give the value explicitly instead"
    )


def offline_boto_session(region: str) -> boto3.Session:
    """Return a boto3 session with dummy credentials that refuses every API call."""
    session = boto3.Session(
        region_name=region,
        aws_access_key_id="offline-render",
        aws_secret_access_key="offline-render",
    )
    session.events.register("before-call", _refuse_aws_call)
    return session


class OfflinePipelineSession(PipelineSession):  # type: ignore[misc]
    """PipelineSession whose uploads are staged locally and whose lookups are configured."""

    def __init__(self, *, region: str, default_bucket: str, staging: CodeStaging) -> None:
        self._staging = staging
        self._offline_default_bucket = default_bucket
        super().__init__(
            boto_session=offline_boto_session(region),
            default_bucket=default_bucket,
            sagemaker_config=SDK_CONFIG,
        )

    @property
    def staging(self) -> CodeStaging:
        """Where uploads went."""
        return self._staging

    def default_bucket(self) -> str:
        """The bucket the SDK would otherwise look up or create."""
        return self._offline_default_bucket

    def upload_data(
        self,
        path: str,
        bucket: str | None = None,
        key_prefix: str = "data",
        callback: Any = None,
        extra_args: Any = None,
    ) -> str:
        """Stage `path` instead of uploading it; return the S3 URI it will be deployed to."""
        # The SDK's key prefix embeds a timestamped job name; only its last part (the channel
        # name, such as sm_drivers) is stable, and the content hash makes the key unique.
        label = key_prefix.rstrip("/").rsplit("/", 1)[-1] or "data"
        source = Path(path)
        if (source / SOURCE_CODE_JSON).is_file():
            staged = self._stage_drivers(source, label)
        else:
            staged = self._staging.stage(source, label)
        return f"s3://{bucket or self._offline_default_bucket}/{staged.key}"

    def _stage_drivers(self, source: Path, label: str) -> StagedCode:
        files = {path.relative_to(source).as_posix(): path for path in list_files(source)}
        del files[SOURCE_CODE_JSON]
        text = without_source_dir((source / SOURCE_CODE_JSON).read_text())
        return self._staging.stage_tree(files, label, contents={SOURCE_CODE_JSON: text})

    def upload_string_as_file_body(
        self, body: str, bucket: str, key: str, kms_key: str | None = None
    ) -> str:
        """Stage a generated file (such as a runner script) instead of uploading it."""
        name = key.rsplit("/", 1)[-1]
        assembling = self._staging.root / ".strings" / name
        assembling.parent.mkdir(parents=True, exist_ok=True)
        assembling.write_text(body)
        try:
            staged = self._staging.stage(assembling, name.rsplit(".", 1)[0])
        finally:
            assembling.unlink()
            assembling.parent.rmdir()
        return f"s3://{bucket}/{staged.key}"


def without_source_dir(source_code_json: str) -> str:
    """The drivers' `sourcecode.json` with `source_dir` blanked (null), all else kept."""
    source_code = json.loads(source_code_json)
    if not isinstance(source_code, dict):
        raise ValueError(f"{SOURCE_CODE_JSON} must hold a JSON object, got {source_code_json!r}")
    source_code["source_dir"] = None
    return json.dumps(source_code)


@contextmanager
def config_validated_once() -> Iterator[None]:
    """Validate SDK_CONFIG against the SDK's schema once instead of on every lookup.

    The SDK re-validates the session's config dictionary, schema check included, each time it
    reads a default (about 40 times and 0.17 s each per render). Ours is a constant: it is
    validated for real here, then the SDK's check is skipped for that dictionary only.
    """
    from sagemaker.core.config.config_manager import SageMakerConfig  # noqa: PLC0415
    from sagemaker.core.helper import session_helper  # noqa: PLC0415

    original = SageMakerConfig.validate_sagemaker_config
    original(SDK_CONFIG)
    # The session validates its config once more through the function its module imported.
    session_original = session_helper.validate_sagemaker_config

    def validate(sagemaker_config: dict[str, Any] | None = None) -> None:
        if sagemaker_config is not SDK_CONFIG:
            original(sagemaker_config)

    SageMakerConfig.validate_sagemaker_config = staticmethod(validate)
    session_helper.validate_sagemaker_config = validate
    try:
        yield
    finally:
        SageMakerConfig.validate_sagemaker_config = staticmethod(original)
        session_helper.validate_sagemaker_config = session_original


@contextmanager
def local_mode_unused() -> Iterator[None]:
    """Keep the SDK from building a local-mode session just to read a method's name.

    Each ProcessingStep checks where its arguments came from against
    `LocalSagemakerClient().create_processing_job.__name__`; building that client creates a
    local session with its own boto3 clients (about a third of a render). The class's own
    attribute has the same name, so the check is unchanged.
    """
    from sagemaker.mlops.workflow import steps  # noqa: PLC0415

    original = steps.LocalSagemakerClient
    steps.LocalSagemakerClient = lambda *_, **__: original
    try:
        yield
    finally:
        steps.LocalSagemakerClient = original
