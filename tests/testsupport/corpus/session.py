"""The offline SDK session the corpus builders render with, and the render of one pipeline."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline_definition.build.sdk_environment import sdk_render_environment
from pipeline_definition.build.staging import CodeStaging

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline"
BUCKET = "corpus-bucket"
XGBOOST_IMAGE = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:3.2-0"
SKLEARN_IMAGE = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-scikit-learn:1.4-2"


@contextmanager
def offline_session(staging_dir: Path) -> Iterator[Any]:
    """An OfflinePipelineSession with the SDK's environment in place, quiet."""
    with sdk_render_environment(REGION), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pipeline_definition.build.offline_session import (
            OfflinePipelineSession,
            config_validated_once,
        )

        loggers = [
            logging.getLogger(name)
            for name in ("sagemaker", "sagemaker.config", "sagemaker.remote_function")
        ]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            with config_validated_once():
                yield OfflinePipelineSession(
                    region=REGION, default_bucket=BUCKET, staging=CodeStaging(staging_dir)
                )
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def render(session: Any, name: str, steps: Sequence[Any], parameters: Sequence[Any] = ()) -> Any:
    """The parsed definition of a pipeline of `steps`, as `Pipeline.definition()` renders it."""
    from sagemaker.mlops.workflow.pipeline import Pipeline

    pipeline = Pipeline(
        name=name,
        parameters=list(parameters),
        steps=list(steps),
        sagemaker_session=session,
        pipeline_experiment_config=None,
    )
    return json.loads(pipeline.definition())
