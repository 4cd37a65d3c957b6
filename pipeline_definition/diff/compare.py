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

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from pipeline_definition.model.graph import StepNode, flatten_steps
from pipeline_definition.model.placeholders import PLACEHOLDER_PATTERN

Status = Literal["added", "removed", "changed"]
Category = Literal[
    "value",
    "code",
    "image",
    "instance-type",
    "hyperparameter",
    "condition",
    "retry",
    "cache",
    "depends-on",
    "location",
    "type",
]


class _Missing:
    """The value on the side where a key, list item or step does not exist."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class DefinitionError(ValueError):
    """A definition cannot be compared: not an object, or step names are not unique."""


@dataclass(frozen=True)
class Change:
    """One difference at one JSON path, described for people.

    `subject` names what changed ("hyperparameter max_depth", "code bundle 'training'", or the
    path), `before` and `after` are the readable values, and `summary` is the one-line form
    `subject: before -> after` unless the kind of change reads better otherwise.
    """

    path: str
    old: Any
    new: Any
    category: Category
    subject: str
    before: str
    after: str
    summary: str

    @property
    def status(self) -> Status:
        """Whether the value was added, removed or changed."""
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class StepDiff:
    """A step that was added, removed or changed, with what changed in it."""

    name: str
    status: Status
    type: str
    location: str | None = None
    changes: tuple[Change, ...] = ()
    definition: Mapping[str, Any] | None = None

    @property
    def label(self) -> str:
        """The step name, with the condition branch it lives in, if any."""
        return f"{self.name} (in {self.location})" if self.location else self.name


@dataclass(frozen=True)
class ParameterDiff:
    """A pipeline parameter that was added, removed or changed."""

    name: str
    status: Status
    type: str
    changes: tuple[Change, ...] = ()
    definition: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class DefinitionDiff:
    """Everything that differs between two definitions."""

    steps: tuple[StepDiff, ...] = ()
    parameters: tuple[ParameterDiff, ...] = ()
    pipeline: tuple[Change, ...] = ()

    @property
    def has_changes(self) -> bool:
        """True when the definitions differ in any way."""
        return bool(self.steps or self.parameters or self.pipeline)

    def steps_with(self, status: Status) -> list[StepDiff]:
        """The steps with the given status, in report order."""
        return [step for step in self.steps if step.status == status]

    def parameters_with(self, status: Status) -> list[ParameterDiff]:
        """The parameters with the given status, in report order."""
        return [parameter for parameter in self.parameters if parameter.status == status]

    def counts(self) -> dict[str, int]:
        """How many steps, parameters and pipeline-level values changed, by kind."""
        return {
            "steps_added": len(self.steps_with("added")),
            "steps_removed": len(self.steps_with("removed")),
            "steps_changed": len(self.steps_with("changed")),
            "parameters_added": len(self.parameters_with("added")),
            "parameters_removed": len(self.parameters_with("removed")),
            "parameters_changed": len(self.parameters_with("changed")),
            "pipeline_changes": len(self.pipeline),
        }

    def summary(self) -> str:
        """One line such as `2 steps changed, 1 added; 1 parameter changed`."""
        if not self.has_changes:
            return "no changes"
        counts = self.counts()
        parts = [
            _count_phrase(noun, [(counts[f"{key}_{word}"], word) for word in STATUS_ORDER])
            for noun, key in (("step", "steps"), ("parameter", "parameters"))
        ]
        if self.pipeline:
            parts.append(_plural(len(self.pipeline), "pipeline-level change"))
        return "; ".join(part for part in parts if part)


# The order in which summaries list the kinds of change.
STATUS_ORDER: tuple[Status, ...] = ("changed", "added", "removed")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _count_phrase(noun: str, counted: list[tuple[int, str]]) -> str:
    """`2 steps changed, 1 added` from (count, word) pairs; empty when all are zero."""
    present = [(count, word) for count, word in counted if count]
    if not present:
        return ""
    (first, word), rest = present[0], present[1:]
    return ", ".join([f"{_plural(first, noun)} {word}", *(f"{n} {w}" for n, w in rest)])


# ---------------------------------------------------------------------------------------------
# Readable values

CODE_URI = re.compile(
    r"^(?P<prefix>.*/code/(?P<bundle>[^/]+)/)(?P<hash>[0-9a-f]{8,64})(?P<rest>/.*)?$"
)
IMAGE_KEYS = frozenset({"ImageUri", "TrainingImage", "Image"})
IMAGE_URI = re.compile(r"^(?P<registry>[^/]+)/(?P<repository>[^:@]+)(?::(?P<tag>[\w.-]+))?$")
OPERATORS = {
    "Equals": "==",
    "GreaterThan": ">",
    "GreaterThanOrEqualTo": ">=",
    "LessThan": "<",
    "LessThanOrEqualTo": "<=",
}
EXPRESSION_KEYS = frozenset({"Get", "Std:Join", "Std:JsonGet"})
SHORT_HASH = 8


def render_value(value: Any) -> str:
    """A compact, readable form: expressions as `Parameters.X`, the rest as JSON."""
    if value is MISSING:
        return "(absent)"
    if is_expression(value):
        return render_expression(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def is_expression(value: Any) -> bool:
    """True for a pipeline expression such as `{"Get": "Parameters.X"}`."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in EXPRESSION_KEYS


