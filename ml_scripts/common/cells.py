"""Text cells that must not pass as they are: formula-like values and control characters.

A spreadsheet that opens a CSV treats a cell starting with `=`, `+`, `-` or `@` (or a tab or a
carriage return) as a formula, which can run commands or leak data (CSV injection, OWASP). No
category of the data contract starts that way, so a text cell that does is refused, like a
category holding a control character (NUL, escape, a line separator or a bidirectional
override). What the step itself writes as CSV text from raw input (quarantine.csv's file
name, reason and raw row) is neutralised instead: a leading `'` makes a spreadsheet show it
as text, and dropping that one quote gives the original back.
"""

from __future__ import annotations

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# C0 and C1 controls and DEL, line and paragraph separators, bidirectional embeddings,
# overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def starts_like_formula(text: str) -> bool:
    """True when a spreadsheet would read `text` as a formula."""
    return text.startswith(FORMULA_PREFIXES)


def control_character(text: str) -> str | None:
    """The first control character in `text` as `U+XXXX`, or None."""
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def neutralised(text: str) -> str:
    """`text` as it may be written into a CSV cell: formula-like text gets a leading `'`."""
    return f"'{text}" if starts_like_formula(text) else text
