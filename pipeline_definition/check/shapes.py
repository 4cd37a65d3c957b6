"""Check a JSON value against a botocore shape of the SageMaker API model.

This is what the service does to a request: member names, types, required members, lengths
and value ranges, enums and patterns. Expressions stand for values known only at execution
time; they are checked for their type, and a parameter's default and allowed values are
checked as the value it would give.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from pipeline_definition.check.expression_types import (
    check_expression,
    check_expressions_in,
)
from pipeline_definition.check.issues import IssueCollector, ValidationIssue
from pipeline_definition.check.scope import (
    ParameterInfo,
    Scope,
    Typed,
    child_path,
    compatible,
    describe_value,
    literal_matches,
    shape_kind,
    shorten,
)
from pipeline_definition.check.service_model import python_pattern
from pipeline_definition.model.expressions import looks_like_expression
from pipeline_definition.model.placeholders import is_placeholder

# How many allowed values an enum message lists before it stops.
ENUM_LISTED = 8
# The string shapes of hyperparameter values (HyperParameters, StaticHyperParameters).
HYPERPARAMETER_SHAPES = frozenset({"HyperParameterValue"})
# The shape types whose min and max bound a number rather than a length.
NUMERIC_TYPES = frozenset({"integer", "long", "float", "double"})


def check_value(
    value: Any,
    shape: Shape,
    path: str,
    step: str,
    scope: Scope,
    *,
    service_named: Collection[str] = (),
) -> list[ValidationIssue]:
    """Issues of `value` against `shape`; `service_named` required members may be absent."""
    checker = _ShapeChecker(step, scope)
    checker.value(value, shape, path, service_named)
    return checker.issues


def check_scalar(value: Any, shape: Shape, path: str, step: str) -> list[ValidationIssue]:
    """Issues of a literal scalar against the constraints of `shape` (no expressions)."""
    checker = _ShapeChecker(step, Scope())
    checker.value(value, shape, path, ())
    return checker.issues


class _ShapeChecker(IssueCollector):
    """Walks a value and its shape together, collecting issues for one step."""

    def __init__(self, step: str, scope: Scope) -> None:
        super().__init__(step)
        self.scope = scope

    def value(self, value: Any, shape: Shape, path: str, service_named: Collection[str]) -> None:
        if looks_like_expression(value):
            self.expression(value, shape, path)
            return
        kind = shape_kind(shape)
        if not literal_matches(value, kind):
            self.report(
                path, f"expected {_expected(shape)}, got {describe_value(value)}", "wrong-type"
            )
            return
        if isinstance(shape, StructureShape):
            self.structure(value, shape, path, service_named)
        elif isinstance(shape, ListShape):
            self.size(len(value), shape, path, "items")
            for index, item in enumerate(value):
                self.value(item, shape.member, child_path(path, index), ())
        elif isinstance(shape, MapShape):
            self.size(len(value), shape, path, "entries")
            for key, item in value.items():
                item_path = child_path(path, str(key))
                self.constraints(key, shape.key, item_path, "key ")
                self.value(item, shape.value, item_path, ())
        else:
            self.constraints(value, shape, path, "")

    def structure(
        self,
        value: dict[str, Any],
        shape: StructureShape,
        path: str,
        service_named: Collection[str],
    ) -> None:
        for key, item in value.items():
            item_path = child_path(path, str(key))
            member = shape.members.get(key)
            if member is None:
                self.report(item_path, _unknown_member(key, shape), "unknown-key")
                # References below a misspelt key must still exist.
                self.issues.extend(check_expressions_in(item, item_path, self.step, self.scope))
            else:
                self.value(item, member, item_path, ())
        for name in shape.required_members:
            if name not in value and name not in service_named:
                self.report(
                    child_path(path, name),
                    f"missing required member '{name}' of {shape.name}",
                    "missing-required",
                )
        if shape.metadata.get("union") and len(value) > 1:
            self.report(
                path,
                f"{shape.name} takes exactly one of its members, got {', '.join(sorted(value))}",
                "conflict",
            )

    def expression(self, value: dict[str, Any], shape: Shape, path: str) -> None:
        typed, issues = check_expression(value, path, self.step, self.scope)
        self.issues.extend(issues)
        expected = shape_kind(shape)
        if not compatible(expected, typed.kind):
            typed_scalar = expected == "string" and typed.kind in {"integer", "float", "boolean"}
            if typed_scalar and shape.name in HYPERPARAMETER_SHAPES:
                self.report(path, _typed_hyperparameter(shape, typed), "typed-hyperparameter")
                return
            hint = "; wrap it in Std:Join to pass it as a string" if typed_scalar else ""
            self.report(
                path, f"expected {_expected(shape)}, got {typed.description}{hint}", "wrong-type"
            )
        elif typed.parameter is not None:
            self.parameter_values(typed, typed.parameter, shape, path)

    def parameter_values(
        self, typed: Typed, parameter: ParameterInfo, shape: Shape, path: str
    ) -> None:
        # The default (and each allowed value) is what the step gets when an execution does
        # not override it, so it must satisfy the API's constraints here.
        candidates: list[tuple[str, Any]] = []
        if parameter.has_default:
            candidates.append((f"default of parameter {parameter.name}", parameter.default))
        candidates.extend(
            (f"allowed value of parameter {parameter.name}", allowed)
            for allowed in parameter.enum_values
        )
        for label, candidate in candidates:
            if literal_matches(candidate, typed.kind):
                self.constraints(candidate, shape, path, f"{label}: ")

    def size(self, size: int, shape: Shape, path: str, unit: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and size < low:
            self.report(
                path, f"{size} {unit}, fewer than the minimum {low} of {shape.name}", "out-of-range"
            )
        if high is not None and size > high:
            self.report(
                path, f"{size} {unit}, more than the maximum {high} of {shape.name}", "out-of-range"
            )

    def constraints(self, value: Any, shape: Shape, path: str, label: str) -> None:
        """Enum, length, range and pattern of a scalar literal (placeholders excepted)."""
        if isinstance(value, str) and not is_placeholder(value):
            self.string_constraints(value, shape, path, label)
        elif _is_number(value) and shape.type_name in NUMERIC_TYPES:
            self.bounds(value, shape, path, f"{label}{value}")

    def string_constraints(self, value: str, shape: Shape, path: str, label: str) -> None:
        enum = shape.enum if isinstance(shape, StringShape) else []
        if enum and value not in enum:
            self.report(path, f"{label}{_not_in_enum(value, shape.name, enum)}", "enum")
            return
        self.bounds(len(value), shape, path, f"{label}length {len(value)}")
        pattern = shape.metadata.get("pattern")
        compiled = python_pattern(pattern) if pattern else None
        if compiled is not None and compiled.fullmatch(value) is None:
            self.report(
                path,
                f"{label}{shorten(value)!r} does not match the pattern {pattern!r} of {shape.name}",
                "pattern",
            )

    def bounds(self, number: float, shape: Shape, path: str, what: str) -> None:
        """`what` (a value or a length) against the shape's min and max."""
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and number < low:
            self.report(path, f"{what} is below the minimum {low} of {shape.name}", "out-of-range")
        if high is not None and number > high:
            self.report(path, f"{what} is above the maximum {high} of {shape.name}", "out-of-range")


