"""Evaluate the definition's expressions: `Get`, `Std:Join`, `Std:JsonGet` and conditions.

Pure: every value comes from an `EvaluationContext`, so tests pass plain dictionaries and
functions. A value that cannot be evaluated raises ExpressionError naming the expression.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline_definition.local.numbers import readable_together
from pipeline_definition.local.properties import PropertyLookupError, json_path, lookup
from pipeline_definition.model.expressions import (
    COMPARISON_OPERATORS,
    CONDITION_TYPES,
    JOIN,
    JSON_GET,
)

__all__ = [
    "CONDITION_TYPES",
    "ConditionResult",
    "EvaluationContext",
    "ExpressionError",
    "evaluate",
    "evaluate_condition",
    "evaluate_conditions",
    "to_text",
]

# The ordering comparisons by operator; Equals has rules of its own (see `_equal`).
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class ExpressionError(ValueError):
    """An expression cannot be evaluated with the values at hand."""


def _no_steps(step: str) -> Mapping[str, Any]:
    raise ExpressionError(f"step {step!r} has no properties yet")


def _no_property_files(step: str, name: str) -> Any:
    raise ExpressionError(f"property file {name!r} of step {step!r} is not available")


def _no_objects(uri: str) -> Any:
    raise ExpressionError(f"cannot read {uri}")


@dataclass(frozen=True)
class EvaluationContext:
    """Where expressions get their values from."""

    parameters: Mapping[str, Any] = field(default_factory=dict)
    execution: Mapping[str, Any] = field(default_factory=dict)
    step_properties: Callable[[str], Mapping[str, Any]] = _no_steps
    property_file: Callable[[str, str], Any] = _no_property_files
    read_json: Callable[[str], Any] = _no_objects


def evaluate(node: Any, ctx: EvaluationContext) -> Any:
    """Return `node` with every expression inside it replaced by its value."""
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Get" and isinstance(value, str):
                return _get(value, ctx)
            if key == JOIN:
                return _join(value, ctx)
            if key == JSON_GET:
                return _json_get(value, ctx)
        return {key: evaluate(value, ctx) for key, value in node.items()}
    if isinstance(node, list):
        return [evaluate(item, ctx) for item in node]
    return node


def _get(expression: str, ctx: EvaluationContext) -> Any:
    kind, _, rest = expression.partition(".")
    if kind == "Parameters":
        if rest not in ctx.parameters:
            raise ExpressionError(f"{expression}: unknown parameter {rest!r}")
        return ctx.parameters[rest]
    if kind == "Execution":
        if rest not in ctx.execution:
            raise ExpressionError(f"{expression}: unknown execution variable {rest!r}")
        return ctx.execution[rest]
    if kind == "Steps":
        step, _, path = rest.partition(".")
        if not step:
            raise ExpressionError(f"{expression}: no step name")
        if path.startswith("PropertyFiles."):
            return ctx.property_file(step, path.removeprefix("PropertyFiles."))
        document = ctx.step_properties(step)
        if not path:
            return document
        try:
            return lookup(document, path)
        except PropertyLookupError as error:
            raise ExpressionError(f"{expression}: {error}") from error
    raise ExpressionError(f"{expression}: expected Parameters., Execution. or Steps.")


def to_text(value: Any) -> str:
    """How a value reads inside a joined string: strings as they are, JSON spelling otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _join(arguments: Any, ctx: EvaluationContext) -> str:
    if not isinstance(arguments, dict) or not isinstance(arguments.get("Values"), list):
        raise ExpressionError(f"{JOIN} needs an object with a Values list, got {arguments!r}")
    separator = evaluate(arguments.get("On", ""), ctx)
    if not isinstance(separator, str):
        raise ExpressionError(f"{JOIN}: On must be a string, got {separator!r}")
    values = [evaluate(value, ctx) for value in arguments["Values"]]
    if any(value is None for value in values):
        raise ExpressionError(f"{JOIN}: a value evaluated to null: {arguments['Values']!r}")
    return separator.join(to_text(value) for value in values)


def _json_get(arguments: Any, ctx: EvaluationContext) -> Any:
    if not isinstance(arguments, dict) or not isinstance(arguments.get("Path"), str):
        raise ExpressionError(f"{JSON_GET} needs an object with a Path string, got {arguments!r}")
    path = arguments["Path"]
    if "PropertyFile" in arguments:
        reference = arguments["PropertyFile"]
        target = reference.get("Get") if isinstance(reference, dict) else None
        if not isinstance(target, str) or ".PropertyFiles." not in target:
            raise ExpressionError(
                f"{JSON_GET}: PropertyFile must be a Get of Steps.<step>.PropertyFiles.<name>, "
                f"got {reference!r}"
            )
        document = evaluate(reference, ctx)
        source = target
    elif "S3Uri" in arguments:
        uri = evaluate(arguments["S3Uri"], ctx)
        if not isinstance(uri, str):
            raise ExpressionError(f"{JSON_GET}: S3Uri evaluated to {uri!r}, not a string")
        document = ctx.read_json(uri)
        source = uri
    else:
        raise ExpressionError(f"{JSON_GET} needs a PropertyFile or an S3Uri: {arguments!r}")
    try:
        return json_path(document, path)
    except PropertyLookupError as error:
        raise ExpressionError(f"{JSON_GET} {path!r} in {source}: {error}") from error


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    return bool(left == right)


