"""The step types the local executor runs, in one registry: KINDS.

The loader asks a step's kind what in its arguments cannot run; the executor asks it how to
run the step. A job kind runs as attempts on a worker thread, with retries and, when it
says how, the step cache; a control kind (Condition, Fail) is decided on the scheduler
thread. Adding a step type is a module with the kind's functions and one entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline_definition.local import (
    control,
    create_model,
    lambda_step,
    processing,
    register,
    training,
    transform,
)
from pipeline_definition.local.control import Decision
from pipeline_definition.local.evaluation import EvaluationContext
from pipeline_definition.local.jobs import JobContext, LocalStep

Check = Callable[[Any], list[str]]
StepCheck = Callable[[LocalStep], list[str]]
Describe = Mapping[str, Any]


def _no_problems(arguments: Any) -> list[str]:
    return []


def _step_is_fine(step: LocalStep) -> list[str]:
    return []


def _no_outputs(describe: Describe) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class CacheRules:
    """How a job's cache key is made and which results a cache record needs to be reusable."""

    attributes: Callable[[Mapping[str, Any]], dict[str, Any]]  # the arguments in the key
    result_uris: Callable[[Describe], list[str]]  # what must still exist for a hit


@dataclass(frozen=True)
class JobKind:
    """A step that runs as a job: evaluated arguments in, a describe document out."""

    run: Callable[[JobContext, Mapping[str, Any]], dict[str, Any]]
    check: Check = _no_problems
    # What in the step beyond its arguments (and the run's options) keeps it from running.
    check_step: StepCheck = _step_is_fine
    # The execution variable that names the job (`Execution.ProcessingJobName`), if any.
    job_name_variable: str | None = None
    cache: CacheRules | None = None  # None: the step's CacheConfig does not apply
    # Output name -> S3 URI, as a PropertyFile's OutputName refers to them.
    outputs: Callable[[Describe], dict[str, str]] = _no_outputs
    # Label -> S3 URI of what the job may leave in the store, for the summary.
    artifacts: Callable[[Describe], dict[str, str]] = _no_outputs
    # The progress detail of a success; by default it names the attempt after retries.
    success_detail: Callable[[Describe], str] | None = None


@dataclass(frozen=True)
class ControlKind:
    """A step decided from expressions on the scheduler thread, with no job and no retries."""

    decide: Callable[[Mapping[str, Any], EvaluationContext], Decision]
    check: Check = _no_problems


StepKind = JobKind | ControlKind

# In this order the loader lists the supported types.
KINDS: Mapping[str, StepKind] = {
    "Processing": JobKind(
        run=processing.run_processing,
        check=processing.check_processing,
        job_name_variable="ProcessingJobName",
        cache=CacheRules(processing.cache_attributes, processing.result_uris),
        outputs=processing.output_uris,
        artifacts=processing.output_uris,
    ),
    "Training": JobKind(
        run=training.run_training,
        check=training.check_training,
        job_name_variable="TrainingJobName",
        cache=CacheRules(training.cache_attributes, training.result_uris),
        artifacts=training.artifact_uris,
    ),
    "Condition": ControlKind(decide=control.decide_condition, check=control.check_condition),
    "Fail": ControlKind(decide=control.decide_fail, check=control.check_fail),
    "RegisterModel": JobKind(run=register.run_register, success_detail=register.registered_detail),
    "Model": JobKind(
        run=create_model.run_model,
        check=create_model.check_model,
        success_detail=create_model.model_detail,
    ),
    "Transform": JobKind(
        run=transform.run_transform,
        check=transform.check_transform,
        cache=CacheRules(transform.cache_attributes, transform.result_uris),
        artifacts=transform.output_uris,
    ),
    "Lambda": JobKind(
        run=lambda_step.run_lambda,
        check_step=lambda_step.check_lambda_step,
        cache=CacheRules(lambda_step.cache_attributes, lambda_step.no_uris),
        success_detail=lambda_step.output_detail,
    ),
}

# Why each step type that does not run locally cannot (the loader lists them up front).
REFUSED: Mapping[str, str] = {
    "Tuning": "SageMaker's tuner chooses and runs the training jobs",
    "AutoML": "Autopilot chooses, trains and ranks the candidates in AWS",
    "Job": "it runs a workload SageMaker manages (CreateJob)",
    "QualityCheck": "it runs the Model Monitor analyzer image, which needs its container",
    "ClarifyCheck": "it runs the SageMaker Clarify image, which needs its container",
    "EMR": "it needs an EMR cluster",
    "EMRServerless": "it needs an EMR Serverless application",
    "EndpointConfig": "it creates hosting resources in AWS",
    "Endpoint": "it creates hosting resources in AWS",
    "InferenceComponent": "it creates hosting resources in AWS",
    "Lineage": "it writes to SageMaker's lineage store",
    "Callback": "it waits for an answer sent back through SQS",
    "Cleanup": "it deletes objects in S3; a local run never deletes anything",
    "ForEach": "SageMaker runs its body once per item as child steps",
}


def outputs_of(step_type: str, describe: Describe) -> dict[str, str]:
    """Output name -> S3 URI of a finished step (empty for kinds without named outputs)."""
    kind = KINDS.get(step_type)
    return kind.outputs(describe) if isinstance(kind, JobKind) else {}


def artifacts_of(step_type: str, describe: Describe) -> dict[str, str]:
    """Label -> S3 URI of what a finished step may have left in the store."""
    kind = KINDS.get(step_type)
    return kind.artifacts(describe) if isinstance(kind, JobKind) else {}
