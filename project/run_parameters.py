"""Run-parameter rules: declared types, allowed values, `Name=Value` parsing, coercion, limits.

SageMaker checks a run's parameter values only when the execution starts, so every caller that
starts or simulates a run checks them first, with these rules and these messages: the trigger
Lambda (this module ships in its asset, so it imports nothing but the standard library),
`execute` (against the deployed pipeline's declarations) and `run-local` (against the rendered
definition's). The rules follow `StartPipelineExecution`: the name must be declared, the value
must parse as the declared type, be one of the EnumValues when those are given, and be at most
1,024 characters as the string the API receives.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
# StartPipelineExecution: each value is a string of at most this many characters.
MAX_VALUE_LENGTH = 1024
# StartPipelineExecution.ClientRequestToken: 32-128 characters make a start idempotent.
CLIENT_TOKEN_MIN_LENGTH = 32
CLIENT_TOKEN_MAX_LENGTH = 128
INPUT_DATA = "InputData"
# The version id (else the ETag) of InputData's object. SageMaker's cache key never looks at the
# data behind a URI, so without it a new upload of the same key reuses the last results.
INPUT_VERSION = "InputVersion"
# The version id S3 reports for an object written before versioning was turned on.
NULL_VERSION_ID = "null"
# A bad value is quoted in the message at most this long: messages are logged and parked.
SHOWN_VALUE_LENGTH = 80
# Longer lists of allowed values (instance types) are not spelled out in messages: the closest
# few are named instead, so a refusal stays one readable line.
LISTED_ENUM_VALUES = 10
CLOSEST_ENUM_VALUES = 3

_INTEGER = re.compile(r"^[+-]?\d+$")
_BOOLEANS = {"true": True, "false": False}
_ARTICLES = {
    "Integer": "an Integer",
    "Float": "a Float",
    "Boolean": "a Boolean",
    "String": "a String",
}

ParameterValue = str | int | float | bool


class ParameterError(ValueError):
    """A parameter declaration, name or value that SageMaker would refuse; says which and why."""


@dataclass(frozen=True)
class ParameterSpec:
    """One declared pipeline parameter."""

    name: str
    type: str
    default: ParameterValue | None = None
    enum_values: tuple[str, ...] = ()

    @property
    def has_default(self) -> bool:
        """True when a run may leave the parameter out."""
        return self.default is not None

    def describe(self) -> str:
        """`Name (Type, default X, one of A|B)`, for messages and listings."""
        details = [self.type]
        if self.default is not None:
            details.append(f"default {api_string(self.default)}")
        if len(self.enum_values) > LISTED_ENUM_VALUES:
            details.append(f"one of {len(self.enum_values)} allowed values")
        elif self.enum_values:
            details.append(f"one of {'|'.join(self.enum_values)}")
        return f"{self.name} ({', '.join(details)})"


def object_version(version_id: str | None, etag: str | None) -> str | None:
    """An object's InputVersion: its version id, else its ETag (unquoted); None if neither."""
    if version_id and version_id != NULL_VERSION_ID:
        return version_id
    if etag and etag.strip('"'):
        return etag.strip('"')
    return None


def shown(value: object) -> str:
    """`repr(value)`, cut to a readable length."""
    text = repr(value)
    if len(text) <= SHOWN_VALUE_LENGTH:
        return text
    return f"{text[: SHOWN_VALUE_LENGTH - 15]}... ({len(text):,} chars)"


def _typed_default(name: str, kind: str, value: object) -> ParameterValue:
    ok = {
        "String": isinstance(value, str),
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "Boolean": isinstance(value, bool),
    }[kind]
    if not ok:
        raise ParameterError(f"parameter {name}: default {shown(value)} is not {_ARTICLES[kind]}")
    assert isinstance(value, str | int | float | bool)
    return float(value) if kind == "Float" else value


def _declaration(item: object, seen: set[str]) -> ParameterSpec:
    if not isinstance(item, Mapping) or not isinstance(item.get("Name"), str):
        raise ParameterError(f"a parameter declaration needs a Name: {shown(item)}")
    name = item["Name"]
    kind = item.get("Type", "String")
    if kind not in PARAMETER_TYPES:
        raise ParameterError(
            f"parameter {name}: type {shown(kind)} is not one of {', '.join(PARAMETER_TYPES)}"
        )
    if name in seen:
        raise ParameterError(f"parameter {name} is declared twice")
    seen.add(name)
    enum = item.get("EnumValues")
    if enum is not None and not isinstance(enum, list):
        raise ParameterError(f"parameter {name}: EnumValues must be a list")
    default = item.get("DefaultValue")
    return ParameterSpec(
        name=name,
        type=kind,
        default=None if default is None else _typed_default(name, kind, default),
        enum_values=tuple(str(value) for value in enum or ()),
    )


def parse_declarations(declared: object) -> dict[str, ParameterSpec]:
    """Read a definition's `Parameters` list into specs by name, in declared order."""
    if declared is None:
        return {}
    if not isinstance(declared, list):
        raise ParameterError("the definition's Parameters must be a list")
    seen: set[str] = set()
    specs = [_declaration(item, seen) for item in declared]
    return {spec.name: spec for spec in specs}


def definition_parameters(definition: Mapping[str, Any]) -> dict[str, ParameterSpec]:
    """The parameters a pipeline definition declares, by name."""
    return parse_declarations(definition.get("Parameters"))