def _ordered(kind: str, left: Any, right: Any) -> None:
    numbers = _is_number(left) and _is_number(right)
    strings = isinstance(left, str) and isinstance(right, str)
    if not (numbers or strings):
        raise ExpressionError(
            f"{kind} compares numbers or strings, got {left!r} ({type(left).__name__}) and "
            f"{right!r} ({type(right).__name__})"
        )
    if numbers and (math.isnan(left) or math.isnan(right)):
        raise ExpressionError(f"{kind} cannot compare NaN")


@dataclass(frozen=True)
class ConditionResult:
    """A condition's outcome with a readable account of the values it compared."""

    outcome: bool
    explanation: str


def evaluate_condition(condition: Any, ctx: EvaluationContext) -> ConditionResult:
    """Evaluate one condition object as the SDK renders it."""
    if not isinstance(condition, dict) or "Type" not in condition:
        raise ExpressionError(f"a condition must be an object with a Type, got {condition!r}")
    kind = condition["Type"]
    if kind in COMPARISON_OPERATORS:
        return _comparison(kind, condition, ctx)
    evaluator = _CONDITIONS.get(kind)
    if evaluator is None:
        raise ExpressionError(
            f"unknown condition type {kind!r}; expected one of {', '.join(CONDITION_TYPES)}"
        )
    return evaluator(condition, ctx)


def _comparison(kind: str, condition: dict[str, Any], ctx: EvaluationContext) -> ConditionResult:
    if "LeftValue" not in condition or "RightValue" not in condition:
        raise ExpressionError(f"{kind} needs LeftValue and RightValue: {condition!r}")
    left = evaluate(condition["LeftValue"], ctx)
    right = evaluate(condition["RightValue"], ctx)
    symbol = COMPARISON_OPERATORS[kind]
    if kind == "Equals":
        outcome = _equal(left, right)
    else:
        _ordered(kind, left, right)
        outcome = _ORDERINGS[symbol](left, right)
    # The explanation is for people: readable digits, as many as the comparison needs.
    shown_left, shown_right = readable_together((left, right), to_text)
    return ConditionResult(outcome, f"{shown_left} {symbol} {shown_right}")


def _in(condition: dict[str, Any], ctx: EvaluationContext) -> ConditionResult:
    if "QueryValue" not in condition or not isinstance(condition.get("Values"), list):
        raise ExpressionError(f"In needs QueryValue and a Values list: {condition!r}")
    value = evaluate(condition["QueryValue"], ctx)
    candidates = [evaluate(item, ctx) for item in condition["Values"]]
    outcome = any(_equal(value, candidate) for candidate in candidates)
    shown_value, *shown = readable_together((value, *candidates), to_text)
    return ConditionResult(outcome, f"{shown_value} in [{', '.join(shown)}]")


def _not(condition: dict[str, Any], ctx: EvaluationContext) -> ConditionResult:
    if "Condition" not in condition:
        raise ExpressionError(f"Not needs a Condition: {condition!r}")
    inner = evaluate_condition(condition["Condition"], ctx)
    return ConditionResult(not inner.outcome, f"not ({inner.explanation})")


def _or(condition: dict[str, Any], ctx: EvaluationContext) -> ConditionResult:
    if not isinstance(condition.get("Conditions"), list) or not condition["Conditions"]:
        raise ExpressionError(f"Or needs a non-empty Conditions list: {condition!r}")
    results = [evaluate_condition(c, ctx) for c in condition["Conditions"]]
    outcome = any(r.outcome for r in results)
    return ConditionResult(outcome, " or ".join(f"({r.explanation})" for r in results))


_CONDITIONS: dict[str, Callable[[dict[str, Any], EvaluationContext], ConditionResult]] = {
    "In": _in,
    "Not": _not,
    "Or": _or,
}


def evaluate_conditions(conditions: Any, ctx: EvaluationContext) -> ConditionResult:
    """A Condition step's `Conditions`: true when every condition holds (an empty list holds)."""
    if not isinstance(conditions, list):
        raise ExpressionError(f"Conditions must be a list, got {conditions!r}")
    results = [evaluate_condition(condition, ctx) for condition in conditions]
    outcome = all(result.outcome for result in results)
    explanation = (
        " and ".join(f"{r.explanation} is {to_text(r.outcome)}" for r in results) or "no conditions"
    )
    return ConditionResult(outcome, explanation)
