"""CloudFormation intrinsics in template values, told for people: `GetAtt Role.Arn`.

A template value such as `{"Ref": "DataBucket"}` is known only once CloudFormation deploys it:
it names a resource, not a bucket. The diff shows it in the short form and treats it like a
`${...}` placeholder when the other side holds a deployed (resolved) value.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline_definition.diff.model import MISSING


def is_intrinsic(value: Any) -> bool:
    """Whether `value` is one CloudFormation function call (`Ref` or `Fn::...`)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value
    return key in {"Ref", "Condition"} or str(key).startswith("Fn::")


def has_intrinsic(value: Any) -> bool:
    """Whether `value` holds an intrinsic anywhere, so it is resolved only at deploy time."""
    if is_intrinsic(value):
        return True
    if isinstance(value, dict):
        return any(has_intrinsic(v) for v in value.values())
    if isinstance(value, list):
        return any(has_intrinsic(v) for v in value)
    return False


def render_template_value(value: Any) -> str:
    """A template value in short form: `Ref X`, `GetAtt X.Arn`, `Select(1, Split(...))`."""
    if value is MISSING:
        return "(not set)"
    if is_intrinsic(value):
        return _render_call(value)
    if isinstance(value, list):
        return "[" + ", ".join(render_template_value(v) for v in value) + "]"
    if isinstance(value, dict) and has_intrinsic(value):
        items = (f"{json.dumps(k)}: {render_template_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _render_call(value: dict[str, Any]) -> str:
    ((key, argument),) = value.items()
    if key == "Ref":
        return f"Ref {argument}"
    if key == "Fn::GetAtt":
        parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
        return "GetAtt " + ".".join(str(p) for p in parts)
    name = str(key).removeprefix("Fn::")
    arguments = argument if isinstance(argument, list) else [argument]
    return f"{name}({', '.join(render_template_value(a) for a in arguments)})"


def simplify(value: Any) -> Any:
    """Evaluate `Fn::Select`, `Fn::Split` and `Fn::Join` over literals, as CloudFormation will.

    `Select(1, Split(":role/", "arn:aws:iam::1:role/team/Role"))` is "team/Role" whatever the
    deploy; anything that depends on a `Ref` or `GetAtt` stays as it is.
    """
    if isinstance(value, list):
        return [simplify(v) for v in value]
    if not isinstance(value, dict):
        return value
    simplified = {k: simplify(v) for k, v in value.items()}
    if not is_intrinsic(simplified):
        return simplified
    ((key, argument),) = simplified.items()
    if has_intrinsic(argument) or not isinstance(argument, list):
        return simplified
    evaluated = _evaluate(str(key), argument)
    return simplified if evaluated is None else evaluated


def _evaluate(function: str, argument: list[Any]) -> Any:
    """The value of one function over literal arguments, or None when it cannot be told."""
    if len(argument) != 2:
        return None
    first, second = argument
    if function == "Fn::Split" and isinstance(first, str) and isinstance(second, str) and first:
        return second.split(first)
    joinable = isinstance(second, list) and all(isinstance(part, str) for part in second)
    if function == "Fn::Join" and isinstance(first, str) and joinable:
        return first.join(second)
    if function == "Fn::Select" and isinstance(second, list):
        index = int(first) if isinstance(first, int | str) and str(first).isdigit() else -1
        return second[index] if 0 <= index < len(second) else None
    return None
