"""Render the pipeline definition JSON, offline and deterministically."""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline_definition.build import prefetch, render_cache
from pipeline_definition.build.config import PipelineConfig
from pipeline_definition.build.sdk_environment import (
    botocore_data_read_once,
    sdk_render_environment,
)
from pipeline_definition.build.staging import CODE_PREFIX, CodeStaging
from pipeline_definition.model import placeholders
from pipeline_definition.model.placeholders import unknown_placeholders
from project.settings import SUPPORTED_REGIONS

# AWS::SageMaker::Pipeline accepts a PipelineDefinitionBody of at most this many characters.
MAX_DEFINITION_CHARACTERS = 1_048_576
# The longest partition id botocore knows (a test compares it with botocore's partitions).
LONGEST_PARTITION = "aws-us-gov"
_KMS_KEY_ARN = "arn:{partition}:kms:{region}:{account}:key/{key_id}"
# CloudFormation substitutes the placeholders before SageMaker sees the body, so the limit
# holds for the resolved text. Each placeholder counts at the longest value it can take: bucket
# names up to 63 characters; a role's path (up to 512 characters, less its leading slash) and
# name (up to 64); key ids of 36 (a UUID, or mrk- and 32 hex digits); 12-digit accounts.
LONGEST_VALUES = {
    placeholders.ARTIFACT_BUCKET: 63,
    placeholders.DATA_BUCKET: 63,
    placeholders.KMS_KEY_ARN: len(
        _KMS_KEY_ARN.format(
            partition=LONGEST_PARTITION,
            region=max(SUPPORTED_REGIONS, key=len),
            account="0" * 12,
            key_id="0" * 36,
        )
    ),
    placeholders.ROLE_NAME: 511 + 64,
    placeholders.PARTITION: len(LONGEST_PARTITION),
    placeholders.ACCOUNT_ID: 12,
}


class DefinitionTooLargeError(ValueError):
    """The rendered definition does not fit in a CloudFormation PipelineDefinitionBody."""


@dataclass(frozen=True)
class RenderedDefinition:
    """The definition body and the staged code it refers to."""

    body: str
    staging_dir: Path
    code_keys: tuple[str, ...]

    @property
    def definition(self) -> dict[str, Any]:
        """The body parsed as JSON."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


def to_json(definition: dict[str, Any]) -> str:
    """Pretty-print with sorted keys so that diffs read line by line."""
    return json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def resolved_length(body: str) -> int:
    """The body's length once CloudFormation substitutes the longest possible values."""
    # Unknown placeholders are refused before this check; the known ones may also shrink.
    growth = sum(
        LONGEST_VALUES[name] - len(placeholders.ref(name))
        for name in placeholders.PLACEHOLDER_PATTERN.findall(body)
        if name in LONGEST_VALUES
    )
    return len(body) + growth


def check_size(body: str) -> None:
    """Raise DefinitionTooLargeError when the resolved `body` can exceed the limit."""
    resolved = resolved_length(body)
    if resolved > MAX_DEFINITION_CHARACTERS:
        raise DefinitionTooLargeError(
            f"the pipeline definition has {len(body):,} characters, up to {resolved:,} once "
            "CloudFormation substitutes the bucket names, key ARN, role and account; "
            f"AWS::SageMaker::Pipeline accepts at most {MAX_DEFINITION_CHARACTERS:,} in "
            "PipelineDefinitionBody. Shorten step arguments or move large values into files "
            "the steps read."
        )


def render_definition(
    config: PipelineConfig, staging_dir: Path, *, cache_dir: Path | None = None
) -> RenderedDefinition:
    """Build the pipeline with the SDK and return its definition and staged code.

    With `cache_dir`, a render whose inputs are unchanged is taken from the cache (see
    `render_cache`): same body, same staged files, without importing the SDK.
    """
    key = render_cache.cache_key(config) if cache_dir is not None else ""
    if cache_dir is not None:
        # A render of these inputs started at app start (see `prefetch`) lands in the cache.
        prefetch.wait(cache_dir, key)
        hit = render_cache.load(cache_dir, key, staging_dir)
        if hit is not None:
            body, code_keys = hit
            return RenderedDefinition(body=body, staging_dir=staging_dir, code_keys=code_keys)
    rendered = _render(config, staging_dir)
    if cache_dir is not None:
        render_cache.store(cache_dir, key, rendered.body, rendered.code_keys, staging_dir)
    return rendered


def _render(config: PipelineConfig, staging_dir: Path) -> RenderedDefinition:
    shutil.rmtree(staging_dir / CODE_PREFIX, ignore_errors=True)
    staging_dir.mkdir(parents=True, exist_ok=True)
    staging = CodeStaging(staging_dir)
    with sdk_render_environment(config.region), botocore_data_read_once(), _quiet_sdk():
        # The SDK can only be imported once the environment above is in place.
        from pipeline_definition.build.builder import build_pipeline  # noqa: PLC0415
        from pipeline_definition.build.offline_session import (  # noqa: PLC0415
            OfflinePipelineSession,
            config_validated_once,
            local_mode_unused,
        )

        with config_validated_once(), local_mode_unused():
            session = OfflinePipelineSession(
                region=config.region, default_bucket=config.artifact_bucket, staging=staging
            )
            pipeline = build_pipeline(config, session)
            raw = pipeline.definition()
    body = to_json(json.loads(raw))
    unknown = unknown_placeholders(body)
    if unknown:
        raise ValueError(f"the definition refers to unknown placeholders: {sorted(unknown)}")
    check_size(body)
    return RenderedDefinition(
        body=body, staging_dir=staging_dir, code_keys=tuple(sorted(staging.staged))
    )


@contextmanager
def _quiet_sdk() -> Iterator[None]:
    """Silence the SDK's notes about what is expected in a pipeline render."""
    loggers = [logging.getLogger(name) for name in ("sagemaker", "sagemaker.config")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        # "No Wait, No Logs, and No Job being started" is the point of a pipeline render.
        warnings.filterwarnings("ignore", message="Running within a PipelineSession")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)
