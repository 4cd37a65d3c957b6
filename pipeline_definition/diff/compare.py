"""Compare two pipeline definitions step by step, parameter by parameter.

The result is structured (`DefinitionDiff`) so that it can be printed as text, Markdown or JSON
(see `pipeline_definition.diff.formatting`). Named things are matched by name, never by position:
steps and parameters by `Name`, processing inputs and outputs by `InputName` / `OutputName`,
training channels by `ChannelName`, property files by `PropertyFileName` and retry policies by
the set of exceptions they catch; so a reorder is no change and an insertion shifts nothing.

A `${Name}` placeholder (a deploy-time value that CloudFormation substitutes) matches the value
it stands for on the other side, so that a rendered definition compares cleanly with the
deployed one. Placeholders must bind consistently across the whole comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from pipeline_definition.diff.describe import describe_change
from pipeline_definition.diff.model import (
    MISSING,
    Change,
    DefinitionDiff,
    DefinitionError,
    ParameterDiff,
    Status,
    StepDiff,
)
from pipeline_definition.diff.paths import UNORDERED_KEYS, join, last_key
from pipeline_definition.diff.values import (
    render_set_change,
    render_value,
    retry_key,
)
from pipeline_definition.model.expressions import is_expression
from pipeline_definition.model.graph import StepNode, flatten_steps
from pipeline_definition.model.placeholders import PLACEHOLDER_PATTERN

# ---------------------------------------------------------------------------------------------
# Placeholder-aware equality


# A flat list longer than this, changed in at most FEW_POSITIONS places, is shown by position.
SHORT_LIST = 8
FEW_POSITIONS = 3


class _Matcher:
    """Deep equality where `${Name}` on one side matches a consistent value on the other."""

    def __init__(self, *, match_placeholders: bool) -> None:
        self.match_placeholders = match_placeholders
        self.bindings: dict[str, str] = {}
        self._patterns: dict[str, re.Pattern[str]] = {}

    def equal(self, old: Any, new: Any) -> bool:
        if isinstance(old, dict) and isinstance(new, dict):
            return old.keys() == new.keys() and all(self.equal(old[k], new[k]) for k in old)
        if isinstance(old, list) and isinstance(new, list):
            return len(old) == len(new) and all(
                self.equal(a, b) for a, b in zip(old, new, strict=True)
            )
        if isinstance(old, str) and isinstance(new, str):
            return old == new or self._placeholder_match(old, new)
        # bool is an int in Python: keep true != 1 as JSON sees it.
        return type(old) is type(new) and old == new

    def _placeholder_match(self, old: str, new: str) -> bool:
        if not self.match_placeholders:
            return False
        old_has, new_has = "${" in old, "${" in new
        if old_has == new_has:
            # Both resolved, or both with placeholders: only literal equality counts.
            return False
        template, resolved = (old, new) if old_has else (new, old)
        match = self._pattern(template).fullmatch(resolved)
        if not match:
            return False
        names = PLACEHOLDER_PATTERN.findall(template)
        found: dict[str, str] = {}
        for index, name in enumerate(names):
            value = match.group(index + 1)
            if self.bindings.get(name, value) != value or found.get(name, value) != value:
                return False
            found[name] = value
        self.bindings.update(found)
        return True

    def _pattern(self, template: str) -> re.Pattern[str]:
        if template not in self._patterns:
            pieces = PLACEHOLDER_PATTERN.split(template)
            # split() alternates literal text and placeholder names.
            regex = "".join(
                re.escape(piece) if index % 2 == 0 else "(.+?)"
                for index, piece in enumerate(pieces)
            )
            self._patterns[template] = re.compile(regex, re.DOTALL)
        return self._patterns[template]


# ---------------------------------------------------------------------------------------------
# Generic structural comparison

# Fields that name the items of a list, tried in this order.
NAME_KEYS = (
    "Name",
    "InputName",
    "OutputName",
    "ChannelName",
    "PropertyFileName",
    "MetricName",
    "Key",
)
ListKey = Callable[[Any], str]


def _list_key(key: str, old: Sequence[Any], new: Sequence[Any]) -> ListKey | None:
    """How to match the items of this list, or None to compare by position."""
    items = [*old, *new]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    if key == "RetryPolicies":
        return retry_key if _unique(old, retry_key) and _unique(new, retry_key) else None
    if key == "Conditions":
        return None
    for name in NAME_KEYS:
        if all(isinstance(item.get(name), str) for item in items):

            def by_name(item: Any, name: str = name) -> str:
                return str(item[name])

            if _unique(old, by_name) and _unique(new, by_name):
                return by_name
    return None


def _unique(items: Iterable[Any], key: ListKey) -> bool:
    keys = [key(item) for item in items]
    return len(keys) == len(set(keys))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class _Comparer:
    """Walks two values together and describes each difference, by JSON path."""

    def __init__(self, matcher: _Matcher) -> None:
        self.matcher = matcher

    def compare(self, old: Any, new: Any, path: str) -> list[Change]:
        """Differences between two values at `path`, in document order."""
        if self.matcher.equal(old, new):
            return []
        key = last_key(path)
        if key == "Conditions" and isinstance(old, list) and isinstance(new, list):
            return self._conditions(old, new, path)
        if is_expression(old) or is_expression(new):
            return [describe_change(path, old, new)]
        if isinstance(old, dict) and isinstance(new, dict):
            changes: list[Change] = []
            for name in [*old, *(k for k in new if k not in old)]:
                child = join(path, name)
                if name not in new:
                    changes.append(describe_change(child, old[name], MISSING))
                elif name not in old:
                    changes.append(describe_change(child, MISSING, new[name]))
                else:
                    changes.extend(self.compare(old[name], new[name], child))
            return changes
        if isinstance(old, list) and isinstance(new, list):
            return self._lists(old, new, path, key)
        return [describe_change(path, old, new)]

    def _lists(self, old: list[Any], new: list[Any], path: str, key: str) -> list[Change]:
        if key in UNORDERED_KEYS and all(_is_scalar(v) for v in [*old, *new]):
            if sorted(map(render_value, old)) == sorted(map(render_value, new)):
                return []
            return [describe_change(path, old, new)]
        matcher = _list_key(key, old, new)
        if matcher is not None:
            old_items = {matcher(item): item for item in old}
            new_items = {matcher(item): item for item in new}
            names = [*old_items, *(k for k in new_items if k not in old_items)]
            pairs = [
                (f"{path}[{n}]", old_items.get(n, MISSING), new_items.get(n, MISSING))
                for n in names
            ]
        elif all(_is_scalar(v) or is_expression(v) for v in [*old, *new]):
            return self._flat_list(old, new, path)
        else:
            pairs = [
                (
                    f"{path}[{index}]",
                    old[index] if index < len(old) else MISSING,
                    new[index] if index < len(new) else MISSING,
                )
                for index in range(max(len(old), len(new)))
            ]
        changes: list[Change] = []
        for child, before, after in pairs:
            if before is MISSING or after is MISSING:
                changes.append(describe_change(child, before, after))
            else:
                changes.extend(self.compare(before, after, child))
        return changes

    def _flat_list(self, old: list[Any], new: list[Any], path: str) -> list[Change]:
        """Arguments and the like (values or parameter references such as --input-uri's)."""
        if len(old) == len(new) and len(old) > SHORT_LIST:
            changed = [i for i in range(len(old)) if not self.matcher.equal(old[i], new[i])]
            # A long list with a few values replaced in place (a code bundle's key among
            # forty arguments) reads best as those positions alone.
            if len(changed) <= FEW_POSITIONS:
                return [describe_change(f"{path}[{i}]", old[i], new[i]) for i in changed]
        # Otherwise the whole list reads better than shifted positions.
        return [describe_change(path, old, new)]

    def _conditions(self, old: list[Any], new: list[Any], path: str) -> list[Change]:
        changes = []
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else MISSING
            after = new[index] if index < len(new) else MISSING
            if before is MISSING or after is MISSING or not self.matcher.equal(before, after):
                changes.append(describe_change(f"{path}[{index}]", before, after))
        return changes


# ---------------------------------------------------------------------------------------------
# Steps, parameters, pipeline


def _location(node: StepNode) -> str | None:
    return f"{node.condition}.{node.branch}" if node.condition and node.branch else None


def _own_fields(node: StepNode) -> dict[str, Any]:
    """The step without its nested branch steps, which are compared as steps of their own."""
    raw = dict(node.raw)
    arguments = raw.get("Arguments")
    if node.type == "Condition" and isinstance(arguments, dict):
        raw["Arguments"] = {k: v for k, v in arguments.items() if k not in ("IfSteps", "ElseSteps")}
    return raw


def _steps_by_name(definition: Mapping[str, Any], side: str) -> dict[str, StepNode]:
    nodes: dict[str, StepNode] = {}
    for node in flatten_steps(definition):
        if node.name in nodes:
            raise DefinitionError(f"{side} definition has two steps named {node.name!r}")
        nodes[node.name] = node
    return nodes


def _parameters_by_name(definition: Mapping[str, Any], side: str) -> dict[str, dict[str, Any]]:
    parameters = definition.get("Parameters") or []
    if not isinstance(parameters, list):
        raise DefinitionError(f"{side} definition: 'Parameters' must be a list")
    found: dict[str, dict[str, Any]] = {}
    for parameter in parameters:
        if not isinstance(parameter, dict) or not isinstance(parameter.get("Name"), str):
            raise DefinitionError(f"{side} definition has a parameter without a Name")
        if parameter["Name"] in found:
            raise DefinitionError(
                f"{side} definition has two parameters named {parameter['Name']!r}"
            )
        found[parameter["Name"]] = parameter
    return found


def _as_type_change(change: Change) -> Change:
    return replace(
        change,
        category="type",
        subject="step type",
        summary=f"step type: {change.before} -> {change.after}",
    )


def _step_diffs(
    old: Mapping[str, Any], new: Mapping[str, Any], comparer: _Comparer
) -> list[StepDiff]:
    old_steps, new_steps = _steps_by_name(old, "old"), _steps_by_name(new, "new")
    diffs: list[StepDiff] = []
    # Report in the new definition's order, then the removed steps in the old order.
    for name, node in new_steps.items():
        before = old_steps.get(name)
        if before is None:
            diffs.append(_whole_step(node, "added"))
            continue
        changes = _step_changes(before, node, comparer)
        if changes:
            diffs.append(
                StepDiff(
                    name=name,
                    status="changed",
                    type=node.type,
                    location=_location(node),
                    changes=tuple(changes),
                )
            )
    diffs.extend(
        _whole_step(node, "removed") for name, node in old_steps.items() if name not in new_steps
    )
    return diffs


def _whole_step(node: StepNode, status: Status) -> StepDiff:
    """A step that is only on one side, with its own fields for the report."""
    return StepDiff(
        name=node.name,
        status=status,
        type=node.type,
        location=_location(node),
        definition=_own_fields(node),
    )


def _step_changes(before: StepNode, after: StepNode, comparer: _Comparer) -> list[Change]:
    """What changed in a step that is on both sides: where it lives, then its fields."""
    changes: list[Change] = []
    old_place, new_place = _location(before) or "top level", _location(after) or "top level"
    if old_place != new_place:
        changes.append(
            Change(
                path="(location)",
                old=old_place,
                new=new_place,
                category="location",
                subject="location",
                before=old_place,
                after=new_place,
                summary=f"moved: {old_place} -> {new_place}",
            )
        )
    changes.extend(
        _as_type_change(change) if change.path == "Type" else change
        for change in comparer.compare(_own_fields(before), _own_fields(after), "")
    )
    return changes


PARAMETER_FIELDS = {"DefaultValue": "default", "Type": "type", "EnumValues": "enum values"}


def _parameter_diffs(
    old: Mapping[str, Any], new: Mapping[str, Any], comparer: _Comparer
) -> list[ParameterDiff]:
    old_parameters = _parameters_by_name(old, "old")
    new_parameters = _parameters_by_name(new, "new")
    diffs: list[ParameterDiff] = []
    for name, parameter in new_parameters.items():
        before = old_parameters.get(name)
        kind = str(parameter.get("Type", ""))
        if before is None:
            diffs.append(ParameterDiff(name, "added", kind, definition=parameter))
            continue
        changes = []
        for change in comparer.compare(before, parameter, ""):
            label = PARAMETER_FIELDS.get(change.path)
            if label == "enum values":
                summary = f"{label}: {render_set_change(change.old, change.new)}"
            elif label:
                summary = f"{label}: {change.before} -> {change.after}"
            changes.append(replace(change, subject=label, summary=summary) if label else change)
        if changes:
            diffs.append(ParameterDiff(name, "changed", kind, changes=tuple(changes)))
    for name, parameter in old_parameters.items():
        if name not in new_parameters:
            kind = str(parameter.get("Type", ""))
            diffs.append(ParameterDiff(name, "removed", kind, definition=parameter))
    return diffs


def diff_definitions(
    old: Mapping[str, Any], new: Mapping[str, Any], *, match_placeholders: bool = True
) -> DefinitionDiff:
    """Compare two parsed definitions; raise DefinitionError when they cannot be compared."""
    return compare_definitions(old, new, match_placeholders=match_placeholders)[0]


def compare_definitions(
    old: Mapping[str, Any], new: Mapping[str, Any], *, match_placeholders: bool = True
) -> tuple[DefinitionDiff, dict[str, str]]:
    """The diff of two definitions and the value each `${Name}` matched on the other side."""
    for side, definition in (("old", old), ("new", new)):
        if not isinstance(definition, Mapping):
            raise DefinitionError(f"{side} definition is not a JSON object")
        if not isinstance(definition.get("Steps", []), list):
            raise DefinitionError(f"{side} definition: 'Steps' must be a list")
    comparer = _Comparer(_Matcher(match_placeholders=match_placeholders))
    steps = _step_diffs(old, new, comparer)
    parameters = _parameter_diffs(old, new, comparer)
    rest_old = {k: v for k, v in old.items() if k not in ("Steps", "Parameters")}
    rest_new = {k: v for k, v in new.items() if k not in ("Steps", "Parameters")}
    pipeline = comparer.compare(rest_old, rest_new, "")
    diff = DefinitionDiff(
        steps=tuple(steps), parameters=tuple(parameters), pipeline=tuple(pipeline)
    )
    return diff, dict(comparer.matcher.bindings)
