"""Corpus builders for the steps that shape the run: Condition (every condition type), Fail,
ForEach, Cleanup and failure-triggered dependencies (`StepDependency`), each rendered by the
SDK's own classes.
"""

from __future__ import annotations

from typing import Any

from testsupport.corpus.integrations import FUNCTION_ARN
from testsupport.corpus.session import BUCKET, render


def conditions(session: Any) -> Any:
    """A Condition step with In, Not, Or and comparisons, and Fail steps on both branches."""
    from sagemaker.core.workflow.conditions import (
        ConditionEquals,
        ConditionGreaterThanOrEqualTo,
        ConditionIn,
        ConditionLessThan,
        ConditionNot,
        ConditionOr,
    )
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import (
        ParameterBoolean,
        ParameterFloat,
        ParameterString,
    )
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep

    stage = ParameterString("Stage", default_value="dev", enum_values=["dev", "prod"])
    score = ParameterFloat("Score", default_value=0.5)
    strict = ParameterBoolean("Strict", default_value=False)
    check = ConditionStep(
        name="Gate",
        conditions=[
            ConditionOr(
                conditions=[
                    ConditionIn(value=stage, in_values=["dev", "test"]),
                    ConditionNot(expression=ConditionLessThan(left=score, right=0.8)),
                ]
            ),
            ConditionGreaterThanOrEqualTo(left=score, right=0.1),
            ConditionEquals(left=strict, right=False),
        ],
        if_steps=[
            FailStep(
                name="Passed",
                error_message=Join(on=" ", values=["passed", ExecutionVariables.PIPELINE_NAME]),
            )
        ],
        else_steps=[FailStep(name="Failed", error_message="the gate failed")],
    )
    return render(session, "corpus-conditions", [check], [stage, score, strict])


def for_each(session: Any) -> Any:
    """A ForEach step over literal items, with a selector, and a step that reads the pick."""
    from sagemaker.core.lambda_helper import Lambda
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.for_each_step import (
        CurrentItem,
        ForEachSelector,
        ForEachStep,
        IterationOutput,
    )
    from sagemaker.mlops.workflow.lambda_step import (
        LambdaOutput,
        LambdaOutputTypeEnum,
        LambdaStep,
    )

    score = LambdaOutput(output_name="score", output_type=LambdaOutputTypeEnum.Float)
    region = LambdaOutput(output_name="region", output_type=LambdaOutputTypeEnum.String)
    body = LambdaStep(
        name="ScoreRegion",
        lambda_func=Lambda(function_arn=FUNCTION_ARN, session=session),
        inputs={"region": CurrentItem()},
        outputs=[score, region],
    )
    loop = ForEachStep(
        name="EachRegion",
        iterable_items=["us-east-1", "eu-west-1"],
        max_concurrency=2,
        for_each_body=[body],
        selector=ForEachSelector("MaxBy", IterationOutput(body).OutputParameters["score"]),
    )
    best = FailStep(
        name="Best",
        error_message=loop.properties.Selected.OutputParameters["region"],
    )
    return render(session, "corpus-for-each", [loop, best])


def run_conditions(session: Any) -> Any:
    """Steps that run on another's failure (Trigger Failed) or whatever its outcome (Any)."""
    from sagemaker.core.lambda_helper import Lambda
    from sagemaker.mlops.workflow.cleanup_step import CleanupStep, S3CleanupSource
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.lambda_step import LambdaStep
    from sagemaker.mlops.workflow.step_dependency import (
        StepDependency,
        TriggerCondition,
    )

    from testsupport.corpus.jobs import _training_step

    train = _training_step(session, {"num_round": "100"})
    notify = LambdaStep(
        name="NotifyFailure",
        lambda_func=Lambda(function_arn=FUNCTION_ARN, session=session),
        inputs={"failed": "Train"},
        depends_on=[StepDependency(train, TriggerCondition.FAILED)],
    )
    cleanup = CleanupStep(
        name="CleanUp",
        s3_sources=[S3CleanupSource(train)],
        depends_on=[StepDependency(train, TriggerCondition.ANY)],
    )
    stopped = FailStep(
        name="WhenStopped",
        error_message="training was stopped",
        depends_on=[StepDependency(train, TriggerCondition.STOPPED)],
    )
    return render(session, "corpus-run-conditions", [train, notify, cleanup, stopped])


def cleanup(session: Any) -> Any:
    """A Cleanup step deleting exact objects a Processing step wrote."""
    from sagemaker.mlops.workflow.cleanup_step import CleanupStep, S3CleanupSource

    from testsupport.corpus.jobs import processing_step

    prepare, data = processing_step(session)
    step = CleanupStep(
        name="DeleteTrain",
        s3_sources=[S3CleanupSource(prepare, s3_uris=[f"s3://{BUCKET}/out/train/part-0.csv"])],
    )
    return render(session, "corpus-cleanup", [prepare, step], [data])
