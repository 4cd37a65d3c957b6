"""QualityCheck and ClarifyCheck steps: a processing job plus the baseline fields beside it.

Their Arguments are a CreateProcessingJob request (checked as one); the fields the SDK's
`QualityCheckStep` and `ClarifyCheckStep` write next to them say what is checked and what
happens to the baseline: CheckType, SkipCheck, FailOnViolation, RegisterNewBaseline, the
model package group and the supplied baselines (null when there are none), and for the
model-based Clarify checks the ModelName.
"""

from __future__ import annotations

from typing import Final

from pipeline_definition.check.issues import ValidationIssue
from pipeline_definition.check.members import Member, MemberChecker
from pipeline_definition.check.scope import Scope, child_path
from pipeline_definition.check.service_model import operation_input, shape
from pipeline_definition.model.graph import StepNode

CHECK_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "QualityCheck": ("DATA_QUALITY", "MODEL_QUALITY"),
    "ClarifyCheck": ("DATA_BIAS", "MODEL_BIAS", "MODEL_EXPLAINABILITY"),
}
# Clarify checks of a model run it, so they name it.
MODEL_CHECKS: Final = frozenset({"MODEL_BIAS", "MODEL_EXPLAINABILITY"})


def _fields(step_type: str) -> dict[str, Member]:
    """The step-level fields of a check step type, with the shapes their values follow."""
    flag = Member(shape("Boolean"))
    uri = Member(shape("S3Uri"))
    group = operation_input("CreateModelPackageGroup").members["ModelPackageGroupName"]
    fields = {
        "ModelPackageGroupName": Member(group),
        "SkipCheck": flag,
        "FailOnViolation": flag,
        "RegisterNewBaseline": flag,
        "SuppliedBaselineConstraints": uri,
    }
    if step_type == "QualityCheck":
        fields["SuppliedBaselineStatistics"] = uri
    else:
        fields["ModelName"] = Member(shape("ModelName"))
    return fields


def baseline_step_keys(step_type: str) -> frozenset[str]:
    """The step-level keys a check step type has beside the common ones."""
    return frozenset({"CheckType", *_fields(step_type)})


def check_baseline_step(node: StepNode, scope: Scope, label: str) -> list[ValidationIssue]:
    """The step-level fields of a QualityCheck or ClarifyCheck step (not its Arguments)."""
    checker = MemberChecker(label, scope)
    raw = node.raw
    choices = CHECK_TYPES[node.type]
    check_type = raw.get("CheckType")
    where = child_path(node.path, "CheckType")
    if check_type is None:
        checker.report(where, f"a {node.type} step needs a CheckType", "missing-required")
    elif check_type not in choices:
        checker.report(
            where,
            f"unknown CheckType {check_type!r} for a {node.type} step "
            f"(expected one of {', '.join(choices)})",
            "enum",
        )
    for name, member in _fields(node.type).items():
        # The SDK writes null for a supplied baseline or group that is not given.
        value = raw.get(name)
        if value is not None and member.shape is not None:
            checker.typed(value, member.shape, child_path(node.path, name))
    if check_type in MODEL_CHECKS and raw.get("ModelName") is None:
        checker.report(
            child_path(node.path, "ModelName"),
            f"a {check_type} check runs a model: it needs a ModelName",
            "missing-required",
        )
    return checker.issues
