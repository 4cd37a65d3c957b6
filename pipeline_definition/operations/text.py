"""Text that came from AWS (or an endpoint posing as it), made safe to print on a terminal.

Failure reasons, parameter values (InputData is an uploaded object's key), step and display
names and error messages are data: an ESC sequence in one of them must not retitle the window,
clear the screen or plant a link, and rich removes only BEL. So every control character (C0,
DEL, C1), and the bidirectional overrides that reorder what a line appears to say, is printed
as its escape (`\\x1b`, `\\u202e`). A line break becomes `\\x0a`, so a value stays on its
row.
"""

from __future__ import annotations

import unicodedata

# Unicode's bidirectional embeddings, overrides and isolates (Trojan Source).
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def safe(text: object) -> str:
    """`str(text)` with control characters and bidi overrides escaped."""
    value = str(text)
    if value.isprintable() and not BIDI_CONTROLS.intersection(value):
        return value
    return "".join(_escape(char) if _unsafe(char) else char for char in value)


def safe_lines(text: object) -> str:
    """Like `safe`, but our own line breaks stay (a message that lists choices, one a line)."""
    return "\n".join(safe(line) for line in str(text).split("\n"))
