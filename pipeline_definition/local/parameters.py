"""Pipeline parameters of a definition: declarations, `--param Name=Value` overrides, values.

Overrides are checked the way StartPipelineExecution checks them: the name must be declared,
the value must parse as the declared type and be one of the EnumValues when those are given.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
# StartPipelineExecution accepts parameter values of at most this many characters.
MAX_VALUE_LENGTH = 1024
_INTEGER = re.compile(r"^[+-]?\d+$")


class ParameterError(ValueError):
    """A parameter declaration or override is invalid; the message names the parameter."""


@dataclass(frozen=True)
class ParameterSpec:
    """One declared parameter."""

    name: str
    type: str
    default: Any = None
    has_default: bool = False
    enum_values: tuple[str, ...] | None = None


def _typed_default(name: str, kind: str, value: Any) -> Any:
    ok = {
        "String": isinstance(value, str),
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "Boolean": isinstance(value, bool),
    }[kind]
    if not ok:
        raise ParameterError(f"parameter {name}: default {value!r} is not a {kind}")
    return float(value) if kind == "Float" else value


def parameter_specs(definition: Mapping[str, Any]) -> tuple[ParameterSpec, ...]:
    """Read the `Parameters` declarations of a definition."""
    declared = definition.get("Parameters") or []
    if not isinstance(declared, list):
        raise ParameterError("the definition's Parameters must be a list")
    specs: list[ParameterSpec] = []
    seen: set[str] = set()
    for item in declared:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise ParameterError(f"a parameter declaration needs a Name: {item!r}")
        name = item["Name"]
        kind = item.get("Type", "String")
        if kind not in PARAMETER_TYPES:
            raise ParameterError(
                f"parameter {name}: type {kind!r} is not one of {', '.join(PARAMETER_TYPES)}"
            )
        if name in seen:
            raise ParameterError(f"parameter {name} is declared twice")
        seen.add(name)
        enum = item.get("EnumValues")
        has_default = "DefaultValue" in item and item["DefaultValue"] is not None
        specs.append(
            ParameterSpec(
                name=name,
                type=kind,
                default=_typed_default(name, kind, item["DefaultValue"]) if has_default else None,
                has_default=has_default,
                enum_values=tuple(str(v) for v in enum) if isinstance(enum, list) else None,
            )
        )
    return tuple(specs)


def parse_assignment(text: str) -> tuple[str, str]:
    """Split `Name=Value` (the value may itself contain `=`)."""
    name, separator, value = text.partition("=")
    name = name.strip()
    if not separator or not name:
        raise ParameterError(f"--param expects Name=Value, got {text!r}")
    return name, value


def convert(spec: ParameterSpec, raw: str) -> Any:
    """Parse a command-line string as the parameter's declared type."""
    if len(raw) > MAX_VALUE_LENGTH:
        raise ParameterError(
            f"parameter {spec.name}: value has {len(raw)} characters; "
            f"SageMaker accepts at most {MAX_VALUE_LENGTH}"
        )
    value: Any
    text = raw.strip()
    if spec.type == "Integer":
        if not _INTEGER.match(text):
            raise ParameterError(f"parameter {spec.name} is an Integer; {raw!r} is not an integer")
        value = int(text)
    elif spec.type == "Float":
        try:
            value = float(text)
        except ValueError:
            raise ParameterError(
                f"parameter {spec.name} is a Float; {raw!r} is not a number"
            ) from None
        if not math.isfinite(value):
            raise ParameterError(f"parameter {spec.name} is a Float; {raw!r} is not finite")
    elif spec.type == "Boolean":
        if text.lower() not in ("true", "false"):
            raise ParameterError(
                f"parameter {spec.name} is a Boolean; {raw!r} is neither true nor false"
            )
        value = text.lower() == "true"
    else:
        value = raw
    check_enum(spec, value)
    return value


def check_enum(spec: ParameterSpec, value: Any) -> None:
    """Raise ParameterError when the parameter has EnumValues and `value` is not one of them."""
    if spec.enum_values is not None and str(value) not in spec.enum_values:
        raise ParameterError(
            f"parameter {spec.name}: {value!r} is not one of {', '.join(spec.enum_values)}"
        )


def parse_overrides(assignments: Iterable[str]) -> dict[str, str]:
    """Turn repeated `--param Name=Value` into a mapping; a name given twice is an error."""
    overrides: dict[str, str] = {}
    for text in assignments:
        name, value = parse_assignment(text)
        if name in overrides:
            raise ParameterError(f"parameter {name} is given more than once")
        overrides[name] = value
    return overrides


def resolve_parameters(
    specs: Iterable[ParameterSpec], overrides: Mapping[str, str]
) -> dict[str, Any]:
    """Every parameter's value for this run: the override, else the default."""
    by_name = {spec.name: spec for spec in specs}
    for name in overrides:
        if name not in by_name:
            close = difflib.get_close_matches(name, list(by_name), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            declared = ", ".join(by_name) or "none"
            raise ParameterError(
                f"unknown parameter {name!r}{hint} (the definition declares: {declared})"
            )
    values: dict[str, Any] = {}
    for name, spec in by_name.items():
        if name in overrides:
            values[name] = convert(spec, overrides[name])
        elif spec.has_default:
            check_enum(spec, spec.default)
            values[name] = spec.default
        else:
            raise ParameterError(f"parameter {name} has no default; pass --param {name}=VALUE")
    return values
