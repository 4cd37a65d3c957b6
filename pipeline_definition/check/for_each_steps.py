"""ForEach steps: a body of steps run once per item, as the SDK's `ForEachStep` lays them out.

`IterableItems` is a list of 1 to 100 scalars or expressions, or one expression that gives a
JSON list at run time; `MaxConcurrency` is 1 to 50; `Selector` picks one iteration by the
largest or smallest `IterationOutput.<body step>.<member>`; `ForEachBody` is a non-empty list
of steps, none of them a Condition, Fail or ForEach, each checked as a step of its own (and
able to read `ForEach.CurrentItem`). Body steps become `<name>-<index>` children, so no other
step may be named like one.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pipeline_definition.check.expression_types import check_expression
from pipeline_definition.check.issues import ValidationIssue
from pipeline_definition.check.members import Member, MemberChecker
from pipeline_definition.check.scope import (
    SCALARS,
    Scope,
    ValueKind,
    child_path,
    compatible,
    describe_value,
)
from pipeline_definition.check.step_properties import property_type
from pipeline_definition.model.expressions import looks_like_expression
from pipeline_definition.model.graph import StepNode

MAX_ITEMS: Final = 100
MAX_CONCURRENCY: Final = (1, 50)
PICKS: Final = ("MaxBy", "MinBy")
NOT_IN_BODY: Final = frozenset({"Condition", "Fail", "ForEach"})
LAYOUT: Final = {
    "IterableItems": Member(required=True),
    "MaxConcurrency": Member(required=True),
    "Selector": Member(),
    "ForEachBody": Member(required=True),
}
_FIELD = re.compile(r"IterationOutput\.(?P<body>[^.\[]+)(?P<rest>.+)")


def body_steps(arguments: Any) -> list[dict[str, Any]]:
    """The step objects of a ForEach step's body."""
    body = arguments.get("ForEachBody") if isinstance(arguments, dict) else None
    return [step for step in (body if isinstance(body, list) else []) if isinstance(step, dict)]


def selected_step(arguments: Any) -> str | None:
    """The body step whose output the Selector compares, when it names one."""
    selector = arguments.get("Selector") if isinstance(arguments, dict) else None
    field = selector.get("Field") if isinstance(selector, dict) else None
    reference = field.get("Get") if isinstance(field, dict) else None
    match = _FIELD.fullmatch(reference) if isinstance(reference, str) else None
    return match["body"] if match else None


def item_kind(arguments: Any) -> ValueKind:
    """The kind of every literal item when they agree (else unknown until run time)."""
    items = arguments.get("IterableItems") if isinstance(arguments, dict) else None
    if not isinstance(items, list) or not items:
        return "any"
    kinds = {_literal_kind(item) for item in items}
    kind = kinds.pop() if len(kinds) == 1 else "any"
    return kind


def _literal_kind(item: Any) -> ValueKind:
    if isinstance(item, bool):
        return "boolean"
    if isinstance(item, int):
        return "integer"
    if isinstance(item, float):
        return "float"
    # A string item may be a JSON object that the body drills into.
    return "any"


def check_for_each_step(node: StepNode, scope: Scope, label: str) -> list[ValidationIssue]:
    """The Arguments of a ForEach step (its body steps are checked as steps of their own)."""
    checker = _ForEachChecker(label, scope, node)
    path = child_path(node.path, "Arguments")
    arguments = checker.layout(
        node.raw.get("Arguments"), LAYOUT, path, "a ForEach step's Arguments"
    )
    if arguments is None:
        return checker.issues
    checker.iterable_items(arguments.get("IterableItems"), child_path(path, "IterableItems"))
    checker.concurrency(arguments.get("MaxConcurrency"), child_path(path, "MaxConcurrency"))
    if "Selector" in arguments:
        checker.selector(arguments["Selector"], child_path(path, "Selector"))
    checker.body(arguments.get("ForEachBody"), child_path(path, "ForEachBody"), set(scope.steps))
    return checker.issues