def _typed_hyperparameter(shape: Shape, typed: Typed) -> str:
    """Why a typed value cannot be a hyperparameter, and how to pass it from the SDK."""
    if typed.parameter is not None:
        name = typed.parameter.name
        fix = f'pass {name}.to_string() (or Join(on="", values=[{name}]))'
    else:
        fix = 'wrap it in Join(on="", values=[...]) (Std:Join)'
    return (
        f"expected {_expected(shape)}, got {typed.description}: hyperparameters are strings in "
        "the API, and the SageMaker SDK (ModelTrainer) writes a typed parameter into them as "
        f"it is; {fix} in the hyperparameters"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _expected(shape: Shape) -> str:
    names = {"structure": "an object", "map": "an object", "list": "a list"}
    return f"{names.get(shape.type_name, shape.type_name)} ({shape.name})"


def _unknown_member(key: str, shape: StructureShape) -> str:
    message = f"unknown key '{key}': {shape.name} has no such member"
    return message + _did_you_mean(key, shape.members)


def _not_in_enum(value: str, shape_name: str, enum: list[str]) -> str:
    listed = ", ".join(enum[:ENUM_LISTED])
    more = f", ... ({len(enum) - ENUM_LISTED} more)" if len(enum) > ENUM_LISTED else ""
    return f"{shorten(value)!r} is not one of {shape_name}: {listed}{more}" + _did_you_mean(
        value, enum
    )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
