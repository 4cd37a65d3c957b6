"""Look up `Steps.X.<path>` and JsonGet paths in a step's describe document or a JSON file.

Paths are what the SDK writes: dotted member names, `[n]` list indexes and `['key']`
selectors. On a map, `['key']` is the map key; on a list of shapes (such as
`ProcessingOutputConfig.Outputs`), the SDK's `['train']` selects the element whose `*Name`
member (`OutputName`, `ChannelName`, `MetricName`, ...) equals the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\.?(?P<name>[A-Za-z0-9_:@$-]+)        # member name
      | \[(?P<index>-?\d+)\]                  # list index
      | \['(?P<single>[^']*)'\]               # ['key']
      | \["(?P<double>[^"]*)"\]               # ["key"]
    """,
    re.VERBOSE,
)


class PropertyLookupError(LookupError):
    """A path does not exist in the document it is looked up in."""


@dataclass(frozen=True)
class PathToken:
    """One step of a path: a member name, a list index or a `['key']` selector."""

    kind: str  # "member", "index" or "key"
    value: str | int

    def __str__(self) -> str:
        if self.kind == "member":
            return f".{self.value}"
        if self.kind == "index":
            return f"[{self.value}]"
        return f"['{self.value}']"


def parse_path(path: str) -> list[PathToken]:
    """Split a property path into tokens; raise PropertyLookupError when it is malformed."""
    tokens: list[PathToken] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if not match or match.end() == position:
            raise PropertyLookupError(f"cannot parse path {path!r} at character {position + 1}")
        if match["name"] is not None:
            tokens.append(PathToken("member", match["name"]))
        elif match["index"] is not None:
            tokens.append(PathToken("index", int(match["index"])))
        else:
            key = match["single"] if match["single"] is not None else match["double"]
            tokens.append(PathToken("key", key))
        position = match.end()
    if not tokens:
        raise PropertyLookupError("empty path")
    return tokens


def _select_by_name(items: list[Any], key: str, where: str) -> Any:
    names: list[str] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        for member, value in item.items():
            if member.endswith("Name") and isinstance(value, str):
                if value == key:
                    return item
                names.append(value)
    available = ", ".join(sorted(set(names))) or "none"
    raise PropertyLookupError(f"{where}: no element named {key!r} (names: {available})")


def _entry(mapping: Mapping[Any, Any], key: Any, where: str, what: str) -> Any:
    if key not in mapping:
        available = ", ".join(sorted(str(k) for k in mapping)) or "none"
        raise PropertyLookupError(f"{where} has no {what} {key!r} ({what}s: {available})")
    return mapping[key]


def _follow(value: Any, token: PathToken, where: str, *, select_by_name: bool) -> Any:
    """The value one token further down the path."""
    if token.kind == "member":
        if not isinstance(value, Mapping):
            raise PropertyLookupError(f"{where} is not an object, cannot read {token}")
        return _entry(value, token.value, where, "member")
    if token.kind == "index":
        if not isinstance(value, list):
            raise PropertyLookupError(f"{where} is not a list, cannot read {token}")
        index = int(token.value)
        if not -len(value) <= index < len(value):
            raise PropertyLookupError(f"{where} has {len(value)} elements, no index {index}")
        return value[index]
    if isinstance(value, Mapping):
        return _entry(value, token.value, where, "key")
    if isinstance(value, list) and select_by_name:
        return _select_by_name(value, str(token.value), where)
    raise PropertyLookupError(f"{where} is not an object, cannot read {token}")


def lookup(document: Any, path: str, *, select_by_name: bool = True) -> Any:
    """Return the value at `path` in `document`; raise PropertyLookupError naming what is missing.

    `select_by_name` enables the SDK's `['name']` selector on lists; JSON property files,
    which have no such convention, turn it off.
    """
    value = document
    walked = ""
    for token in parse_path(path):
        value = _follow(value, token, walked or "the document", select_by_name=select_by_name)
        walked = f"{walked}{token}" if walked else str(token).lstrip(".")
    return value


def json_path(document: Any, path: str) -> Any:
    """Evaluate a JsonGet path (`a.b[0].c`, an optional leading `$.`) against parsed JSON."""
    stripped = path[2:] if path.startswith("$.") else path
    return lookup(document, stripped, select_by_name=False)