class _ForEachChecker(MemberChecker):
    def __init__(self, step: str, scope: Scope, node: StepNode) -> None:
        super().__init__(step, scope)
        self.node = node
        self.body_names = {str(step.get("Name")) for step in body_steps(node.arguments)}

    def iterable_items(self, items: Any, path: str) -> None:
        if looks_like_expression(items):
            typed, issues = check_expression(items, path, self.step, self.scope)
            self.issues.extend(issues)
            if not compatible("string", typed.kind) and typed.kind != "list":
                self.report(
                    path,
                    f"IterableItems gives a JSON list (a string), not {typed.description}",
                    "wrong-type",
                )
            return
        if items is None:
            return
        listed = self.items(items, path, "IterableItems", least=1)
        if len(listed) > MAX_ITEMS:
            self.report(
                path, f"{len(listed)} items, more than the {MAX_ITEMS} allowed", "out-of-range"
            )
        for index, item in enumerate(listed):
            where = child_path(path, index)
            if looks_like_expression(item):
                self.issues.extend(check_expression(item, where, self.step, self.scope)[1])
            elif item is None or isinstance(item, dict | list):
                self.report(
                    where,
                    f"an item is a scalar or an expression, not {describe_value(item)}",
                    "wrong-type",
                )

    def concurrency(self, value: Any, path: str) -> None:
        low, high = MAX_CONCURRENCY
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(path, f"expected an integer, got {describe_value(value)}", "wrong-type")
        elif not low <= value <= high:
            self.report(path, f"{value} is outside {low} to {high}", "out-of-range")

    def selector(self, selector: Any, path: str) -> None:
        layout = {"Pick": Member(required=True), "Field": Member(required=True)}
        found = self.layout(selector, layout, path, "a Selector")
        if found is None:
            return
        if "Pick" in found and found["Pick"] not in PICKS:
            self.report(
                child_path(path, "Pick"),
                f"unknown Pick {found['Pick']!r} (expected one of {', '.join(PICKS)})",
                "enum",
            )
        if "Field" in found:
            self.field(found["Field"], child_path(path, "Field"))

    def field(self, field: Any, path: str) -> None:
        """`{"Get": "IterationOutput.<body step>.<member>"}` of a step of this body."""
        reference = field.get("Get") if isinstance(field, dict) and len(field) == 1 else None
        match = _FIELD.fullmatch(reference) if isinstance(reference, str) else None
        if match is None:
            self.report(
                path,
                'expected {"Get": "IterationOutput.<body step>.<member>"}',
                "invalid-expression",
            )
            return
        body = self.scope.steps.get(match["body"])
        if match["body"] not in self.body_names or body is None:
            listed = ", ".join(sorted(self.body_names)) or "none"
            self.report(
                path,
                f"'{match['body']}' is not a step of this ForEach's body (body: {listed})",
                "dangling-reference",
            )
            return
        resolved = property_type(body, match["rest"], reference or "", self.scope)
        for message, kind in resolved.problems:
            self.report(path, message, kind)
        if resolved.typed.kind not in (*SCALARS, "scalar", "any"):
            self.report(
                path, f"a Selector compares scalars, not {resolved.typed.description}", "wrong-type"
            )

    def body(self, steps: Any, path: str, names: set[str]) -> None:
        for index, step in enumerate(self.items(steps, path, "ForEachBody", least=1)):
            where = child_path(path, index)
            if not isinstance(step, dict):
                self.report(
                    where, f"expected a step object, got {describe_value(step)}", "wrong-type"
                )
                continue
            type_ = step.get("Type")
            if type_ in NOT_IN_BODY:
                self.report(
                    child_path(where, "Type"),
                    f"a {type_} step cannot be in a ForEach body (not: Condition, Fail, ForEach)",
                    "conflict",
                )
            name = step.get("Name")
            for other in sorted(names):
                if isinstance(name, str) and re.fullmatch(rf"{re.escape(name)}-\d+", other):
                    self.report(
                        child_path(where, "Name"),
                        f"step '{other}' would collide with the children of body step "
                        f"'{name}' ({name}-0, {name}-1, ...)",
                        "conflict",
                    )
