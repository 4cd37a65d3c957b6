"""The run report as one self-contained HTML page.

Styles are inline and every figure is a `data:` URI, so the file opens anywhere, offline, with
nothing fetched: no script, no font, no stylesheet, no image from elsewhere (the empty `data:`
icon stops browsers asking for /favicon.ico). Every text is escaped; only http(s) links are
rendered as links.
"""

from __future__ import annotations

import base64
from html import escape

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

STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1d232a; background: #f5f6f8; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
header { margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d6dae0; }
.subtitle { color: #56606b; margin: 0; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 4px 20px 16px;
  margin-top: 18px; }
p { margin: 8px 0; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f0f2f4;
  padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 10px 0; font-size: 14px; }
th, td { padding: 5px 12px; border-bottom: 1px solid #e6e8eb; text-align: left;
  vertical-align: top; }
th { background: #f7f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.callout { border-radius: 8px; padding: 10px 16px; margin: 12px 0; border-left: 6px solid; }
.callout .title { font-weight: 700; font-size: 17px; display: block; }
.pass { background: #ecf8ef; border-color: #2e9e4f; }
.fail { background: #fdeeee; border-color: #d23b3b; }
.note { background: #eef4fb; border-color: #3b7dd2; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 8px 0; flex: 1 1 520px; max-width: 100%; }
figure img { width: 100%; height: auto; border: 1px solid #e1e4e8; border-radius: 6px; }
figcaption { color: #56606b; font-size: 13px; margin-top: 4px; }
a { color: #1558b0; }
"""


def inline(part: Inline) -> str:
    """One inline part as HTML."""
    if isinstance(part, Link):
        if part.url.startswith(("https://", "http://")):
            return f'<a href="{escape(part.url)}">{escape(part.text)}</a>'
        return escape(part.text)
    if isinstance(part, Code):
        return f"<code>{escape(part.text)}</code>"
    if isinstance(part, Strong):
        return f"<strong>{escape(part.text)}</strong>"
    return escape(part)


def inlines(parts: Text) -> str:
    """A run of inline parts as HTML."""
    return "".join(inline(part) for part in parts)


def _table(block: Table) -> str:
    def cell(tag: str, index: int, content: str) -> str:
        numeric = ' class="num"' if block.aligned_right(index) else ""
        return f"<{tag}{numeric}>{content}</{tag}>"

    head = "".join(cell("th", i, escape(name)) for i, name in enumerate(block.header))
    body = "".join(
        "<tr>" + "".join(cell("td", i, inlines(c)) for i, c in enumerate(row)) + "</tr>"
        for row in block.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figures(block: Figures) -> str:
    items = []
    for figure in block.items:
        data = base64.b64encode(figure.png).decode("ascii")
        items.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{escape(figure.caption)}">'
            f"<figcaption>{escape(figure.caption)}</figcaption></figure>"
        )
    return f'<div class="figures">{"".join(items)}</div>'


def block_html(block: Block) -> str:
    """One block as HTML."""
    if isinstance(block, Paragraph):
        return f"<p>{inlines(block.parts)}</p>"
    if isinstance(block, Callout):
        return (
            f'<div class="callout {escape(block.tone)}"><span class="title">'
            f"{escape(block.title)}</span>{inlines(block.parts)}</div>"
        )
    if isinstance(block, Table):
        return _table(block)
    return _figures(block)


def render_html(document: Document) -> str:
    """The whole page."""
    sections = "".join(
        f"<section><h2>{escape(s.title)}</h2>{''.join(block_html(b) for b in s.blocks)}</section>"
        for s in document.sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(document.title)}</title><style>{STYLE}</style></head>"
        f"<body><main><header><h1>{escape(document.title)}</h1>"
        f'<p class="subtitle">{inlines(document.subtitle)}</p></header>'
        f"{sections}</main></body></html>\n"
    )
