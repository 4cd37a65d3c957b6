"""Step-level checks of a pipeline definition: each step's fields, settings and arguments.

A step's `Arguments` go to the botocore shape of the API its type calls; the step types that
call no single API have checkers of their own (`condition_steps`, `callback_steps`,
`baseline_steps`, `emr_steps`, `lineage_steps`, `for_each_steps`). The fields every step type
shares (DependsOn, RetryPolicies, CacheConfig, PropertyFiles) are in `step_fields`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from pipeline_definition.check.baseline_steps import baseline_step_keys, check_baseline_step
from pipeline_definition.check.callback_steps import check_callback_step, check_lambda_step
from pipeline_definition.check.condition_steps import check_condition_step, check_fail_step
from pipeline_definition.check.emr_steps import check_emr_serverless_step, check_emr_step
from pipeline_definition.check.expression_types import check_expressions_in
from pipeline_definition.check.for_each_steps import check_for_each_step
from pipeline_definition.check.issues import ValidationIssue
from pipeline_definition.check.lineage_steps import check_cleanup_step, check_lineage_step
from pipeline_definition.check.scope import Scope
from pipeline_definition.check.service_model import SERVICE_NAMED_MEMBERS, request_shape, shape
from pipeline_definition.check.shapes import check_scalar, check_value
from pipeline_definition.check.step_fields import (
    JOB_EXCEPTIONS,
    STEP_EXCEPTIONS,
    StepFields,
    processing_outputs,
)
from pipeline_definition.model.graph import StepNode

__all__ = [
    "JOB_EXCEPTIONS",
    "STEP_EXCEPTIONS",
    "STEP_KEYS",
    "STEP_TYPES",
    "check_step",
    "processing_outputs",
    "step_label",
]

CACHED_AND_RETRIED: Final = frozenset({"CacheConfig", "RetryPolicies"})
OUTPUTS: Final = frozenset({"CacheConfig", "OutputParameters"})
# Step type -> its step-level keys beyond Name, Type, Arguments, DependsOn, DisplayName and
# Description, after the SDK's step classes (which steps cache, which retry) and the pipeline
# definition schema. The keys are the SDK's `StepTypeEnum`.
STEP_KEYS: Final[dict[str, frozenset[str]]] = {
    "Processing": CACHED_AND_RETRIED | {"PropertyFiles"},
    "Training": CACHED_AND_RETRIED,
    "Transform": CACHED_AND_RETRIED,
    "Tuning": CACHED_AND_RETRIED,
    "AutoML": CACHED_AND_RETRIED,
    "Job": CACHED_AND_RETRIED,
    "EMRServerless": CACHED_AND_RETRIED,
    "EndpointConfig": CACHED_AND_RETRIED,
    "Endpoint": frozenset({"CacheConfig"}),
    "EMR": frozenset({"CacheConfig"}),
    "Model": frozenset({"RetryPolicies"}),
    "RegisterModel": frozenset({"RetryPolicies"}),
    "InferenceComponent": frozenset(),
    "Lineage": frozenset(),
    "Lambda": OUTPUTS | {"FunctionArn"},
    "Callback": OUTPUTS | {"SqsQueueUrl"},
    "QualityCheck": CACHED_AND_RETRIED | baseline_step_keys("QualityCheck"),
    "ClarifyCheck": CACHED_AND_RETRIED | baseline_step_keys("ClarifyCheck"),
    "Condition": frozenset(),
    "Fail": frozenset(),
    "Cleanup": frozenset(),
    "ForEach": frozenset(),
}
STEP_TYPES: Final = frozenset(STEP_KEYS)
COMMON_STEP_KEYS: Final = frozenset(
    {"Name", "Type", "Arguments", "DependsOn", "DisplayName", "Description"}
)

StepCheck = Callable[[StepNode, Scope, str], list[ValidationIssue]]
# The step types whose layout is not one API request (the check steps have both).
LAYOUT_CHECKS: Final[Mapping[str, StepCheck]] = {
    "Lambda": check_lambda_step,
    "Callback": check_callback_step,
    "QualityCheck": check_baseline_step,
    "ClarifyCheck": check_baseline_step,
    "EMR": check_emr_step,
    "EMRServerless": check_emr_serverless_step,
    "Lineage": check_lineage_step,
    "Cleanup": check_cleanup_step,
    "ForEach": check_for_each_step,
    "Condition": lambda node, scope, label: check_condition_step(
        node.arguments, f"{node.path}.Arguments", label, scope
    ),
    "Fail": lambda node, scope, label: check_fail_step(
        node.arguments, f"{node.path}.Arguments", label, scope
    ),
}


def check_step(node: StepNode, scope: Scope) -> list[ValidationIssue]:
    """The issues of one step (its nested branch and body steps are checked on their own)."""
    return _StepChecker(node, scope).check()


def step_label(node: StepNode) -> str:
    """The name issues of `node` are reported under."""
    # An unnamed step is still reported, under its position.
    return node.name or node.path


class _StepChecker(StepFields):
    """The step-level checks of one step: its fields, arguments and settings."""

    def __init__(self, node: StepNode, scope: Scope) -> None:
        super().__init__(step_label(node), node, scope)

    def check(self) -> list[ValidationIssue]:
        raw = self.node.raw
        type_ = raw.get("Type")
        self.check_name()
        self.check_type(raw, type_)
        for key, shape_name in (
            ("DisplayName", "StepDisplayName"),
            ("Description", "StepDescription"),
        ):
            if key in raw:
                self.issues.extend(
                    check_scalar(raw[key], shape(shape_name), self.at(key), self.step)
                )
        self.check_fields(str(type_))
        self.check_arguments(str(type_))
        return self.issues

    def check_type(self, raw: Mapping[str, Any], type_: Any) -> None:
        if "Type" not in raw:
            self.report(self.at("Type"), "a step needs a Type", "missing-required")
            return
        allowed = STEP_KEYS.get(type_) if isinstance(type_, str) else None
        if allowed is None:
            self.report(
                self.at("Type"),
                f"unknown step type {type_!r} (known: {', '.join(sorted(STEP_TYPES))})",
                "unknown-step-type",
            )
            return
        for key in sorted(set(raw) - COMMON_STEP_KEYS - allowed):
            self.report(self.at(str(key)), f"unknown key '{key}' for a {type_} step", "unknown-key")

    def check_name(self) -> None:
        name = self.node.raw.get("Name")
        if name is None or name == "":
            self.report(self.at("Name"), "a step needs a Name", "missing-required")
            return
        self.issues.extend(
            ValidationIssue(self.step, i.path, f"step name: {i.message}", i.kind)
            for i in check_scalar(name, shape("StepName"), self.at("Name"), self.step)
        )

    def check_arguments(self, type_: str) -> None:
        raw = self.node.raw
        path = self.at("Arguments")
        request = request_shape(type_)
        if request is not None:
            if "Arguments" not in raw:
                self.report(path, f"a {type_} step needs Arguments", "missing-required")
            else:
                self.issues.extend(
                    check_value(
                        raw["Arguments"],
                        request,
                        path,
                        self.step,
                        self.scope,
                        service_named=SERVICE_NAMED_MEMBERS.get(type_, ()),
                    )
                )
        layout = LAYOUT_CHECKS.get(type_)
        if layout is not None:
            self.issues.extend(layout(self.node, self.scope, self.step))
        elif request is None:
            # An unknown step type: the names its expressions use must still exist.
            self.issues.extend(
                check_expressions_in(raw.get("Arguments"), path, self.step, self.scope)
            )
