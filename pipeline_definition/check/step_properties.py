"""What a step property (`{"Get": "Steps.<name><path>"}`) evaluates to, for every step type.

Job-like steps expose their describe API's response (`check.service_model.PROPERTY_SHAPES`);
the others expose what the SDK's step class declares: a Condition its `Outcome`, a Lambda or
Callback step its `OutputParameters['<name>']` (of the declared OutputType), the check steps
their baseline URIs, a Lineage step the ARNs of what it creates, and a ForEach step its
counts, `IterationOutputs[i].<body step>...` and `Selected...`. Fail and Cleanup steps have
none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from pipeline_definition.check.scope import Scope, StepInfo, Typed, ValueKind, shape_kind
from pipeline_definition.check.service_model import resolve_property

# Each problem is (message, issue kind).
Problems = list[tuple[str, str]]

# As the SDK's QualityCheckStep and ClarifyCheckStep declare them: S3 URIs of JSON files.
CHECK_PROPERTIES: Final[dict[str, frozenset[str]]] = {
    "QualityCheck": frozenset(
        {
            "CalculatedBaselineConstraints",
            "CalculatedBaselineStatistics",
            "BaselineUsedForDriftCheckStatistics",
            "BaselineUsedForDriftCheckConstraints",
        }
    ),
    "ClarifyCheck": frozenset(
        {"CalculatedBaselineConstraints", "BaselineUsedForDriftCheckConstraints"}
    ),
}
# As the SDK's ForEachStep declares them.
FOR_EACH_COUNTS: Final = frozenset(
    {
        "InputItemCount",
        "TotalStepCount",
        "SucceededStepCount",
        "FailedStepCount",
        "StoppedStepCount",
    }
)
AUTOML_REPORTS: Final = frozenset(
    {
        ".BestCandidateProperties.ModelInsightsJsonReportPath",
        ".BestCandidateProperties.ExplainabilityJsonReportPath",
    }
)
LINEAGE_ARNS: Final = ("ActionArns", "ArtifactArns", "ContextArns")

_KEYED = r"\[['\"](?P<key>[^'\"]*)['\"]\]"
_OUTPUT_PARAMETER = re.compile(rf"\.OutputParameters{_KEYED}")
_LINEAGE_ARN = re.compile(rf"\.(?P<member>ActionArns|ArtifactArns|ContextArns){_KEYED}")
_ITERATION = re.compile(r"\.IterationOutputs(?P<index>\[\d+\])?\.(?P<body>[^.\[]+)(?P<rest>.*)")
_SELECTED = re.compile(r"\.Selected(?P<rest>.*)")
_PROCESSING_OUTPUT = re.compile(rf"\.ProcessingOutputConfig\.Outputs{_KEYED}")


@dataclass(frozen=True)
class Resolved:
    """The type of a property, and what is wrong with the reference (empty when nothing)."""

    typed: Typed
    problems: Problems = field(default_factory=list)


def property_type(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    """The type of `Steps.<info.name><rest>`; `reference` is the whole text for messages."""
    if rest.startswith(".PropertyFiles"):
        return _problem(
            reference,
            "a property file is not a value; read it with Std:JsonGet",
            "invalid-expression",
        )
    resolver = _RESOLVERS.get(info.type, _from_response)
    return resolver(info, rest, reference, scope)


def _typed(kind: ValueKind, reference: str, detail: str = "") -> Resolved:
    suffix = f" ({detail})" if detail else ""
    return Resolved(Typed(kind, f"property {reference}{suffix}"))


def _problem(reference: str, message: str, kind: str = "dangling-reference") -> Resolved:
    return Resolved(Typed("any", f"property {reference}"), [(message, kind)])


def _condition(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    if rest != ".Outcome":
        return _problem(reference, f"Condition step '{info.name}' has only the property 'Outcome'")
    return _typed("boolean", reference)


def _none(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    return _problem(reference, f"{info.type} step '{info.name}' has no properties")


def _output_parameter(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    match = _OUTPUT_PARAMETER.fullmatch(rest)
    if match is None:
        return _problem(
            reference,
            f"{info.type} step '{info.name}' has only OutputParameters['<name>'] properties",
        )
    kind = info.output_parameters.get(match["key"])
    if kind is None:
        declared = ", ".join(sorted(info.output_parameters)) or "none"
        return _problem(
            reference,
            f"step '{info.name}' declares no output parameter '{match['key']}' "
            f"(declared: {declared})",
        )
    return _typed(kind, reference, f"{kind} output")


def _check_step(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    names = CHECK_PROPERTIES[info.type]
    if rest.lstrip(".") not in names:
        return _problem(
            reference,
            f"{info.type} step '{info.name}' has only the properties {', '.join(sorted(names))}",
        )
    return _typed("string", reference)


def _lineage(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    if rest.startswith(".Associations"):
        return _typed("any", reference)
    match = _LINEAGE_ARN.fullmatch(rest)
    if match is None:
        return _problem(
            reference,
            f"Lineage step '{info.name}' has only {', '.join(LINEAGE_ARNS)}['<name>'] and "
            "Associations",
        )
    created = info.created.get(match["member"], frozenset())
    if match["key"] not in created:
        listed = ", ".join(sorted(created)) or "none"
        return _problem(
            reference,
            f"Lineage step '{info.name}' creates no entity '{match['key']}' in "
            f"{match['member']} (creates: {listed})",
        )
    return _typed("string", reference)


def _for_each(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    if rest == ".Status":
        return _typed("string", reference)
    if rest.lstrip(".") in FOR_EACH_COUNTS:
        return _typed("integer", reference)
    iteration = _ITERATION.fullmatch(rest)
    if iteration is not None:
        return _iteration(info, iteration, reference, scope)
    selected = _SELECTED.fullmatch(rest)
    if selected is not None:
        if info.selected is None:
            return _problem(reference, f"ForEach step '{info.name}' has no Selector")
        return _body_property(info, info.selected, selected["rest"], reference, scope)
    counts = ", ".join(sorted(FOR_EACH_COUNTS))
    return _problem(
        reference,
        f"ForEach step '{info.name}' has the properties Status, {counts}, "
        "IterationOutputs[<i>].<body step>... and Selected...",
    )


def _iteration(info: StepInfo, iteration: re.Match[str], reference: str, scope: Scope) -> Resolved:
    if iteration["index"] is None:
        return _problem(
            reference,
            "IterationOutputs must be indexed: IterationOutputs[<i>].<body step>.<member>",
            "invalid-expression",
        )
    return _body_property(info, iteration["body"], iteration["rest"], reference, scope)


def _body_property(info: StepInfo, body: str, rest: str, reference: str, scope: Scope) -> Resolved:
    body_info = scope.steps.get(body)
    if body not in info.body or body_info is None:
        listed = ", ".join(sorted(info.body)) or "none"
        return _problem(
            reference, f"'{body}' is not a step of ForEach '{info.name}' (body: {listed})"
        )
    if not rest:
        return _problem(reference, "a step is not a value; name one of its properties")
    return property_type(body_info, rest, reference, scope)


def _automl(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    if rest in AUTOML_REPORTS:
        return _typed("string", reference)
    return _from_response(info, rest, reference, scope)


def _from_response(info: StepInfo, rest: str, reference: str, scope: Scope) -> Resolved:
    output = _PROCESSING_OUTPUT.match(rest)
    if info.type == "Processing" and output is not None and output["key"] not in info.output_names:
        # `Outputs['train']` picks a processing output by name, so the name must exist.
        listed = ", ".join(sorted(info.output_names)) or "none"
        return _problem(
            reference,
            f"step '{info.name}' has no processing output '{output['key']}' (outputs: {listed})",
        )
    resolved = resolve_property(info.type, rest)
    if resolved is None:
        return _typed("any", reference)
    if resolved.shape is None:
        return _problem(reference, f"{reference}: {resolved.error}")
    return _typed(shape_kind(resolved.shape), reference, resolved.shape.type_name)


_RESOLVERS: Mapping[str, Callable[[StepInfo, str, str, Scope], Resolved]] = {
    "Condition": _condition,
    "Fail": _none,
    "Cleanup": _none,
    "Lambda": _output_parameter,
    "Callback": _output_parameter,
    "QualityCheck": _check_step,
    "ClarifyCheck": _check_step,
    "Lineage": _lineage,
    "ForEach": _for_each,
    "AutoML": _automl,
}
