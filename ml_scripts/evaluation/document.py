"""The run report as a small document model, rendered twice: one HTML page and its Markdown.

The content is built once (report.py); render_html.py and render_markdown.py only lay it out,
so the two files always say the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """A link; only http(s) URLs are rendered as links."""

    text: str
    url: str


@dataclass(frozen=True)
class Code:
    """A path, a name or a value shown as code."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Emphasised text."""

    text: str


Inline = str | Link | Code | Strong
Text = tuple[Inline, ...]


def text(*parts: Inline) -> Text:
    """A run of inline parts."""
    return tuple(parts)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph."""

    parts: Text


@dataclass(frozen=True)
class Callout:
    """A highlighted statement: `tone` is "pass", "fail" or "note"."""

    tone: str
    title: str
    parts: Text


@dataclass(frozen=True)
class Table:
    """A table; `numeric[i]` right-aligns column i."""

    header: tuple[str, ...]
    rows: tuple[tuple[Text, ...], ...]
    numeric: tuple[bool, ...] = ()

    def aligned_right(self, column: int) -> bool:
        """Whether column `column` holds numbers."""
        return column < len(self.numeric) and self.numeric[column]


def table(
    header: Sequence[str], rows: Sequence[Sequence[Inline | Text]], numeric: Sequence[bool] = ()
) -> Table:
    """A Table from plain cells (a string or one inline part) or runs of parts."""
    cells = tuple(
        tuple(cell if isinstance(cell, tuple) else (cell,) for cell in row) for row in rows
    )
    return Table(tuple(header), cells, tuple(numeric))


@dataclass(frozen=True)
class Figure:
    """A PNG figure: the HTML embeds its bytes, the Markdown links to `file`."""

    file: str
    png: bytes
    caption: str


@dataclass(frozen=True)
class Figures:
    """Figures laid out side by side where the page is wide enough."""

    items: tuple[Figure, ...]


Block = Paragraph | Callout | Table | Figures


@dataclass(frozen=True)
class Section:
    """A titled section."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """The whole report."""

    title: str
    subtitle: Text
    sections: tuple[Section, ...]