def render_expression(value: Any) -> str:
    """Render a pipeline expression (Get, Std:Join, Std:JsonGet) the way one would write it."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, body),) = value.items()
        if key == "Get" and isinstance(body, str):
            return body
        if key == "Std:JsonGet" and isinstance(body, dict):
            source = body.get("PropertyFile")
            if isinstance(source, dict) and isinstance(source.get("Get"), str):
                # "Steps.EvaluateModel.PropertyFiles.EvaluationReport" -> "EvaluationReport"
                source = source["Get"].rsplit(".", 1)[-1]
            name = source if isinstance(source, str) else render_expression(source)
            return f"Std:JsonGet({name}, {body.get('Path')})"
        if key == "Std:Join" and isinstance(body, dict):
            values = body.get("Values") or []
            parts = [json.dumps(body.get("On", ""))]
            parts += [render_expression(v) for v in values] if isinstance(values, list) else []
            return f"Std:Join({', '.join(parts)})"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(render_expression(v) for v in value) + "]"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def render_condition(condition: Any) -> str:
    """Render one entry of a Condition step's `Conditions` as an expression."""
    if not isinstance(condition, dict):
        return render_value(condition)
    kind = condition.get("Type")
    if kind in OPERATORS:
        left = render_expression(condition.get("LeftValue"))
        right = render_expression(condition.get("RightValue"))
        return f"{left} {OPERATORS[kind]} {right}"
    if kind == "In":
        values = condition.get("Values") or []
        listed = ", ".join(render_expression(v) for v in values) if isinstance(values, list) else ""
        return f"{render_expression(condition.get('QueryValue'))} in [{listed}]"
    if kind == "Not":
        return f"not ({render_condition(condition.get('Condition'))})"
    if kind == "Or":
        nested = condition.get("Conditions") or []
        return "(" + " or ".join(render_condition(c) for c in nested) + ")"
    return render_value(condition)


def render_retry_policy(policy: Any) -> str:
    """Render a retry policy such as `3 attempts, every 60s, backoff x2.0`."""
    if not isinstance(policy, dict):
        return render_value(policy)
    parts = []
    if "MaxAttempts" in policy:
        parts.append(f"{policy['MaxAttempts']} attempts")
    if "ExpireAfterMin" in policy:
        parts.append(f"for {policy['ExpireAfterMin']} min")
    if "IntervalSeconds" in policy:
        parts.append(f"every {policy['IntervalSeconds']}s")
    if "BackoffRate" in policy:
        parts.append(f"backoff x{policy['BackoffRate']}")
    return ", ".join(parts) or render_value(policy)


def _retry_key(policy: Any) -> str:
    exceptions = policy.get("ExceptionType") if isinstance(policy, dict) else None
    if isinstance(exceptions, list):
        return ", ".join(sorted(str(e) for e in exceptions))
    return render_value(exceptions)


def _short(digest: str) -> str:
    return digest[:SHORT_HASH] + "…" if len(digest) > SHORT_HASH else digest


# ---------------------------------------------------------------------------------------------
# Placeholder-aware equality


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

# Lists whose order carries no meaning.
UNORDERED_KEYS = frozenset(
    {
        "DependsOn",
        "EnumValues",
        "ExceptionType",
        "SupportedContentTypes",
        "SupportedResponseMIMETypes",
        "SupportedRealtimeInferenceInstanceTypes",
        "SupportedTransformInstanceTypes",
    }
)
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


