"""Print a `DefinitionDiff` as a Markdown pull-request comment.

Tables for changes, collapsed blocks for long values, step definitions and code diffs; when
the comment would be too long for GitHub, the collapsed blocks go first, then the tail.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from pipeline_definition.diff.model import (
    MISSING,
    BundleDiff,
    Change,
    DefinitionDiff,
    ParameterDiff,
    StepDiff,
)
from pipeline_definition.diff.text import SIGNS, bundle_heading, file_counts, parameter_text

# A workflow finds its earlier comment by this marker and updates it instead of adding one.
MARKER = "<!-- pipeline-diff -->"
# Values longer than this go into a collapsible block instead of a table cell.
LONG_VALUE = 120
# GitHub rejects comments over 65,536 characters; leave room for the workflow's own text.
MAX_MARKDOWN = 60_000


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
    """The change's subject, with its JSON path (or `${name}` placeholder) set as code."""
    token = "${" + change.path + "}"
    if change.category == "deploy-value" and change.subject.startswith(token):
        return _code(token) + _escape(change.subject[len(token) :])
    if change.path and change.subject.startswith(change.path):
        return _code(change.path) + _escape(change.subject[len(change.path) :])
    return _escape(change.subject)


def _pretty(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _cut(text: str) -> str:
    return text if len(text) <= LONG_VALUE else text[: LONG_VALUE - 1] + "…"


def _fenced(body: str, language: str = "json") -> list[str]:
    # A fence longer than any backtick run inside keeps the block intact.
    fence = "```"
    while fence in body:
        fence += "`"
    return [f"{fence}{language}", body, fence]


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
                described = _code(parameter_text(parameter))
                old, new = ("", described) if parameter.status == "added" else (described, "")
                self.lines.append(f"| {name} | {parameter.status} | {old} | {new} |")

    def pipeline(self, title: str, changes: tuple[Change, ...]) -> None:
        if changes:
            self.lines += ["", f"### {title} ({len(changes)})"]
            self.change_table(changes, title.lower())

    def bundles(self, bundles: tuple[BundleDiff, ...]) -> None:
        if not bundles:
            return
        self.lines += ["", f"### Code bundles changed ({len(bundles)})"]
        for bundle in bundles:
            heading = _code(bundle_heading(bundle).replace("  ", " "))
            if bundle.missing:
                self.lines += ["", f"{heading}: files not compared ({_escape(bundle.missing)})"]
                continue
            self.lines += ["", f"{heading}: {_escape(file_counts(bundle))}", ""]
            for change in bundle.files:
                note = f" ({_escape(change.note)})" if change.note else ""
                self.lines.append(f"- `{SIGNS[change.status]}` {_code(change.path)}{note}")
            if self.with_details:
                for change in bundle.files:
                    if change.diff:
                        self.lines += _diff_details(bundle.name, change.path, change.diff)

    def warnings(self, warnings: tuple[str, ...]) -> None:
        for warning in warnings:
            self.lines += ["", "> [!CAUTION]", f"> **{_escape(warning)}**"]

    def notes(self, notes: tuple[str, ...]) -> None:
        if notes:
            self.lines += ["", "### Not compared", ""]
            self.lines += [f"- {_escape(note)}" for note in notes]


def _diff_details(bundle: str, path: str, lines: tuple[str, ...]) -> list[str]:
    summary = f"{_escape(bundle)}: <code>{_escape(path)}</code>"
    block = _fenced("\n".join(lines), "diff")
    return ["", f"<details><summary>{summary}</summary>", "", *block, "", "</details>"]


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
    out.warnings(diff.warnings)
    if not diff.has_changes:
        out.lines += ["", "No step, parameter or pipeline-level change."]
    out.steps("Steps added", diff.steps_with("added"))
    out.steps("Steps removed", diff.steps_with("removed"))
    out.changed_steps(diff.steps_with("changed"))
    out.parameters(diff.parameters)
    out.pipeline("Pipeline", diff.pipeline)
    out.pipeline("Pipeline resource", diff.resource)
    out.pipeline("Deploy-time values", diff.values)
    out.bundles(diff.bundles)
    out.notes(diff.notes)
    if not with_details and diff.has_changes:
        out.lines += [
            "",
            "_Long values, step definitions and code diffs were left out to fit a comment._",
        ]
    return "\n".join(out.lines) + "\n"
