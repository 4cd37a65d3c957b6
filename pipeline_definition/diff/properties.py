"""Compare what surrounds the definitions: the pipeline resource and the values behind `${...}`.

A deploy changes more than the body: the pipeline's name (a new name replaces the pipeline,
and its execution history stays with the old one), role, description, display name, tags and
parallelism, and the `Fn::Sub` variables that fill the body's placeholders (buckets, key,
role). Template values that CloudFormation resolves at deploy time (`Ref`, `GetAtt`) match a
deployed value the way a `${...}` placeholder does, unless placeholders are compared strictly.
The deployed side has no `Fn::Sub` map; its values are the ones its body had where the other
side had a placeholder (the matcher's bindings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline_definition.diff.intrinsics import has_intrinsic, render_template_value, simplify
from pipeline_definition.diff.model import MISSING, Category, Change
from pipeline_definition.diff.side import LoadedDefinition, PipelineProperties
from pipeline_definition.model.graph import flatten_steps, own_arguments

# Tags CloudFormation and AWS set themselves (aws:cloudformation:stack-name, ...).
RESERVED_TAG_PREFIX = "aws:"
# DeletePipeline deletes a pipeline's executions with it, and refuses while one is running.
REPLACEMENT_NOTE = (
    "REPLACEMENT: {why}. CloudFormation creates a new AWS::SageMaker::Pipeline and deletes "
    "the old one: the new pipeline starts with no executions, the old one's execution history "
    "is orphaned and deleted with it, and the deletion fails while one of its executions runs."
)


@dataclass(frozen=True)
class SurroundingsDiff:
    """Changes to the pipeline resource and to the deploy-time values, and what was unknown."""

    resource: tuple[Change, ...] = ()
    values: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class _Comparison:
    def __init__(self, old: PipelineProperties, new: PipelineProperties, strict: bool) -> None:
        self.old, self.new, self.strict = old, new, strict

    def same(self, before: Any, after: Any, *, old_resolved: bool, new_resolved: bool) -> bool:
        """Equal values; a deploy-time value matches any resolved one unless strict."""
        if type(before) is type(after) and before == after:
            return True
        if self.strict or old_resolved == new_resolved:
            return False
        unresolved = after if old_resolved else before
        return has_intrinsic(unresolved)

    def change(self, path: str, before: Any, after: Any, category: Category) -> Change | None:
        """The Change from `before` to `after`, or None when they are the same."""
        before, after = simplify(before), simplify(after)
        if self.same(before, after, old_resolved=self.old.resolved, new_resolved=self.new.resolved):
            return None
        return _change(path, before, after, category)


def _change(path: str, before: Any, after: Any, category: Category) -> Change:
    old_text, new_text = render_template_value(before), render_template_value(after)
    return Change(
        path=path,
        old=before,
        new=after,
        category=category,
        subject=path,
        before=old_text,
        after=new_text,
        summary=f"{path}: {old_text} -> {new_text}",
    )


def _display_name(properties: PipelineProperties) -> Any:
    # Without a display name, SageMaker shows (and DescribePipeline returns) the name.
    return properties.name if properties.display_name is MISSING else properties.display_name


def _display_name_change(comparison: _Comparison) -> Change | None:
    old, new = comparison.old, comparison.new
    if old.display_name is MISSING and new.display_name is MISSING:
        return None  # both follow the name, whose change is reported already
    return comparison.change(
        "PipelineDisplayName", _display_name(old), _display_name(new), "property"
    )


def _user_tags(tags: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tags.items() if not k.startswith(RESERVED_TAG_PREFIX)}


def _resource_changes(comparison: _Comparison) -> tuple[list[Change], list[str]]:
    old, new = comparison.old, comparison.new
    notes: list[str] = []
    changes: list[Change | None] = [
        comparison.change("PipelineName", old.name, new.name, "replacement"),
        comparison.change("RoleArn", old.role_arn, new.role_arn, "property"),
        comparison.change("PipelineDescription", old.description, new.description, "property"),
        _display_name_change(comparison),
        comparison.change("ParallelismConfiguration", old.parallelism, new.parallelism, "property"),
    ]
    if old.logical_id and new.logical_id and old.logical_id != new.logical_id:
        changes.append(_change("(logical id)", old.logical_id, new.logical_id, "replacement"))
    if old.tags is None or new.tags is None:
        notes.append("tags not compared: the deployed pipeline's tags could not be read")
    else:
        old_tags, new_tags = _user_tags(old.tags), _user_tags(new.tags)
        for key in sorted(old_tags.keys() | new_tags.keys()):
            before, after = old_tags.get(key, MISSING), new_tags.get(key, MISSING)
            changes.append(comparison.change(f"Tags.{key}", before, after, "property"))
    return [c for c in changes if c is not None], notes


def _users(definition: Mapping[str, Any], name: str) -> list[str]:
    """Which parameters and steps use the placeholder `${name}`."""
    token = "${" + name + "}"
    found = [
        f"parameter {p['Name']}"
        for p in definition.get("Parameters") or []
        if isinstance(p, dict) and token in str(p)
    ]
    # A Condition's own fields only: the steps in its branches are listed by their own names.
    found += [
        node.name
        for node in flatten_steps(definition)
        if token in str({**node.raw, "Arguments": own_arguments(node.type, node.arguments)})
    ]
    return found


def _value_change(change: Change, users: list[str]) -> Change:
    where = f"used by {', '.join(users)}" if users else "not used by the definition"
    subject = "${" + change.path + "} (" + where + ")"
    return Change(
        path=change.path,
        old=change.old,
        new=change.new,
        category="deploy-value",
        subject=subject,
        before=change.before,
        after=change.after,
        summary=f"{subject}: {change.before} -> {change.after}",
    )


def _side_values(
    properties: PipelineProperties, bindings: Mapping[str, str], names: Iterable[str]
) -> dict[str, Any]:
    if properties.substitutions is not None:
        return dict(properties.substitutions)
    # A deployed side: its values are what its body held where the other side had ${name}.
    return {name: bindings[name] for name in names if name in bindings}


def _value_changes(
    comparison: _Comparison, bindings: Mapping[str, str], new_definition: Mapping[str, Any]
) -> list[Change]:
    old, new = comparison.old, comparison.new
    names = set(old.substitutions or {}) | set(new.substitutions or {})
    old_values = _side_values(old, bindings, names)
    new_values = _side_values(new, bindings, names)
    compared = sorted(old_values.keys() | new_values.keys())
    if old.substitutions is None or new.substitutions is None:
        # Only names both sides know: a deployed side cannot say it lacks one.
        compared = sorted(old_values.keys() & new_values.keys())
    changes = []
    for name in compared:
        change = comparison.change(
            name, old_values.get(name, MISSING), new_values.get(name, MISSING), "deploy-value"
        )
        if change is not None:
            changes.append(_value_change(change, _users(new_definition, name)))
    return changes


def _replacement_note(resource: list[Change]) -> list[str]:
    reasons = {
        "PipelineName": "the pipeline name changes ({before} -> {after})",
        "(logical id)": "the resource's logical id changes ({before} -> {after})",
    }
    return [
        REPLACEMENT_NOTE.format(why=reasons[c.path].format(before=c.before, after=c.after))
        for c in resource
        if c.category == "replacement"
    ]


def compare_surroundings(
    old: LoadedDefinition,
    new: LoadedDefinition,
    bindings: Mapping[str, str],
    *,
    match_placeholders: bool = True,
) -> SurroundingsDiff:
    """What differs around the two definitions; sides without a resource are noted, not guessed."""
    unknown = [
        f"{side} side ({loaded.label}): {loaded.unknown}; not compared"
        for side, loaded in (("old", old), ("new", new))
        if loaded.properties is None
    ]
    if len(unknown) == 2 and old.unknown == new.unknown:
        unknown = [f"both sides: {old.unknown}; not compared"]
    if old.properties is None or new.properties is None:
        return SurroundingsDiff(notes=tuple(unknown))
    comparison = _Comparison(old.properties, new.properties, strict=not match_placeholders)
    resource, notes = _resource_changes(comparison)
    values = _value_changes(comparison, bindings, new.definition)
    return SurroundingsDiff(
        resource=tuple(resource),
        values=tuple(values),
        warnings=tuple(_replacement_note(resource)),
        notes=tuple(notes),
    )
