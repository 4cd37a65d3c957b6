"""The corpus: its entries, the step types each covers, and the defects injected into each.

A mutation names the step and the kind of issue the validator must report for it; the
tests assert exactly that, so a mutation caught by accident elsewhere does not count.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testsupport.corpus import jobs
from testsupport.corpus.session import offline_session

Definition = dict[str, Any]


@dataclass(frozen=True)
class Mutation:
    """A defect: what it does, where it is reported and as what."""

    name: str
    step: str
    kind: str
    apply: Callable[[Definition], None]


@dataclass(frozen=True)
class Entry:
    """A corpus definition: how the SDK builds it and the defects injected into it."""

    name: str
    step_types: tuple[str, ...]
    build: Callable[[Any], Definition]
    mutations: tuple[Mutation, ...]
    # Issues the SDK's own output has (kind, step): ModelTrainer's typed hyperparameters.
    sdk_issues: tuple[tuple[str, str], ...] = ()


def steps_of(definition: Definition) -> Iterator[dict[str, Any]]:
    """Every step object, wherever it is nested (branches, ForEach bodies)."""
    pending = list(definition["Steps"])
    while pending:
        step = pending.pop(0)
        yield step
        arguments = step.get("Arguments")
        if isinstance(arguments, dict):
            for key in ("IfSteps", "ElseSteps", "ForEachBody"):
                pending.extend(arguments.get(key) or [])


def step(definition: Definition, name: str) -> dict[str, Any]:
    """The step named `name`."""
    return next(s for s in steps_of(definition) if s.get("Name") == name)


def args(definition: Definition, name: str) -> dict[str, Any]:
    """The Arguments of the step named `name`."""
    found: dict[str, Any] = step(definition, name)["Arguments"]
    return found


def get(expression: str) -> dict[str, str]:
    """A `Get` expression."""
    return {"Get": expression}


def _m(name: str, at: str, kind: str, apply: Callable[[Definition], Any]) -> Mutation:
    return Mutation(name, at, kind, lambda d: (apply(d), None)[1])


def _set(target: dict[str, Any], **values: Any) -> None:
    target.update(values)


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "processing",
        ("Processing",),
        jobs.processing,
        (
            _m(
                "misspelt ClusterConfig member",
                "Prepare",
                "unknown-key",
                lambda d: _set(
                    args(d, "Prepare")["ProcessingResources"]["ClusterConfig"], InstanceCont=2
                ),
            ),
            _m(
                "S3InputMode 'Files'",
                "Prepare",
                "enum",
                lambda d: _set(
                    args(d, "Prepare")["ProcessingInputs"][0]["S3Input"], S3InputMode="Files"
                ),
            ),
            _m(
                "property file on an output that does not exist",
                "Prepare",
                "dangling-reference",
                lambda d: _set(step(d, "Prepare")["PropertyFiles"][0], OutputName="reports"),
            ),
            _m(
                "ExpireAfter that is no duration",
                "Prepare",
                "pattern",
                lambda d: _set(step(d, "Prepare")["CacheConfig"], ExpireAfter="30 days"),
            ),
        ),
    ),
    Entry(
        "training",
        ("Training",),
        jobs.training,
        (
            _m(
                "TrainingInputMode 'Files'",
                "Train",
                "enum",
                lambda d: _set(
                    args(d, "Train")["AlgorithmSpecification"], TrainingInputMode="Files"
                ),
            ),
            _m(
                "InstanceCount as a string",
                "Train",
                "wrong-type",
                lambda d: _set(args(d, "Train")["ResourceConfig"], InstanceCount="1"),
            ),
            _m(
                "hyperparameter from an undeclared parameter",
                "Train",
                "dangling-reference",
                lambda d: _set(args(d, "Train")["HyperParameters"], eta=get("Parameters.Eta")),
            ),
        ),
    ),
    Entry(
        "training-typed-hyperparameters",
        ("Training",),
        jobs.training_typed_hyperparameters,
        (),
        sdk_issues=(("typed-hyperparameter", "Train"),),
    ),
    Entry(
        "model-transform",
        ("Model", "Transform"),
        jobs.model_and_transform,
        (
            _m(
                "SplitType 'Lines'",
                "Predict",
                "enum",
                lambda d: _set(args(d, "Predict")["TransformInput"], SplitType="Lines"),
            ),
            _m(
                "ModelName from a misspelt property",
                "Predict",
                "dangling-reference",
                lambda d: _set(args(d, "Predict"), ModelName=get("Steps.CreateModel.ModelNam")),
            ),
            _m(
                "no instances",
                "Predict",
                "out-of-range",
                lambda d: _set(args(d, "Predict")["TransformResources"], InstanceCount=0),
            ),
            _m(
                "model data that is no URL",
                "CreateModel",
                "pattern",
                lambda d: _set(
                    args(d, "CreateModel")["PrimaryContainer"], ModelDataUrl="model.tar.gz"
                ),
            ),
        ),
    ),
    Entry(
        "register",
        ("RegisterModel",),
        jobs.register,
        (
            _m(
                "approval status 'Aproved'",
                "Register",
                "enum",
                lambda d: _set(args(d, "Register"), ModelApprovalStatus="Aproved"),
            ),
            _m(
                "a package without containers",
                "Register",
                "missing-required",
                lambda d: args(d, "Register")["InferenceSpecification"].pop("Containers"),
            ),
            _m(
                "a job retry policy on a step that runs no job",
                "Register",
                "enum",
                lambda d: _set(
                    step(d, "Register"),
                    RetryPolicies=[
                        {"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "MaxAttempts": 2}
                    ],
                ),
            ),
        ),
    ),
    Entry(
        "tuning",
        ("Tuning",),
        jobs.tuning,
        (
            _m(
                "Strategy 'Baysian'",
                "Tune",
                "enum",
                lambda d: _set(
                    args(d, "Tune")["HyperParameterTuningJobConfig"], Strategy="Baysian"
                ),
            ),
            _m(
                "no parallel jobs",
                "Tune",
                "out-of-range",
                lambda d: _set(
                    args(d, "Tune")["HyperParameterTuningJobConfig"]["ResourceLimits"],
                    MaxParallelTrainingJobs=0,
                ),
            ),
        ),
    ),
    Entry(
        "automl",
        ("AutoML",),
        jobs.automl,
        (
            _m(
                "Mode 'ENSEMBLE'",
                "AutoML",
                "enum",
                lambda d: _set(args(d, "AutoML")["AutoMLJobConfig"], Mode="ENSEMBLE"),
            ),
            _m(
                "no input channel",
                "AutoML",
                "out-of-range",
                lambda d: _set(args(d, "AutoML"), InputDataConfig=[]),
            ),
        ),
    ),
    Entry(
        "job",
        ("Job",),
        jobs.job,
        (
            _m("no role", "Job", "missing-required", lambda d: args(d, "Job").pop("RoleArn")),
            _m(
                "a config document that is an object",
                "Job",
                "wrong-type",
                lambda d: _set(args(d, "Job"), JobConfigDocument={"OutputDataConfig": {}}),
            ),
        ),
    ),
    Entry(
        "function-step",
        ("Training",),
        jobs.function_step,
        (
            _m(
                "keep-alive beyond the maximum",
                "Compute",
                "out-of-range",
                lambda d: _set(
                    args(d, "Compute")["ResourceConfig"], KeepAlivePeriodInSeconds=99999
                ),
            ),
        ),
    ),
)


def render_corpus(staging_dir: Path) -> dict[str, Definition]:
    """Every entry rendered by the SDK, in one offline session (a few seconds)."""
    from testsupport.corpus.more_entries import MORE_ENTRIES

    with offline_session(staging_dir) as session:
        return {entry.name: entry.build(session) for entry in (*ENTRIES, *MORE_ENTRIES)}


def all_entries() -> tuple[Entry, ...]:
    """The corpus entries, in order."""
    from testsupport.corpus.more_entries import MORE_ENTRIES

    return (*ENTRIES, *MORE_ENTRIES)


def mutated(definition: Definition, mutation: Mutation) -> Definition:
    """A deep copy of `definition` with `mutation` applied."""
    copied = copy.deepcopy(definition)
    mutation.apply(copied)
    return copied
