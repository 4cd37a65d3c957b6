"""The README's shell commands and sample outputs, read so that a test can hold them to the truth.

Commands come from `bash`/`sh`/`console` code blocks (every logical line; in a `console` block
with prompts, the `$ ` lines) and from `$ ` lines of plain blocks (samples that show the command
they ran). A backslash continues a line; a ` # ...` comment ends it.

A sample is compared line by line with real output by `sample_pattern`: `...` alone on a line
stands for any number of lines, `...` inside a line for any text, `<execution>` for a local
execution id, numbers for numbers of the same shape (a decimal with at most six decimals, so a
17-digit float never passes for a readable one), hex hashes for hashes, and runs of spaces for
runs of spaces (column widths follow the longest name).
"""

from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass

FENCE = re.compile(r"^(?P<indent> *)```(?P<language>[\w-]*)\s*$")
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "console"})
PROMPT = "$ "
COMMENT = re.compile(r"\s+#\s.*$")
EXECUTION_ID = r"local-\d{8}T\d{6}-[0-9a-f]{6}"
# A number on its own (not inside a word, a version or an id), perhaps followed by a unit `s`.
NUMBER = re.compile(r"(?<![\w.\-/])\d+(?:\.\d+)*(?=s\b|[^\w.]|\.$|$)")
HEX = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,40}\b")
MAX_DECIMALS = 6


@dataclass(frozen=True)
class Block:
    """A fenced code block: where it opens, its language and its text (dedented)."""

    line: int
    language: str
    text: str


@dataclass(frozen=True)
class Command:
    """One command of a code block, with the `export` lines before it in the same block."""

    line: int
    text: str
    exports: tuple[str, ...] = ()

    @property
    def words(self) -> list[str]:
        """The command split as the shell would (quotes honoured)."""
        return shlex.split(self.text)


def blocks(readme: str) -> list[Block]:
    """Every fenced code block of the README."""
    found: list[Block] = []
    lines = readme.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = textwrap.dedent("\n".join(lines[index + 1 : end]))
        found.append(Block(index + 1, opening["language"], body))
        index = end + 1
    return found


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) with backslash continuations joined and trailing comments dropped."""
    joined: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for offset, raw in enumerate(text.splitlines()):
        if not pending:
            start = offset
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1].strip())
            continue
        pending.append(raw.strip())
        line = COMMENT.sub("", " ".join(part for part in pending if part)).strip()
        pending = []
        if line and not line.startswith("#"):
            joined.append((start, line))
    return joined


def _prompted(text: str) -> list[tuple[int, str]]:
    """The `$ ` lines of a block, with their continuation lines."""
    found: list[tuple[int, str]] = []
    lines = text.splitlines()
    for offset, line in enumerate(lines):
        if not line.startswith(PROMPT):
            continue
        parts = [line[len(PROMPT) :]]
        following = offset
        while parts[-1].rstrip().endswith("\\") and following + 1 < len(lines):
            following += 1
            parts.append(lines[following])
        found += [(offset + start, text) for start, text in logical_lines("\n".join(parts))]
    return found


def commands(readme: str) -> list[Command]:
    """Every shell command the README shows, in order."""
    found: list[Command] = []
    for block in blocks(readme):
        prompted = any(line.startswith(PROMPT) for line in block.text.splitlines())
        if prompted:
            lines = _prompted(block.text)
        elif block.language in SHELL_LANGUAGES:
            lines = logical_lines(block.text)
        else:
            continue
        exports: list[str] = []
        for offset, text in lines:
            found.append(Command(block.line + 1 + offset, text, tuple(exports)))
            if text.startswith("export "):
                exports.append(text)
    return found


def sample_after(readme: str, command: str) -> Block:
    """The first plain block whose first line is `$ command`, or that follows its mention."""
    for block in blocks(readme):
        if block.language == "" and block.text.startswith(f"{PROMPT}{command}"):
            return block
    raise LookupError(f"no sample of `{command}` in the README")


def _number(text: str) -> str:
    if text.count(".") > 1:
        return r"\d+(?:\.\d+)+"
    if "." in text:
        return rf"\d+\.\d{{1,{MAX_DECIMALS}}}"
    return r"\d+"


def _token(match: re.Match[str], values: dict[str, str]) -> str:
    kind = match.lastgroup
    text = match[0]
    if kind == "value":
        return re.escape(values[text])
    if kind in ("execution", "placeholder"):
        return EXECUTION_ID
    if kind == "spaces":
        return r"\s+"
    if kind == "hex":
        return r"[0-9a-f]+"
    if kind == "number":
        return _number(text)
    return ".*?"  # an ellipsis inside a line


def _line_pattern(line: str, values: dict[str, str]) -> str:
    """A regular expression for one sample line (see the module's docstring)."""
    alternatives = [
        *(["(?P<value>" + "|".join(re.escape(v) for v in values) + ")"] if values else []),
        f"(?P<execution>{EXECUTION_ID})",
        "(?P<placeholder><execution>)",
        r"(?P<ellipsis>\.\.\.)",
        "(?P<spaces> {2,})",
        f"(?P<hex>{HEX.pattern})",
        f"(?P<number>{NUMBER.pattern})",
    ]
    scanner = re.compile("|".join(alternatives))
    pattern, position = [], 0
    for match in scanner.finditer(line):
        pattern.append(re.escape(line[position : match.start()]))
        pattern.append(_token(match, values))
        position = match.end()
    pattern.append(re.escape(line[position:]))
    return "".join(pattern)


def sample_mismatch(sample: str, actual: str, values: dict[str, str] | None = None) -> str | None:
    """None when `actual` has the sample's shape; else the first sample line that fails."""
    wanted = sample.splitlines()
    lines = actual.splitlines()
    return _match(wanted, lines, values or {})


def _match(wanted: list[str], lines: list[str], values: dict[str, str]) -> str | None:
    position = 0
    skipping = False
    for line in wanted:
        if line.strip() == "...":
            skipping = True
            continue
        pattern = re.compile(_line_pattern(line, values) + r"\s*$")
        if skipping:
            found = next((i for i in range(position, len(lines)) if pattern.match(lines[i])), None)
        else:
            found = position if position < len(lines) and pattern.match(lines[position]) else None
        if found is None:
            near = lines[position] if position < len(lines) else "<end of output>"
            return f"sample line {line!r} does not match output line {near!r}"
        position = found + 1
        skipping = False
    return None