def _last_key(path: str) -> str:
    """The last object key of a path: `Outputs` for `A.Outputs[train]`."""
    # Item names may hold dots ("RetryPolicies[Step.THROTTLING]"): drop them first.
    return re.sub(r"\[[^\]]*\]", "", path).rsplit(".", 1)[-1]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _list_key(key: str, old: Sequence[Any], new: Sequence[Any]) -> ListKey | None:
    """How to match the items of this list, or None to compare by position."""
    items = [*old, *new]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    if key == "RetryPolicies":
        return _retry_key if _unique(old, _retry_key) and _unique(new, _retry_key) else None
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
    def __init__(self, matcher: _Matcher) -> None:
        self.matcher = matcher

    def compare(self, old: Any, new: Any, path: str) -> list[Change]:
        """Differences between two values at `path`, in document order."""
        if self.matcher.equal(old, new):
            return []
        key = _last_key(path)
        if key == "Conditions" and isinstance(old, list) and isinstance(new, list):
            return self._conditions(old, new, path)
        if is_expression(old) or is_expression(new):
            return [self.change(path, old, new)]
        if isinstance(old, dict) and isinstance(new, dict):
            changes: list[Change] = []
            for name in [*old, *(k for k in new if k not in old)]:
                child = _join(path, name)
                if name not in new:
                    changes.append(self.change(child, old[name], MISSING))
                elif name not in old:
                    changes.append(self.change(child, MISSING, new[name]))
                else:
                    changes.extend(self.compare(old[name], new[name], child))
            return changes
        if isinstance(old, list) and isinstance(new, list):
            return self._lists(old, new, path, key)
        return [self.change(path, old, new)]

    def _lists(self, old: list[Any], new: list[Any], path: str, key: str) -> list[Change]:
        if key in UNORDERED_KEYS and all(_is_scalar(v) for v in [*old, *new]):
            if sorted(map(render_value, old)) == sorted(map(render_value, new)):
                return []
            return [self.change(path, old, new)]
        matcher = _list_key(key, old, new)
        if matcher is not None:
            old_items = {matcher(item): item for item in old}
            new_items = {matcher(item): item for item in new}
            names = [*old_items, *(k for k in new_items if k not in old_items)]
            pairs = [
                (f"{path}[{n}]", old_items.get(n, MISSING), new_items.get(n, MISSING))
                for n in names
            ]
        elif all(_is_scalar(v) for v in [*old, *new]):
            # Arguments and the like: the whole list reads better than shifted positions.
            return [self.change(path, old, new)]
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
                changes.append(self.change(child, before, after))
            else:
                changes.extend(self.compare(before, after, child))
        return changes

    def _conditions(self, old: list[Any], new: list[Any], path: str) -> list[Change]:
        changes = []
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else MISSING
            after = new[index] if index < len(new) else MISSING
            if before is MISSING or after is MISSING or not self.matcher.equal(before, after):
                changes.append(self.change(f"{path}[{index}]", before, after))
        return changes

    def change(self, path: str, old: Any, new: Any) -> Change:
        """A Change at `path` with the most readable summary its kind allows."""
        return describe_change(path, old, new)


def _arrow(old: Any, new: Any) -> str:
    return f"{render_value(old)} -> {render_value(new)}"


@dataclass(frozen=True)
class _Description:
    category: Category
    subject: str
    before: str
    after: str
    summary: str | None = None


def _plain(category: Category, subject: str, old: Any, new: Any) -> _Description:
    return _Description(category, subject, render_value(old), render_value(new))


def _with_summary(described: _Description, lead: str) -> _Description:
    """The same description, summarised as `lead before -> after`."""
    return replace(described, summary=f"{lead} {described.before} -> {described.after}")


def _describe_code(path: str, old: Any, new: Any) -> _Description | None:
    if not (isinstance(old, str) and isinstance(new, str)):
        return None
    before, after = CODE_URI.match(old), CODE_URI.match(new)
    if not (before and after) or before.group("bundle", "rest") != after.group("bundle", "rest"):
        return None
    subject = f"code bundle '{after['bundle']}'"
    old_hash, new_hash = _short(before["hash"]), _short(after["hash"])
    return _Description(
        "code", subject, old_hash, new_hash, f"{subject} changed: {old_hash} -> {new_hash}"
    )


def _describe_image(path: str, old: Any, new: Any) -> _Description | None:
    if _last_key(path) not in IMAGE_KEYS:
        return None
    before = IMAGE_URI.match(old) if isinstance(old, str) else None
    after = IMAGE_URI.match(new) if isinstance(new, str) else None
    if before and after and before.group(1, 2) == after.group(1, 2):
        repository = after["repository"].rsplit("/", 1)[-1]
        old_tag, new_tag = before["tag"] or "(none)", after["tag"] or "(none)"
        return _Description(
            "image",
            f"{path} image {repository} tag",
            old_tag,
            new_tag,
            f"{path}: image {repository} tag {old_tag} -> {new_tag}",
        )
    return _with_summary(_plain("image", f"{path} image", old, new), f"{path}: image")


def _describe_instance_type(path: str, old: Any, new: Any) -> _Description | None:
    if _last_key(path) != "InstanceType":
        return None
    described = _plain("instance-type", f"{path} instance type", old, new)
    return _with_summary(described, f"{path}: instance type")