def encode_specs(specs: Iterable[ParameterSpec]) -> str:
    """Names, types and allowed values as compact JSON (the trigger's environment variable).

    Defaults are left out: SageMaker applies them, and the rendered ones hold deploy-time
    placeholders.
    """
    declared: list[dict[str, Any]] = []
    for spec in specs:
        entry: dict[str, Any] = {"Name": spec.name, "Type": spec.type}
        if spec.enum_values:
            entry["EnumValues"] = list(spec.enum_values)
        declared.append(entry)
    return json.dumps(declared, separators=(",", ":"), sort_keys=True)


def decode_specs(raw: str) -> dict[str, ParameterSpec]:
    """The inverse of `encode_specs`; raise ParameterError when `raw` is not such a list."""
    try:
        declared = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ParameterError(f"parameter declarations are not JSON: {error}") from error
    if not isinstance(declared, list) or not declared:
        raise ParameterError("parameter declarations must be a non-empty JSON list")
    return parse_declarations(declared)


def parse_assignment(text: str) -> tuple[str, str]:
    """Split `Name=Value`; the value may itself contain `=`."""
    name, separator, value = text.partition("=")
    name = name.strip()
    if not separator or not name:
        raise ParameterError(f"expected Name=Value, got {shown(text)}")
    return name, value


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """Repeated `Name=Value` items as a mapping; a name given twice is an error."""
    values: dict[str, str] = {}
    for item in items:
        name, value = parse_assignment(item)
        if name in values:
            raise ParameterError(f"parameter {name} is given more than once")
        values[name] = value
    return values


def _integer(spec: ParameterSpec, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    raise ParameterError(f"{spec.name} is an Integer parameter; {shown(value)} is not an integer")


def _float(spec: ParameterSpec, value: object) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise ParameterError(
            f"{spec.name} is a Float parameter; {shown(value)} is not a finite number"
        )
    return number


def _boolean(spec: ParameterSpec, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
        return _BOOLEANS[value.strip().lower()]
    raise ParameterError(f"{spec.name} is a Boolean parameter; {shown(value)} is not true or false")


def _string(spec: ParameterSpec, value: object) -> str:
    if not isinstance(value, str):
        raise ParameterError(f"{spec.name} is a String parameter; {shown(value)} is not a string")
    return value


_COERCIONS: dict[str, Callable[[ParameterSpec, object], ParameterValue]] = {
    "Integer": _integer,
    "Float": _float,
    "Boolean": _boolean,
    "String": _string,
}


def api_string(value: ParameterValue) -> str:
    """The string StartPipelineExecution receives for a typed value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def coerce(spec: ParameterSpec, value: object) -> ParameterValue:
    """`value` as the parameter's type; raise ParameterError naming the parameter and the rule."""
    typed = _COERCIONS[spec.type](spec, value)
    rendered = api_string(typed)
    if len(rendered) > MAX_VALUE_LENGTH:
        raise ParameterError(
            f"{spec.name}: {len(rendered):,} characters; SageMaker allows at most "
            f"{MAX_VALUE_LENGTH:,}"
        )
    if spec.enum_values and rendered not in spec.enum_values:
        raise ParameterError(_not_allowed(spec, rendered, value))
    return typed


def _not_allowed(spec: ParameterSpec, rendered: str, value: object) -> str:
    if len(spec.enum_values) <= LISTED_ENUM_VALUES:
        return f"{spec.name} must be one of {', '.join(spec.enum_values)}; got {shown(value)}"
    close = difflib.get_close_matches(rendered, spec.enum_values, n=CLOSEST_ENUM_VALUES, cutoff=0.0)
    return (
        f"{spec.name} must be one of the {len(spec.enum_values)} values the pipeline allows "
        f"(closest: {', '.join(close)}); got {shown(value)}"
    )


def listing(specs: Mapping[str, ParameterSpec]) -> str:
    """The accepted parameters, one per line, indented."""
    return "\n".join(f"  {specs[name].describe()}" for name in sorted(specs))


def _unknown(names: Iterable[str], specs: Mapping[str, ParameterSpec]) -> str:
    problems = []
    for name in sorted(names):
        close = difflib.get_close_matches(name, list(specs), n=1)
        problems.append(f"{name} (did you mean {close[0]}?)" if close else name)
    plural = "s" if len(problems) > 1 else ""
    return (
        f"unknown parameter{plural} {', '.join(problems)}\n"
        f"the pipeline's parameters are:\n{listing(specs)}"
    )


def _checked(
    values: Mapping[str, object], specs: Mapping[str, ParameterSpec]
) -> dict[str, ParameterValue]:
    problems: list[str] = []
    typed: dict[str, ParameterValue] = {}
    for name in sorted(set(values) & set(specs)):
        try:
            typed[name] = coerce(specs[name], values[name])
        except ParameterError as error:
            problems.append(str(error))
    unknown = set(values) - set(specs)
    if unknown:
        problems.append(_unknown(unknown, specs))
    if problems:
        raise ParameterError("; ".join(problems))
    return typed


def check_values(
    values: Mapping[str, object], specs: Mapping[str, ParameterSpec]
) -> dict[str, str]:
    """The given values as the API's strings; raise one ParameterError naming every problem."""
    return {name: api_string(value) for name, value in _checked(values, specs).items()}


def resolve(
    specs: Mapping[str, ParameterSpec], values: Mapping[str, object]
) -> dict[str, ParameterValue]:
    """Every parameter's typed value for a run: the given value, else the declared default."""
    typed = _checked(values, specs)
    resolved: dict[str, ParameterValue] = {}
    for name, spec in specs.items():
        if name in typed:
            resolved[name] = typed[name]
        elif spec.default is not None:
            resolved[name] = coerce(spec, spec.default)
        else:
            raise ParameterError(f"parameter {name} has no default; give {name}=VALUE")
    return resolved
