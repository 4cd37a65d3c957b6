"""Pipeline parameter values: checked against the declared type, rendered as the API's strings.

`StartPipelineExecution` takes every value as a string of at most 1,024 characters; SageMaker
rejects a value that does not parse as the parameter's type only when the execution starts, so
the trigger and the CLI check names and types first and give a message that lists what is valid.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
MAX_VALUE_LENGTH = 1024
INTEGER_PATTERN = re.compile(r"^[+-]?\d+$")
BOOLEAN_VALUES = {"true": "true", "false": "false"}


class ParameterError(ValueError):
    """A parameter name or value that the pipeline would not accept."""


def describe_types(types: Mapping[str, str]) -> str:
    """`Name (Type), ...` for error messages, sorted by name."""
    return ", ".join(f"{name} ({types[name]})" for name in sorted(types))


def parse_parameter_types(raw: str) -> dict[str, str]:
    """Parse the PIPELINE_PARAMETERS JSON object (name -> type); raise ValueError if invalid."""
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"PIPELINE_PARAMETERS is not JSON: {error}") from error
    if not isinstance(parsed, dict) or not parsed:
        raise ValueError("PIPELINE_PARAMETERS must be a non-empty object of name -> type")
    for name, type_ in parsed.items():
        if type_ not in PARAMETER_TYPES:
            raise ValueError(
                f"PIPELINE_PARAMETERS: {name!r} has type {type_!r}; "
                f"expected one of {', '.join(PARAMETER_TYPES)}"
            )
    return dict(parsed)


def _integer(name: str, value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and INTEGER_PATTERN.match(value.strip()):
        return str(int(value.strip()))
    raise ParameterError(f"{name} is an Integer parameter; {value!r} is not an integer")


def _float(name: str, value: object) -> str:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise ParameterError(f"{name} is a Float parameter; {value!r} is not a finite number")
    return repr(number)


def _boolean(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in BOOLEAN_VALUES:
        return BOOLEAN_VALUES[value.strip().lower()]
    raise ParameterError(f"{name} is a Boolean parameter; {value!r} is not true or false")


def coerce_value(name: str, type_: str, value: object) -> str:
    """Render `value` as the API string for a parameter of `type_`; raise ParameterError."""
    if type_ == "Integer":
        rendered = _integer(name, value)
    elif type_ == "Float":
        rendered = _float(name, value)
    elif type_ == "Boolean":
        rendered = _boolean(name, value)
    elif type_ == "String":
        if not isinstance(value, str):
            raise ParameterError(f"{name} is a String parameter; {value!r} is not a string")
        rendered = value
    else:
        raise ParameterError(f"{name} has unknown type {type_!r}")
    if len(rendered) > MAX_VALUE_LENGTH:
        raise ParameterError(
            f"{name}: {len(rendered)} characters; SageMaker allows at most {MAX_VALUE_LENGTH}"
        )
    return rendered


def validate_parameters(values: Mapping[str, object], types: Mapping[str, str]) -> dict[str, str]:
    """Check every name and value; raise one ParameterError naming all problems."""
    problems: list[str] = []
    rendered: dict[str, str] = {}
    unknown = sorted(set(values) - set(types))
    if unknown:
        problems.append(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"the pipeline takes {describe_types(types)}"
        )
    for name in sorted(set(values) & set(types)):
        try:
            rendered[name] = coerce_value(name, types[name], values[name])
        except ParameterError as error:
            problems.append(str(error))
    if problems:
        raise ParameterError("; ".join(problems))
    return rendered
