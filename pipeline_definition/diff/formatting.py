"""The output formats of `diff`: plain text, a Markdown pull-request comment, JSON."""

from __future__ import annotations

from collections.abc import Callable

from pipeline_definition.diff.json_report import diff_to_json, format_json
from pipeline_definition.diff.markdown import MARKER, format_markdown
from pipeline_definition.diff.model import DefinitionDiff
from pipeline_definition.diff.text import format_text

Formatter = Callable[[DefinitionDiff, str, str], str]

FORMATS: dict[str, Formatter] = {
    "text": format_text,
    "markdown": format_markdown,
    "json": format_json,
}

__all__ = ["FORMATS", "MARKER", "Formatter", "diff_to_json", "format_markdown", "format_text"]
