"""Print a `DefinitionDiff` as plain text, as a Markdown pull-request comment, or as JSON."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from typing import Any

from pipeline_definition.diff.model import (
    MISSING,
    Change,
    DefinitionDiff,
    ParameterDiff,
    StepDiff,
)
from pipeline_definition.diff.values import render_value

# A workflow finds its earlier comment by this marker and updates it instead of adding one.
MARKER = "<!-- pipeline-diff -->"
SIGNS = {"added": "+", "removed": "-", "changed": "~"}
# Values longer than this go into a collapsible block instead of a table cell.
LONG_VALUE = 120
# GitHub rejects comments over 65,536 characters; leave room for the workflow's own text.
MAX_MARKDOWN = 60_000

Formatter = Callable[[DefinitionDiff, str, str], str]


def format_text(diff: DefinitionDiff, old_label: str, new_label: str) -> str:
    """One line per change, grouped into steps, parameters and pipeline-level values."""
    lines = [f"Pipeline definition diff: {old_label} -> {new_label}", diff.summary()]
    steps = [
        *diff.steps_with("added"),
        *diff.steps_with("removed"),
        *diff.steps_with("changed"),
    ]
    if steps:
        lines += ["", "Steps:"]
        for step in steps:
            sign = SIGNS[step.status]
            if step.status == "changed":
                lines += [f"  {sign} {step.label}  {change.summary}" for change in step.changes]
            else:
                lines.append(f"  {sign} {step.label} ({step.type})")
    if diff.parameters:
        lines += ["", "Parameters:"]
        for parameter in diff.parameters:
            sign = SIGNS[parameter.status]
            if parameter.status == "changed":
                lines += [
                    f"  {sign} {parameter.name}  {change.summary}" for change in parameter.changes
                ]
            else:
                lines.append(f"  {sign} {parameter.name}  {_parameter_text(parameter)}")
    if diff.pipeline:
        lines += ["", "Pipeline:"]
        lines += [f"  {SIGNS[change.status]} {change.summary}" for change in diff.pipeline]
    return "\n".join(lines) + "\n"


def _parameter_text(parameter: ParameterDiff) -> str:
    definition = parameter.definition or {}
    text = parameter.type or "untyped"
    if "DefaultValue" in definition:
        text += f", default {render_value(definition['DefaultValue'])}"
    if "EnumValues" in definition:
        text += f", one of {render_value(definition['EnumValues'])}"
    return text


# ---------------------------------------------------------------------------------------------
# Markdown


def _code(text: str) -> str:
    """An inline code span that survives backticks, pipes and newlines inside table cells."""
    text = text.replace("\n", " ").replace("|", "\\|")
    if not text:
        return ""
    fence = "``" if "`" in text else "`"
    padding = " " if fence == "``" else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def _subject(change: Change) -> str:
    """The change's subject, with its JSON path set as code."""
    if change.path and change.subject.startswith(change.path):
        return _code(change.path) + _escape(change.subject[len(change.path) :])
    return _escape(change.subject)


