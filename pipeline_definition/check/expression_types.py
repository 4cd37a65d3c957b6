"""Expressions in a definition (`Get`, `Std:Join`, `Std:JsonGet`): their types and references.

A value in a step's arguments is either a literal or an expression the pipeline service
evaluates at execution time. Each expression has a type, so it can be checked where the API
expects a given type, and names something (a parameter, a step property, a property file, an
execution variable) that must exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from pipeline_definition.check.issues import IssueCollector, ValidationIssue
from pipeline_definition.check.scope import (
    EXECUTION_VARIABLES,
    PARAMETER_KINDS,
    SCALARS,
    Scope,
    StepInfo,
    Typed,
    child_path,
    compatible,
    describe_value,
)
from pipeline_definition.check.step_properties import property_type
from pipeline_definition.model.expressions import FUNCTIONS, looks_like_expression
from pipeline_definition.model.graph import STEP_REFERENCE

# A ForEach body step reads its iteration's item as `ForEach.CurrentItem`.
CURRENT_ITEM: Final = "CurrentItem"

_PROPERTY_FILE = re.compile(r"Steps\.(?P<step>[^.\[]+)\.PropertyFiles\.(?P<file>.+)")


def find_expressions(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every outermost expression below `node` with its path."""
    if looks_like_expression(node):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from find_expressions(value, child_path(path, str(key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from find_expressions(item, child_path(path, index))


def check_expressions_in(node: Any, path: str, step: str, scope: Scope) -> list[ValidationIssue]:
    """Check every expression below `node` (where no API shape says what type it must have)."""
    issues: list[ValidationIssue] = []
    for found_path, expression in find_expressions(node, path):
        issues.extend(check_expression(expression, found_path, step, scope)[1])
    return issues


def check_expression(
    expression: Mapping[str, Any], path: str, step: str, scope: Scope
) -> tuple[Typed, list[ValidationIssue]]:
    """The type of `expression` and the issues in it (bad syntax, names that do not exist)."""
    checker = _ExpressionChecker(step, scope)
    typed = checker.check(expression, path)
    return typed, checker.issues


class _ExpressionChecker(IssueCollector):
    """Collects the issues of one expression tree in a step."""

    def __init__(self, step: str, scope: Scope) -> None:
        super().__init__(step)
        self.scope = scope

    def check(self, expression: Mapping[str, Any], path: str) -> Typed:
        (function, body), *_ = expression.items()
        if function == "Get":
            return self.get(body, path)
        if function == "Std:Join":
            return self.join(body, child_path(path, function))
        if function == "Std:JsonGet":
            return self.json_get(body, child_path(path, function))
        self.report(
            path,
            f"unknown function '{function}' (the pipeline service knows {', '.join(FUNCTIONS)})",
            "invalid-expression",
        )
        return Typed("any", f"function {function}")

    def get(self, reference: Any, path: str) -> Typed:
        if not isinstance(reference, str):
            self.report(path, f"Get takes a string, not {describe_value(reference)}", "wrong-type")
            return Typed("any", "Get")
        head, _, rest = reference.partition(".")
        roots: dict[str, Callable[[str, str, str], Typed]] = {
            "Parameters": lambda _, name, where: self.parameter(name, where),
            "Execution": lambda _, name, where: self.execution_variable(name, where),
            "Steps": lambda whole, _, where: self.step_property(whole, where),
            "ForEach": self.loop_value,
            "IterationOutput": self.iteration_output,
        }
        root = roots.get(head)
        if root is not None:
            return root(reference, rest, path)
        self.report(
            path,
            f"cannot read '{reference}': a Get names Parameters.*, Steps.* or Execution.*",
            "invalid-expression",
        )
        return Typed("any", reference)

    def execution_variable(self, name: str, path: str) -> Typed:
        if name not in EXECUTION_VARIABLES:
            self.report(
                path,
                f"unknown execution variable '{name}' "
                f"(known: {', '.join(sorted(EXECUTION_VARIABLES))})",
                "dangling-reference",
            )
        return Typed("string", f"execution variable {name}")

    def iteration_output(self, reference: str, rest: str, path: str) -> Typed:
        self.report(
            path,
            f"'{reference}' is only valid as the Field of a ForEach step's Selector",
            "invalid-expression",
        )
        return Typed("any", reference)

    def parameter(self, name: str, path: str) -> Typed:
        info = self.scope.parameters.get(name)
        if info is None:
            self.report(
                path, f"parameter '{name}' is not declared in Parameters", "dangling-reference"
            )
            return Typed("any", f"parameter {name}")
        kind = PARAMETER_KINDS.get(info.type, "any")
        return Typed(kind, f"{info.type} parameter {name}", parameter=info)

    def referenced_step(self, name: str, path: str) -> StepInfo | None:
        info = self.scope.steps.get(name)
        if info is None:
            self.report(path, f"step '{name}' does not exist", "dangling-reference")
        elif name == self.step and name not in self.scope.duplicated:
            self.report(path, "a step cannot use its own properties", "cycle")
        elif info.for_each is not None and self.enclosing_loop() != info.for_each:
            # A body step runs once per item: outside the loop it has no single value.
            self.report(
                path,
                f"step '{name}' runs once per item of ForEach '{info.for_each}': read its "
                f"outputs as Steps.{info.for_each}.IterationOutputs[<i>].{name}... or "
                f"Steps.{info.for_each}.Selected...",
                "invalid-expression",
            )
        return info

    def enclosing_loop(self) -> str | None:
        """The ForEach step whose body the checked step is in, if any."""
        own = self.scope.steps.get(self.step)
        return own.for_each if own is not None else None

    def step_property(self, reference: str, path: str) -> Typed:
        match = STEP_REFERENCE.match(reference)
        if match is None:
            self.report(path, f"'{reference}' does not name a step", "invalid-expression")
            return Typed("any", f"property {reference}")
        info = self.referenced_step(match["step"], path)
        if info is None:
            return Typed("any", f"property {reference}")
        resolved = property_type(info, match["rest"], reference, self.scope)
        for message, kind in resolved.problems:
            self.report(path, message, kind)
        return resolved.typed

    def loop_value(self, reference: str, rest: str, path: str) -> Typed:
        """`ForEach.CurrentItem[...]`: the item of the enclosing ForEach's iteration."""
        untyped = Typed("any", reference)
        loop = self.scope.steps.get(self.enclosing_loop() or "")
        if loop is None:
            self.report(
                path,
                f"'{reference}' is only valid in the steps of a ForEach body",
                "invalid-expression",
            )
            return untyped
        if rest == CURRENT_ITEM:
            return Typed(loop.item_kind, f"{reference} ({loop.item_kind} item)")
        if not rest.startswith((f"{CURRENT_ITEM}.", f"{CURRENT_ITEM}[")):
            message = f"ForEach has only {CURRENT_ITEM}, not '{rest}'"
            self.report(path, message, "dangling-reference")
        elif loop.item_kind in SCALARS:
            self.report(
                path,
                f"the items of ForEach '{loop.name}' are {loop.item_kind} values; "
                f"'{reference}' reads a member of an object",
                "wrong-type",
            )
        return untyped

    def join(self, body: Any, path: str) -> Typed:
        typed = Typed("string", "Std:Join")
        if not isinstance(body, dict):
            self.report(path, "Std:Join takes an object with On and Values", "wrong-type")
            return typed
        for key in sorted(set(body) - {"On", "Values"}):
            self.report(child_path(path, key), f"Std:Join has no argument '{key}'", "unknown-key")
        if "On" not in body:
            self.report(child_path(path, "On"), "Std:Join needs a separator", "missing-required")
        elif not isinstance(body["On"], str):
            self.report(
                child_path(path, "On"),
                f"the separator must be a string, not {describe_value(body['On'])}",
                "wrong-type",
            )
        values = body.get("Values")
        values_path = child_path(path, "Values")
        if values is None:
            self.report(values_path, "Std:Join needs a list of Values", "missing-required")
        elif not isinstance(values, list):
            self.report(values_path, f"expected a list, got {describe_value(values)}", "wrong-type")
        else:
            for index, item in enumerate(values):
                item_path = child_path(values_path, index)
                if looks_like_expression(item):
                    self.check(item, item_path)
                elif item is None or isinstance(item, dict | list):
                    self.report(
                        item_path,
                        f"Std:Join joins scalars and expressions, not {describe_value(item)}",
                        "wrong-type",
                    )
        return typed

    def json_get(self, body: Any, path: str) -> Typed:
        typed = Typed("scalar", "Std:JsonGet")
        if not isinstance(body, dict):
            self.report(
                path, "Std:JsonGet takes an object with PropertyFile and Path", "wrong-type"
            )
            return typed
        for key in sorted(set(body) - {"PropertyFile", "S3Uri", "Path"}):
            self.report(
                child_path(path, key), f"Std:JsonGet has no argument '{key}'", "unknown-key"
            )
        if "Path" not in body:
            self.report(child_path(path, "Path"), "Std:JsonGet needs a Path", "missing-required")
        elif not isinstance(body["Path"], str):
            self.report(
                child_path(path, "Path"),
                f"Path must be a string, not {describe_value(body['Path'])}",
                "wrong-type",
            )
        if "PropertyFile" in body and "S3Uri" in body:
            self.report(path, "give either PropertyFile or S3Uri, not both", "conflict")
        elif "PropertyFile" in body:
            self.property_file(body["PropertyFile"], child_path(path, "PropertyFile"))
        elif "S3Uri" in body:
            self.s3_uri(body["S3Uri"], child_path(path, "S3Uri"))
        else:
            self.report(
                child_path(path, "PropertyFile"),
                "Std:JsonGet needs a PropertyFile (or an S3Uri)",
                "missing-required",
            )
        return typed

    def property_file(self, reference: Any, path: str) -> None:
        target = reference.get("Get") if isinstance(reference, dict) else None
        match = _PROPERTY_FILE.fullmatch(target) if isinstance(target, str) else None
        if match is None or len(reference) != 1:
            self.report(
                path,
                'expected {"Get": "Steps.<step>.PropertyFiles.<name>"}',
                "invalid-expression",
            )
            return
        info = self.referenced_step(match["step"], path)
        if info is not None and match["file"] not in info.property_files:
            declared = ", ".join(sorted(info.property_files)) or "none"
            self.report(
                path,
                f"step '{info.name}' declares no property file '{match['file']}' "
                f"(declared: {declared})",
                "dangling-reference",
            )

    def s3_uri(self, value: Any, path: str) -> None:
        if looks_like_expression(value):
            typed = self.check(value, path)
            if not compatible("string", typed.kind):
                self.report(path, f"S3Uri must be a string, not {typed.description}", "wrong-type")
        elif not isinstance(value, str):
            self.report(path, f"S3Uri must be a string, not {describe_value(value)}", "wrong-type")
