"""The run report as Markdown (GitHub's dialect): the same content as the HTML page, with the
figures as links to `plots/*.png` beside it."""

from __future__ import annotations

import re

from ml_scripts.evaluation.document import (
    Block,
    Callout,
    Code,
    Document,
    Figures,
    Inline,
    Link,
    Paragraph,
    Strong,
    Table,
    Text,
)

_ESCAPED = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|"})
_SPACES = re.compile(r"\s+")
MARKS = {"pass": "PASS", "fail": "FAIL", "note": "NOTE"}


def plain(value: str) -> str:
    """Text with Markdown's special characters escaped, on one line (spaces kept, collapsed)."""
    return _SPACES.sub(" ", value).translate(_ESCAPED)


def inline(part: Inline) -> str:
    """One inline part as Markdown."""
    if isinstance(part, Link):
        if part.url.startswith(("https://", "http://")):
            return f"[{plain(part.text)}](<{part.url}>)"
        return plain(part.text)
    if isinstance(part, Code):
        fence = "``" if "`" in part.text else "`"
        return f"{fence}{_SPACES.sub(' ', part.text).strip()}{fence}".replace("|", "\\|")
    if isinstance(part, Strong):
        # Emphasis must hug its text: "**Champion:** ", never "**Champion: **".
        escaped = plain(part.text)
        core = escaped.strip()
        lead = escaped[: len(escaped) - len(escaped.lstrip())]
        return f"{lead}**{core}**{escaped[len(lead) + len(core) :]}"
    return plain(part)


def inlines(parts: Text) -> str:
    """A run of inline parts as Markdown."""
    return "".join(inline(part) for part in parts)


def _table(block: Table) -> list[str]:
    header = "| " + " | ".join(plain(name) for name in block.header) + " |"
    rule = (
        "|"
        + "|".join(
            " ---: " if block.aligned_right(i) else " --- " for i in range(len(block.header))
        )
        + "|"
    )
    rows = ["| " + " | ".join(inlines(cell) for cell in row) + " |" for row in block.rows]
    return [header, rule, *rows, ""]


def block_markdown(block: Block) -> list[str]:
    """One block as Markdown lines."""
    if isinstance(block, Paragraph):
        return [inlines(block.parts), ""]
    if isinstance(block, Callout):
        mark = MARKS.get(block.tone, block.tone.upper())
        return [f"> **{mark}: {plain(block.title)}** {inlines(block.parts)}", ""]
    if isinstance(block, Table):
        return _table(block)
    assert isinstance(block, Figures)
    lines: list[str] = []
    for figure in block.items:
        lines += [
            f"![{plain(figure.caption)}]({figure.file})",
            "",
            f"*{plain(figure.caption)}*",
            "",
        ]
    return lines


def render_markdown(document: Document) -> str:
    """The whole report."""
    lines = [f"# {plain(document.title).strip()}", "", inlines(document.subtitle).strip(), ""]
    for section in document.sections:
        lines += [f"## {plain(section.title).strip()}", ""]
        for block in section.blocks:
            lines += block_markdown(block)
    return "\n".join(lines).rstrip("\n") + "\n"