def _pretty(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _cut(text: str) -> str:
    return text if len(text) <= LONG_VALUE else text[: LONG_VALUE - 1] + "…"


def _fenced(body: str) -> list[str]:
    # A fence longer than any backtick run inside keeps the block intact.
    fence = "```"
    while fence in body:
        fence += "`"
    return [f"{fence}json", body, fence]


def _details(summary: str, blocks: list[tuple[str, Any]]) -> list[str]:
    """A collapsed block holding one or more labelled JSON values."""
    lines = ["", f"<details><summary>{summary}</summary>", ""]
    for label, value in blocks:
        if label:
            lines += [label, ""]
        lines += [*_fenced(_pretty(value)), ""]
    return [*lines, "</details>"]


class _Markdown:
    def __init__(self, *, with_details: bool) -> None:
        self.with_details = with_details
        self.lines: list[str] = []

    def change_table(self, changes: tuple[Change, ...], owner: str) -> None:
        """A table of changes; long values are cut there and shown whole in a block below."""
        long_changes: list[Change] = []
        self.lines += ["", "| Change | Old | New |", "| --- | --- | --- |"]
        for change in changes:
            cells = [_code(_cut(text)) for text in (change.before, change.after)]
            if len(change.before) > LONG_VALUE or len(change.after) > LONG_VALUE:
                long_changes.append(change)
                cells[1] += " (full values below)"
            self.lines.append(f"| {_subject(change)} | {cells[0]} | {cells[1]} |")
        if self.with_details:
            for change in long_changes:
                self.lines += _details(
                    f"{_escape(owner)}: <code>{_escape(change.path)}</code>",
                    [("Old:", change.old), ("New:", change.new)],
                )

    def definitions(self, items: list[tuple[str, Mapping[str, Any] | None]]) -> None:
        if not self.with_details:
            return
        for name, definition in items:
            if definition is not None:
                self.lines += _details(f"{_escape(name)} definition", [("", definition)])

    def steps(self, title: str, steps: list[StepDiff]) -> None:
        if not steps:
            return
        self.lines += ["", f"### {title} ({len(steps)})", "", "| Step | Type |", "| --- | --- |"]
        self.lines += [f"| {_code(step.label)} | {_escape(step.type)} |" for step in steps]
        self.definitions([(step.label, step.definition) for step in steps])

    def changed_steps(self, steps: list[StepDiff]) -> None:
        if not steps:
            return
        self.lines += ["", f"### Steps changed ({len(steps)})"]
        for step in steps:
            self.lines += ["", f"#### {_code(step.label)} ({_escape(step.type)})"]
            self.change_table(step.changes, step.label)

    def parameters(self, parameters: tuple[ParameterDiff, ...]) -> None:
        if not parameters:
            return
        self.lines += [
            "",
            f"### Parameters ({len(parameters)})",
            "",
            "| Parameter | Change | Old | New |",
            "| --- | --- | --- | --- |",
        ]
        for parameter in parameters:
            name = _code(parameter.name)
            if parameter.status == "changed":
                for change in parameter.changes:
                    before, after = _code(change.before), _code(change.after)
                    self.lines.append(f"| {name} | {_subject(change)} | {before} | {after} |")
            else:
                described = _code(_parameter_text(parameter))
                old, new = ("", described) if parameter.status == "added" else (described, "")
                self.lines.append(f"| {name} | {parameter.status} | {old} | {new} |")

    def pipeline(self, changes: tuple[Change, ...]) -> None:
        if changes:
            self.lines += ["", f"### Pipeline ({len(changes)})"]
            self.change_table(changes, "pipeline")


def format_markdown(diff: DefinitionDiff, old_label: str, new_label: str) -> str:
    """A pull-request comment: marker, heading, summary, then one section per change kind."""
    text = _markdown(diff, old_label, new_label, with_details=True)
    if len(text) > MAX_MARKDOWN:
        text = _markdown(diff, old_label, new_label, with_details=False)
    if len(text) > MAX_MARKDOWN:
        cut = text[:MAX_MARKDOWN].rsplit("\n", 1)[0]
        text = cut + "\n\n_The diff is too long for a comment; run the diff command locally._\n"
    return text


def _markdown(diff: DefinitionDiff, old_label: str, new_label: str, *, with_details: bool) -> str:
    out = _Markdown(with_details=with_details)
    out.lines += [
        MARKER,
        "## SageMaker pipeline definition diff",
        "",
        f"{_code(old_label)} → {_code(new_label)}: **{_escape(diff.summary())}**",
    ]
    if not diff.has_changes:
        out.lines += ["", "No step, parameter or pipeline-level change."]
    out.steps("Steps added", diff.steps_with("added"))
    out.steps("Steps removed", diff.steps_with("removed"))
    out.changed_steps(diff.steps_with("changed"))
    out.parameters(diff.parameters)
    out.pipeline(diff.pipeline)
    if not with_details and diff.has_changes:
        out.lines += ["", "_Long values and step definitions were left out to fit a comment._"]
    return "\n".join(out.lines) + "\n"


# ---------------------------------------------------------------------------------------------
# JSON


def _change_json(change: Change) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": change.path,
        "status": change.status,
        "category": change.category,
        "summary": change.summary,
    }
    if change.old is not MISSING:
        entry["old"] = change.old
    if change.new is not MISSING:
        entry["new"] = change.new
    return entry


def diff_to_json(diff: DefinitionDiff, old_label: str, new_label: str) -> dict[str, Any]:
    """The diff as plain JSON-serialisable data."""
    return {
        "old": old_label,
        "new": new_label,
        "changed": diff.has_changes,
        "summary": diff.summary(),
        "counts": diff.counts(),
        "steps": [
            {
                "name": step.name,
                "label": step.label,
                "status": step.status,
                "type": step.type,
                "location": step.location,
                "changes": [_change_json(change) for change in step.changes],
                **({"definition": step.definition} if step.definition is not None else {}),
            }
            for step in diff.steps
        ],
        "parameters": [
            {
                "name": parameter.name,
                "status": parameter.status,
                "type": parameter.type,
                "changes": [_change_json(change) for change in parameter.changes],
                **(
                    {"definition": parameter.definition} if parameter.definition is not None else {}
                ),
            }
            for parameter in diff.parameters
        ],
        "pipeline": [_change_json(change) for change in diff.pipeline],
    }


def format_json(diff: DefinitionDiff, old_label: str, new_label: str) -> str:
    """The diff as indented JSON with sorted keys."""
    data = diff_to_json(diff, old_label, new_label)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


FORMATS: dict[str, Formatter] = {
    "text": format_text,
    "markdown": format_markdown,
    "json": format_json,
}
