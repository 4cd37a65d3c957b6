"""Print a `DefinitionDiff` as plain text: one line per change, code diffs indented below."""

from __future__ import annotations

from pipeline_definition.diff.model import (
    STATUS_ORDER,
    BundleDiff,
    Change,
    DefinitionDiff,
    FileChange,
    ParameterDiff,
    count_phrase,
)
from pipeline_definition.diff.values import render_value

SIGNS = {"added": "+", "removed": "-", "changed": "~"}
SHORT_HASH = 8


def short_hash(digest: str) -> str:
    """The first characters of a content hash, as the step lines show it."""
    return digest[:SHORT_HASH] + "…" if len(digest) > SHORT_HASH else digest


def parameter_text(parameter: ParameterDiff) -> str:
    """An added or removed parameter in one phrase: type, default, allowed values."""
    definition = parameter.definition or {}
    text = parameter.type or "untyped"
    if "DefaultValue" in definition:
        text += f", default {render_value(definition['DefaultValue'])}"
    if "EnumValues" in definition:
        text += f", one of {render_value(definition['EnumValues'])}"
    return text


def file_counts(bundle: BundleDiff) -> str:
    """`2 files changed, 1 added` for a bundle's files."""
    counted = [(len(bundle.files_with(status)), status) for status in STATUS_ORDER]
    return count_phrase("file", counted) or "no file differs"


def bundle_heading(bundle: BundleDiff) -> str:
    """`training  ac5b6c61… -> 3f9c2a71…`."""
    return f"{bundle.name}  {short_hash(bundle.old_hash)} -> {short_hash(bundle.new_hash)}"


def _change_lines(changes: tuple[Change, ...], label: str = "") -> list[str]:
    prefix = f"{label}  " if label else ""
    return [f"  {SIGNS[change.status]} {prefix}{change.summary}" for change in changes]


def _file_lines(change: FileChange) -> list[str]:
    note = f"  ({change.note})" if change.note else ""
    return [f"    {SIGNS[change.status]} {change.path}{note}"] + [
        f"        {line}" for line in change.diff
    ]


def _bundle_lines(bundle: BundleDiff) -> list[str]:
    if bundle.missing:
        return [f"  ~ {bundle_heading(bundle)}: files not compared ({bundle.missing})"]
    lines = [f"  ~ {bundle_heading(bundle)}: {file_counts(bundle)}"]
    for change in bundle.files:
        lines += _file_lines(change)
    return lines


def _section(title: str, lines: list[str]) -> list[str]:
    return ["", f"{title}:", *lines] if lines else []


def format_text(diff: DefinitionDiff, old_label: str, new_label: str) -> str:
    """One line per change, grouped by what changed; warnings first, notes last."""
    lines = [f"Pipeline definition diff: {old_label} -> {new_label}", diff.summary()]
    for warning in diff.warnings:
        lines += ["", f"!! {warning}"]
    step_lines: list[str] = []
    for step in [*diff.steps_with("added"), *diff.steps_with("removed")]:
        step_lines.append(f"  {SIGNS[step.status]} {step.label} ({step.type})")
    for step in diff.steps_with("changed"):
        step_lines += _change_lines(step.changes, step.label)
    parameter_lines: list[str] = []
    for parameter in diff.parameters:
        if parameter.status == "changed":
            parameter_lines += _change_lines(parameter.changes, parameter.name)
        else:
            sign = SIGNS[parameter.status]
            parameter_lines.append(f"  {sign} {parameter.name}  {parameter_text(parameter)}")
    lines += _section("Steps", step_lines)
    lines += _section("Parameters", parameter_lines)
    lines += _section("Pipeline", _change_lines(diff.pipeline))
    lines += _section("Pipeline resource", _change_lines(diff.resource))
    lines += _section("Deploy-time values", _change_lines(diff.values))
    lines += _section("Code bundles", [line for b in diff.bundles for line in _bundle_lines(b)])
    lines += _section("Not compared", [f"  - {note}" for note in diff.notes])
    return "\n".join(lines) + "\n"
