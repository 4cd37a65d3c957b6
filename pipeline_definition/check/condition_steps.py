"""Condition and Fail steps: they call no API, so their arguments follow what the SDK emits.

A Condition step holds `Conditions` (comparisons, In, Not, Or) and its `IfSteps` / `ElseSteps`
branches; a Fail step holds at most an `ErrorMessage`. Operands are scalars or expressions.
"""

from __future__ import annotations

from typing import Any, Final

from pipeline_definition.check.expression_types import (
    check_expression,
    check_expressions_in,
)
from pipeline_definition.check.issues import IssueCollector, ValidationIssue
from pipeline_definition.check.scope import (
    Scope,
    child_path,
    describe_value,
)
from pipeline_definition.model.expressions import COMPARISON_OPERATORS, looks_like_expression

# Condition type -> its operand members, as the SDK's `sagemaker.core.workflow.conditions`
# emits them.
COMPARISON_MEMBERS: Final = ("LeftValue", "RightValue")
CONDITION_MEMBERS: Final[dict[str, tuple[str, ...]]] = {
    **dict.fromkeys(COMPARISON_OPERATORS, COMPARISON_MEMBERS),
    "In": ("QueryValue", "Values"),
    "Not": ("Condition",),
    "Or": ("Conditions",),
}


def check_condition_step(
    arguments: Any, path: str, step: str, scope: Scope
) -> list[ValidationIssue]:
    """The issues of a Condition step's Arguments (its branch steps are checked on their own)."""
    checker = _ConditionChecker(step, scope)
    checker.condition_step(arguments, path)
    return checker.issues


def check_fail_step(arguments: Any, path: str, step: str, scope: Scope) -> list[ValidationIssue]:
    """The issues of a Fail step's Arguments."""
    checker = _ConditionChecker(step, scope)
    checker.fail_step(arguments, path)
    return checker.issues


class _ConditionChecker(IssueCollector):
    """Collects the issues of one Condition or Fail step's arguments."""

    def __init__(self, step: str, scope: Scope) -> None:
        super().__init__(step)
        self.scope = scope

    def fail_step(self, arguments: Any, path: str) -> None:
        if arguments is None:
            return
        if not isinstance(arguments, dict):
            self.report(path, f"expected an object, got {describe_value(arguments)}", "wrong-type")
            return
        for key in sorted(set(arguments) - {"ErrorMessage"}):
            self.report(
                child_path(path, str(key)),
                f"unknown key '{key}': a Fail step takes only ErrorMessage",
                "unknown-key",
            )
        if "ErrorMessage" in arguments:
            self.operand(
                arguments["ErrorMessage"], child_path(path, "ErrorMessage"), strings_only=True
            )

    def condition_step(self, arguments: Any, path: str) -> None:
        if not isinstance(arguments, dict):
            self.report(
                path,
                "a Condition step needs Arguments with Conditions, "
                f"got {describe_value(arguments)}",
                "wrong-type",
            )
            return
        for key in sorted(set(arguments) - {"Conditions", "IfSteps", "ElseSteps"}):
            self.report(
                child_path(path, str(key)),
                f"unknown key '{key}' in a Condition step",
                "unknown-key",
            )
        self.conditions(arguments.get("Conditions"), child_path(path, "Conditions"))
        for key in ("IfSteps", "ElseSteps"):
            branch = arguments.get(key)
            branch_path = child_path(path, key)
            if branch is None:
                continue
            if not isinstance(branch, list):
                self.report(
                    branch_path,
                    f"expected a list of steps, got {describe_value(branch)}",
                    "wrong-type",
                )
                continue
            for index, step in enumerate(branch):
                if not isinstance(step, dict):
                    self.report(
                        child_path(branch_path, index),
                        f"expected a step object, got {describe_value(step)}",
                        "wrong-type",
                    )

    def conditions(self, conditions: Any, path: str) -> None:
        if conditions is None:
            self.report(path, "a Condition step needs a list of Conditions", "missing-required")
        elif not isinstance(conditions, list):
            self.report(
                path,
                f"expected a list of conditions, got {describe_value(conditions)}",
                "wrong-type",
            )
        elif not conditions:
            self.report(path, "at least one condition is needed", "out-of-range")
        else:
            for index, condition in enumerate(conditions):
                self.condition(condition, child_path(path, index))

    def condition(self, condition: Any, path: str) -> None:
        if not isinstance(condition, dict):
            self.report(
                path, f"expected a condition object, got {describe_value(condition)}", "wrong-type"
            )
            return
        type_ = condition.get("Type")
        members = CONDITION_MEMBERS.get(type_) if isinstance(type_, str) else None
        if "Type" not in condition:
            self.report(child_path(path, "Type"), "a condition needs a Type", "missing-required")
        if members is None:
            if "Type" in condition:
                self.report(
                    child_path(path, "Type"),
                    f"unknown condition type {type_!r} "
                    f"(expected one of {', '.join(CONDITION_MEMBERS)})",
                    "enum",
                )
            # The operands still name parameters and steps that must exist.
            self.issues.extend(check_expressions_in(condition, path, self.step, self.scope))
            return
        for key in sorted(set(condition) - {"Type", *members}):
            self.report(
                child_path(path, str(key)),
                f"unknown key '{key}' in a {type_} condition",
                "unknown-key",
            )
        for member in members:
            member_path = child_path(path, member)
            if member in condition:
                self.condition_member(member, condition[member], member_path)
            else:
                self.report(member_path, f"a {type_} condition needs {member}", "missing-required")

    def condition_member(self, member: str, value: Any, path: str) -> None:
        if member == "Condition":
            self.condition(value, path)
        elif member == "Conditions":
            self.conditions(value, path)
        elif member != "Values":
            self.operand(value, path)
        elif not isinstance(value, list):
            self.report(
                path, f"expected a list of values, got {describe_value(value)}", "wrong-type"
            )
        else:
            for index, item in enumerate(value):
                self.operand(item, child_path(path, index))

    def operand(self, value: Any, path: str, *, strings_only: bool = False) -> None:
        if looks_like_expression(value):
            typed, issues = check_expression(value, path, self.step, self.scope)
            self.issues.extend(issues)
            if typed.kind in {"list", "map", "structure"}:
                self.report(path, f"expected a scalar value, got {typed.description}", "wrong-type")
            return
        accepted = (str,) if strings_only else (str, int, float, bool)
        if not isinstance(value, accepted):
            wanted = "a string or an expression" if strings_only else "a scalar or an expression"
            self.report(path, f"expected {wanted}, got {describe_value(value)}", "wrong-type")
