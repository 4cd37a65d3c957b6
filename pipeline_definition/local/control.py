"""Condition and Fail steps: decided from expressions on the scheduler thread, with no job.

A Condition's outcome chooses the branch that runs; a Fail step ends the execution with its
rendered ErrorMessage as the execution's FailureReason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline_definition.local.evaluation import (
    CONDITION_TYPES,
    EvaluationContext,
    ExpressionError,
    evaluate,
    evaluate_conditions,
    to_text,
)


@dataclass(frozen=True)
class Decision:
    """What a Condition or Fail step decided; `failure_reason` is None when it succeeded."""

    log: str
    detail: str = ""
    properties: dict[str, Any] | None = None
    failure_reason: str | None = None
    # The execution's FailureReason when it is not the usual `step X failed: <reason>`.
    execution_reason: str | None = None


def _condition_problems(condition: Any) -> list[str]:
    if not isinstance(condition, Mapping):
        return ["has a condition that is not an object"]
    kind = condition.get("Type")
    if kind not in CONDITION_TYPES:
        return [f"has an unknown condition type {kind!r}"]
    if kind == "Not":
        return _condition_problems(condition.get("Condition"))
    if kind == "Or":
        return [
            problem
            for inner in condition.get("Conditions") or []
            for problem in _condition_problems(inner)
        ]
    return []


def check_condition(arguments: Any) -> list[str]:
    """What in a Condition step's arguments cannot be evaluated (empty when all can)."""
    conditions = (arguments or {}).get("Conditions")
    if not isinstance(conditions, list):
        return ["has no Conditions list"]
    return [problem for condition in conditions for problem in _condition_problems(condition)]


def decide_condition(arguments: Mapping[str, Any], context: EvaluationContext) -> Decision:
    """Evaluate the conditions: the Outcome property names the branch to run."""
    try:
        outcome = evaluate_conditions(arguments.get("Conditions"), context)
    except ExpressionError as error:
        return Decision(log=f"cannot evaluate the conditions: {error}", failure_reason=str(error))
    branch = "IfSteps" if outcome.outcome else "ElseSteps"
    text = f"{outcome.explanation} -> {branch}"
    return Decision(log=text, detail=text, properties={"Outcome": outcome.outcome})


def check_fail(arguments: Any) -> list[str]:
    """What a Fail step lacks (empty when it has an ErrorMessage)."""
    return [] if "ErrorMessage" in (arguments or {}) else ["has no ErrorMessage"]


def decide_fail(arguments: Mapping[str, Any], context: EvaluationContext) -> Decision:
    """Fail with the rendered ErrorMessage, which becomes the execution's reason as it stands."""
    try:
        message = to_text(evaluate(arguments.get("ErrorMessage", ""), context))
    except ExpressionError as error:
        message = f"(cannot render ErrorMessage: {error})"
    return Decision(
        log=f"Fail step reached: {message}",
        detail=message,
        failure_reason=message,
        execution_reason=message,
    )
