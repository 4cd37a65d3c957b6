"""Render the shipped pipeline with batch-prediction steps added, offline, with the SDK.

    python -m examples.batch_predictions.build [--out build/batch-predictions]

After TrainModel, `CreateModel` (ModelBuilder.build) makes a model of the trained archive,
whose serving code is inside it (code/inference.py); `PredictTestSplit` (a Transform step) runs
it on ProcessData's test split as one CSV request per file; `SummarisePredictions` (a Lambda
step) counts the predictions and averages them, and `CheckPredictions` fails the run when
there are none. ProcessData writes its splits as CSV here, which the serving code reads.

Run it locally with the Lambda function mapped to `handlers.summarise`:

    python -m pipeline_definition run-local --definition build/batch-predictions/definition.json \\
        --lambda summarise-predictions=examples.batch_predictions.handlers:summarise
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml_scripts import layout
from pipeline_definition.build.config import XGBOOST_VERSION, PipelineConfig, pipeline_config
from pipeline_definition.build.render import to_json
from pipeline_definition.build.sdk_environment import sdk_render_environment
from pipeline_definition.build.staging import CodeStaging
from pipeline_definition.model import placeholders
from project.settings import project_settings

FUNCTION_NAME = "summarise-predictions"
FUNCTION_ARN = (
    f"arn:{placeholders.ref(placeholders.PARTITION)}:lambda:eu-west-1:"
    f"{placeholders.ref(placeholders.ACCOUNT_ID)}:function:{FUNCTION_NAME}"
)
DEFAULT_OUT = Path("build/batch-predictions")


def _steps(pipeline: Any) -> dict[str, Any]:
    """Every step by name, branch steps included (ProcessData runs in CheckInstanceLimits')."""
    found: dict[str, Any] = {}
    pending = list(pipeline.steps)
    while pending:
        step = pending.pop()
        found[step.name] = step
        pending += [*getattr(step, "if_steps", []), *getattr(step, "else_steps", [])]
    return found


def add_batch_steps(pipeline: Any, config: PipelineConfig, session: Any) -> None:
    """Append CreateModel, PredictTestSplit, SummarisePredictions and CheckPredictions."""
    from sagemaker.core import image_uris
    from sagemaker.core.lambda_helper import Lambda
    from sagemaker.core.transformer import Transformer
    from sagemaker.core.workflow.conditions import ConditionGreaterThan
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.lambda_step import LambdaOutput, LambdaOutputTypeEnum, LambdaStep
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.mlops.workflow.steps import TransformStep
    from sagemaker.serve.model_builder import ModelBuilder

    steps = _steps(pipeline)
    process, train = steps["ProcessData"], steps["TrainModel"]
    image = image_uris.retrieve("xgboost", region=config.region, version=XGBOOST_VERSION)
    builder = ModelBuilder(
        s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts,
        image_uri=image,
        role_arn=config.role_arn,
        sagemaker_session=session,
        log_level=logging.WARNING,
        env_vars={
            "SAGEMAKER_PROGRAM": layout.SERVING_ENTRY,
            "SAGEMAKER_SUBMIT_DIRECTORY": layout.SERVING_SUBMIT_DIRECTORY,
        },
    )
    model = ModelStep(name="CreateModel", step_args=builder.build())
    test_split = process.properties.ProcessingOutputConfig.Outputs[layout.TEST_SPLIT]
    transformer = Transformer(
        model_name=model.properties.ModelName,
        instance_count=1,
        instance_type="ml.m5.large",
        output_path=Join(
            on="/",
            values=[
                f"s3://{config.artifact_bucket}/predictions",
                ExecutionVariables.PIPELINE_EXECUTION_ID,
            ],
        ),
        accept="text/csv",
        assemble_with="Line",
        sagemaker_session=session,
    )
    predict = TransformStep(
        name="PredictTestSplit",
        step_args=transformer.transform(
            data=test_split.S3Output.S3Uri, content_type="text/csv", split_type="None"
        ),
    )
    rows = LambdaOutput(output_name="rows", output_type=LambdaOutputTypeEnum.Integer)
    mean = LambdaOutput(output_name="mean_price", output_type=LambdaOutputTypeEnum.Float)
    summarise = LambdaStep(
        name="SummarisePredictions",
        lambda_func=Lambda(function_arn=FUNCTION_ARN, session=session),
        inputs={"predictions": predict.properties.TransformOutput.S3OutputPath},
        outputs=[rows, mean],
    )
    check = ConditionStep(
        name="CheckPredictions",
        conditions=[ConditionGreaterThan(left=summarise.properties.Outputs["rows"], right=0)],
        else_steps=[FailStep(name="NoPredictions", error_message="the model predicted nothing")],
    )
    pipeline.steps.extend([model, predict, summarise, check])


def csv_splits(definition: dict[str, Any]) -> dict[str, Any]:
    """ProcessData writes its splits as CSV, which the serving code takes (text/csv)."""
    pending = list(definition["Steps"])
    while pending:
        step = pending.pop()
        arguments = step.get("Arguments", {})
        if step["Name"] == "ProcessData":
            arguments["AppSpecification"]["ContainerArguments"] += ["--output-format", "csv"]
        pending += [*arguments.get("IfSteps", []), *arguments.get("ElseSteps", [])]
    return definition


def render(out: Path) -> Path:
    """Write `<out>/definition.json` and the code it ships (`<out>/code/`); return the file."""
    config = pipeline_config(project_settings(os.environ))
    out.mkdir(parents=True, exist_ok=True)
    staging = CodeStaging(out / "code")
    with sdk_render_environment(config.region), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pipeline_definition.build.builder import build_pipeline
        from pipeline_definition.build.offline_session import (
            OfflinePipelineSession,
            config_validated_once,
        )

        for name in ("sagemaker", "sagemaker.config"):
            logging.getLogger(name).setLevel(logging.ERROR)
        with config_validated_once():
            session = OfflinePipelineSession(
                region=config.region, default_bucket=config.artifact_bucket, staging=staging
            )
            pipeline = build_pipeline(config, session)
            add_batch_steps(pipeline, config, session)
            definition = json.loads(pipeline.definition())
    path = out / "definition.json"
    path.write_text(to_json(csv_splits(definition)))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Render the definition; print where it is."""
    parser = argparse.ArgumentParser(prog="python -m examples.batch_predictions.build")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    print(render(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