def _describe_hyperparameter(path: str, old: Any, new: Any) -> _Description | None:
    match = re.search(r"(?:^|\.)HyperParameters\.([^.\[]+)$", path)
    if not match:
        return None
    return _plain("hyperparameter", f"hyperparameter {match[1]}", old, new)


def _describe_condition(path: str, old: Any, new: Any) -> _Description | None:
    match = re.search(r"Conditions\[(\d+)\]$", path)
    if not match:
        return None
    return _Description(
        "condition",
        f"condition {int(match[1]) + 1}",
        "(none)" if old is MISSING else render_condition(old),
        "(none)" if new is MISSING else render_condition(new),
    )


def _describe_retry(path: str, old: Any, new: Any) -> _Description | None:
    if not path.startswith("RetryPolicies"):
        return None
    match = re.match(r"^RetryPolicies\[(?P<key>[^\]]*)\](?:\.(?P<field>.+))?$", path)
    if not match:
        return _Description("retry", "retry policies", _policies(old), _policies(new))
    subject = f"retry policy on [{match['key']}]"
    if match["field"]:
        described = _plain("retry", f"{subject} {match['field']}", old, new)
        return _with_summary(described, f"{subject}: {match['field']}")
    before = "(none)" if old is MISSING else render_retry_policy(old)
    after = "(none)" if new is MISSING else render_retry_policy(new)
    return _Description("retry", subject, before, after)


def _describe_cache(path: str, old: Any, new: Any) -> _Description | None:
    if not path.startswith("CacheConfig"):
        return None
    if path == "CacheConfig.Enabled":
        state = {True: "enabled", False: "disabled"}
        before = state.get(old, render_value(old)) if isinstance(old, bool) else render_value(old)
        after = state.get(new, render_value(new)) if isinstance(new, bool) else render_value(new)
        return _Description("cache", "cache", before, after)
    if path == "CacheConfig.ExpireAfter":
        return _plain("cache", "cache expiry", old, new)
    return _plain("cache", path, old, new)


def _describe_sets(path: str, old: Any, new: Any) -> _Description | None:
    if path == "DependsOn":
        category: Category = "depends-on"
        subject = "depends on"
    elif _last_key(path) in UNORDERED_KEYS:
        category, subject = "value", path
    else:
        return None
    described = _plain(category, subject, old, new)
    return _Description(
        category, subject, described.before, described.after, f"{subject}: {_set_change(old, new)}"
    )


DESCRIBERS = (
    _describe_code,
    _describe_image,
    _describe_instance_type,
    _describe_hyperparameter,
    _describe_condition,
    _describe_retry,
    _describe_cache,
    _describe_sets,
)


def describe_change(path: str, old: Any, new: Any) -> Change:
    """Build a Change at `path`, described by the first describer that recognises it."""
    described = next(
        (d for d in (describe(path, old, new) for describe in DESCRIBERS) if d is not None),
        None,
    ) or _plain("value", path, old, new)
    summary = described.summary or f"{described.subject}: {described.before} -> {described.after}"
    return Change(
        path=path,
        old=old,
        new=new,
        category=described.category,
        subject=described.subject,
        before=described.before,
        after=described.after,
        summary=summary,
    )


def _set_change(old: Any, new: Any) -> str:
    before = {render_value(v) for v in old} if isinstance(old, list) else set()
    after = {render_value(v) for v in new} if isinstance(new, list) else set()
    parts = [f"+ {v}" for v in sorted(after - before)] + [f"- {v}" for v in sorted(before - after)]
    return ", ".join(parts) if parts else _arrow(old, new)


def _policies(policies: Any) -> str:
    if policies is MISSING:
        return "(none)"
    if not isinstance(policies, list):
        return render_value(policies)
    if not policies:
        return "(none)"
    return "; ".join(f"on [{_retry_key(p)}]: {render_retry_policy(p)}" for p in policies)


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
            diffs.append(
                StepDiff(
                    name=name,
                    status="added",
                    type=node.type,
                    location=_location(node),
                    definition=_own_fields(node),
                )
            )
            continue
        changes: list[Change] = []
        old_place, new_place = _location(before) or "top level", _location(node) or "top level"
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
            for change in comparer.compare(_own_fields(before), _own_fields(node), "")
        )
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
    for name, node in old_steps.items():
        if name not in new_steps:
            diffs.append(
                StepDiff(
                    name=name,
                    status="removed",
                    type=node.type,
                    location=_location(node),
                    definition=_own_fields(node),
                )
            )
    return diffs


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
                summary = f"{label}: {_set_change(change.old, change.new)}"
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
    return DefinitionDiff(
        steps=tuple(steps), parameters=tuple(parameters), pipeline=tuple(pipeline)
    )
