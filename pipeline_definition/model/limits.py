"""How deep and how large a definition may be before a command refuses it with one error.

Every reader of a definition walks it recursively (the checker, the diff, the executor), and
Python's own JSON parser recurses too, so a document nested a few hundred levels deep would
end in a RecursionError. A real definition nests about 15 levels (the shipped one 14): one
that nests more than MAX_NESTING is refused before anything walks it, from the text (without
parsing it) or from the parsed document. The pipeline service takes a body of at most
SERVICE_MAX_CHARACTERS; a text many times that large is not read at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

# Objects and lists inside each other, counting the outermost object as 1.
MAX_NESTING: Final = 100
# CreatePipeline's PipelineDefinition and AWS::SageMaker::Pipeline's PipelineDefinitionBody.
SERVICE_MAX_CHARACTERS: Final = 1_048_576
# Larger texts are refused before they are parsed: eight times what the service accepts.
MAX_CHARACTERS: Final = 8 * SERVICE_MAX_CHARACTERS

# A JSON string (skipped, so that brackets inside strings do not count) or a bracket.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class DefinitionLimitError(ValueError):
    """A definition is nested too deeply or is too large to be read."""


def text_nesting(text: str) -> int:
    """The deepest nesting of objects and lists in a JSON text, found without parsing it."""
    depth = deepest = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def document_nesting(document: Any) -> int:
    """The deepest nesting of objects and lists in a parsed document (no recursion)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children: Iterator[Any] = iter(node.values())
        elif isinstance(node, list):
            children = iter(node)
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep(depth: int, source: str) -> DefinitionLimitError:
    return DefinitionLimitError(
        f"{source} nests objects and lists {depth} levels deep; a pipeline definition may "
        f"nest at most {MAX_NESTING} (a real one nests about 15)"
    )


def check_text(text: str, source: str = "the definition") -> None:
    """Raise DefinitionLimitError when `text` is too large or nested too deeply to read."""
    if len(text) > MAX_CHARACTERS:
        raise DefinitionLimitError(
            f"{source} has {len(text):,} characters; a pipeline definition has at most "
            f"{SERVICE_MAX_CHARACTERS:,} (this tool reads at most {MAX_CHARACTERS:,})"
        )
    depth = text_nesting(text)
    if depth > MAX_NESTING:
        raise _too_deep(depth, source)


def check_document(document: Any, source: str = "the definition") -> None:
    """Raise DefinitionLimitError when a parsed document is nested too deeply to walk."""
    depth = document_nesting(document)
    if depth > MAX_NESTING:
        raise _too_deep(depth, source)


def parse_definition_text(text: str, source: str = "the definition") -> Any:
    """Parse a definition's JSON after checking its size and depth.

    Raises DefinitionLimitError for a text too large or too deep, json.JSONDecodeError for
    one that is not JSON.
    """
    check_text(text, source)
    return json.loads(text)
