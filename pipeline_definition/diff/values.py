"""Values of a definition as people read them: expressions, conditions and retry policies as text.

Expressions read the way one would write them (`Parameters.X`, `Std:JsonGet(Report, path)`),
conditions as comparisons (`Parameters.A > 1`), everything else as compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline_definition.diff.model import MISSING
from pipeline_definition.model.expressions import COMPARISON_OPERATORS, is_expression


def render_value(value: Any) -> str:
    """A compact, readable form: expressions as `Parameters.X`, the rest as JSON."""
    if value is MISSING:
        return "(absent)"
    if is_expression(value):
        return render_expression(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def render_expression(value: Any) -> str:
    """Render a pipeline expression (Get, Std:Join, Std:JsonGet) the way one would write it."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, body),) = value.items()
        if key == "Get" and isinstance(body, str):
            return body
        if key == "Std:JsonGet" and isinstance(body, dict):
            return f"Std:JsonGet({_json_get_source(body)}, {body.get('Path')})"
        if key == "Std:Join" and isinstance(body, dict):
            values = body.get("Values") or []
            parts = [json.dumps(body.get("On", ""))]
            parts += [render_expression(v) for v in values] if isinstance(values, list) else []
            return f"Std:Join({', '.join(parts)})"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(render_expression(v) for v in value) + "]"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _json_get_source(body: dict[str, Any]) -> str:
    """What a JsonGet reads: `Step.PropertyFile`, or its S3Uri as an expression."""
    if "PropertyFile" not in body:
        return render_expression(body.get("S3Uri"))
    source = body["PropertyFile"]
    reference = source.get("Get") if isinstance(source, dict) else None
    if isinstance(reference, str) and ".PropertyFiles." in reference:
        # "Steps.EvaluateModel.PropertyFiles.EvaluationReport" -> "EvaluateModel.EvaluationReport":
        # the step is named, so a reference moved to another step reads differently.
        step, _, name = reference.removeprefix("Steps.").partition(".PropertyFiles.")
        return f"{step}.{name}"
    return render_expression(source)


def render_condition(condition: Any) -> str:
    """Render one entry of a Condition step's `Conditions` as an expression."""
    if not isinstance(condition, dict):
        return render_value(condition)
    kind = condition.get("Type")
    if kind in COMPARISON_OPERATORS:
        left = render_expression(condition.get("LeftValue"))
        right = render_expression(condition.get("RightValue"))
        return f"{left} {COMPARISON_OPERATORS[kind]} {right}"
    if kind == "In":
        values = condition.get("Values") or []
        listed = ", ".join(render_expression(v) for v in values) if isinstance(values, list) else ""
        return f"{render_expression(condition.get('QueryValue'))} in [{listed}]"
    if kind == "Not":
        return f"not ({render_condition(condition.get('Condition'))})"
    if kind == "Or":
        nested = condition.get("Conditions") or []
        return "(" + " or ".join(render_condition(c) for c in nested) + ")"
    return render_value(condition)


def render_retry_policy(policy: Any) -> str:
    """Render a retry policy such as `3 attempts, every 60s, backoff x2.0`."""
    if not isinstance(policy, dict):
        return render_value(policy)
    parts = []
    if "MaxAttempts" in policy:
        parts.append(f"{policy['MaxAttempts']} attempts")
    if "ExpireAfterMin" in policy:
        parts.append(f"for {policy['ExpireAfterMin']} min")
    if "IntervalSeconds" in policy:
        parts.append(f"every {policy['IntervalSeconds']}s")
    if "BackoffRate" in policy:
        parts.append(f"backoff x{policy['BackoffRate']}")
    return ", ".join(parts) or render_value(policy)


def retry_key(policy: Any) -> str:
    """The exceptions a retry policy catches, which name it among a step's policies."""
    exceptions = policy.get("ExceptionType") if isinstance(policy, dict) else None
    if isinstance(exceptions, list):
        return ", ".join(sorted(str(e) for e in exceptions))
    return render_value(exceptions)


def render_set_change(old: Any, new: Any) -> str:
    """What a list read as a set gained and lost: `+ a, - b`."""
    before = {render_value(v) for v in old} if isinstance(old, list) else set()
    after = {render_value(v) for v in new} if isinstance(new, list) else set()
    parts = [f"+ {v}" for v in sorted(after - before)] + [f"- {v}" for v in sorted(before - after)]
    return ", ".join(parts) if parts else f"{render_value(old)} -> {render_value(new)}"
