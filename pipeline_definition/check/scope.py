"""What expressions in a definition can name and what their values are: the checker's vocabulary.

A value's kind follows the botocore shape types; a `Scope` holds everything an expression may
refer to (parameters and what each step offers), a `Typed` what an expression evaluates to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from botocore.model import Shape

ValueKind = Literal[
    "string",
    "integer",
    "float",
    "boolean",
    "timestamp",
    "blob",
    "list",
    "map",
    "structure",
    "scalar",  # some scalar, type known only at execution time (Std:JsonGet)
    "any",  # not known at all (properties of steps without a response model)
]

SCALARS: Final = frozenset({"string", "integer", "float", "boolean", "timestamp", "blob"})

# botocore shape type -> the kind of value it holds.
SHAPE_KINDS: Final[dict[str, ValueKind]] = {
    "string": "string",
    "integer": "integer",
    "long": "integer",
    "float": "float",
    "double": "float",
    "boolean": "boolean",
    "timestamp": "timestamp",
    "blob": "blob",
    "list": "list",
    "map": "map",
    "structure": "structure",
}

PARAMETER_KINDS: Final[dict[str, ValueKind]] = {
    "String": "string",
    "Integer": "integer",
    "Float": "float",
    "Boolean": "boolean",
}

# As in the SDK's `sagemaker.core.workflow.execution_variables.ExecutionVariables`.
EXECUTION_VARIABLES: Final = frozenset(
    {
        "StartDateTime",
        "CurrentDateTime",
        "PipelineName",
        "PipelineArn",
        "PipelineExecutionId",
        "PipelineExecutionArn",
        "TrainingJobName",
        "ProcessingJobName",
    }
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-:]*")


@dataclass(frozen=True)
class ParameterInfo:
    """A declared pipeline parameter."""

    name: str
    type: str
    default: Any = None
    has_default: bool = False
    enum_values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class StepInfo:
    """What other steps may refer to in a step: its type, property files and outputs."""

    name: str
    type: str
    property_files: frozenset[str] = frozenset()
    # Processing outputs by name (`Outputs['train']`).
    output_names: frozenset[str] = frozenset()
    # Lambda and Callback steps: OutputParameters name -> the kind of its OutputType.
    output_parameters: Mapping[str, ValueKind] = field(default_factory=dict)
    # Lineage steps: ActionArns, ArtifactArns, ContextArns -> the names the step creates.
    created: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # A step of a ForEach body: the ForEach step.
    for_each: str | None = None
    # A ForEach step: its body's steps, its selector's body step and the kind of its items.
    body: frozenset[str] = frozenset()
    selected: str | None = None
    item_kind: ValueKind = "any"


@dataclass(frozen=True)
class Scope:
    """Everything an expression may name."""

    parameters: Mapping[str, ParameterInfo] = field(default_factory=dict)
    steps: Mapping[str, StepInfo] = field(default_factory=dict)
    # Names used by more than one step: references to them are ambiguous.
    duplicated: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Typed:
    """The type of an expression, how to describe it, and the parameter it reads, if any."""

    kind: ValueKind
    description: str
    parameter: ParameterInfo | None = None


def child_path(path: str, key: str | int) -> str:
    """The JSON path of `key` (a member name or a list index) below `path`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}['{key}']"


def shape_kind(shape: Shape) -> ValueKind:
    """The kind of value a botocore shape holds."""
    return SHAPE_KINDS.get(shape.type_name, "any")


def literal_matches(value: Any, kind: ValueKind) -> bool:
    """Whether a literal JSON value is of the given kind."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    matches: dict[ValueKind, bool] = {
        "string": isinstance(value, str),
        "blob": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "float": number,
        "boolean": isinstance(value, bool),
        "timestamp": isinstance(value, str) or number,
        "list": isinstance(value, list),
        "map": isinstance(value, dict),
        "structure": isinstance(value, dict),
    }
    return matches.get(kind, True)


def compatible(expected: ValueKind, actual: ValueKind) -> bool:
    """Whether a value of kind `actual` may stand where the API expects `expected`."""
    if "any" in (expected, actual) or expected == actual:
        return True
    if actual == "scalar":
        return expected in SCALARS
    if expected == "float" and actual == "integer":
        return True
    # Timestamps and blobs travel as strings in the JSON request.
    textual = {"string", "timestamp", "blob"}
    return expected in textual and actual in textual


def describe_value(value: Any) -> str:
    """A short description of a literal JSON value for messages."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {shorten(value)!r}"
    if isinstance(value, int | float):
        return f"{'integer' if isinstance(value, int) else 'number'} {value}"
    names = {type(None): "null", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def shorten(text: str, limit: int = 60) -> str:
    """`text`, cut to `limit` characters for messages."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
