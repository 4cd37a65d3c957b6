"""Validate a rendered pipeline definition offline, as the SageMaker service would on create.

`validate_definition` checks the pipeline as a whole here (its keys, its parameters, duplicate
step names, cycles) and each step through `check.steps`: its `Arguments` against the botocore
request shape of the API the step calls, the expressions in them (types and the names they
refer to), condition and fail steps, retry and cache settings. Every issue names its step and
its JSON path in the definition; issues come sorted by step order, then path.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from pipeline_definition.check.callback_steps import output_parameter_kinds
from pipeline_definition.check.expression_types import (
    check_expressions_in,
)
from pipeline_definition.check.for_each_steps import body_steps, item_kind, selected_step
from pipeline_definition.check.issues import (
    ERROR,
    PIPELINE,
    WARNING,
    IssueCollector,
    ValidationIssue,
)
from pipeline_definition.check.lineage_steps import created_entities
from pipeline_definition.check.scope import (
    PARAMETER_KINDS,
    ParameterInfo,
    Scope,
    StepInfo,
    child_path,
    describe_value,
    literal_matches,
)
from pipeline_definition.check.service_model import shape
from pipeline_definition.check.shapes import check_scalar
from pipeline_definition.check.steps import check_step, processing_outputs, step_label
from pipeline_definition.model.graph import (
    CycleError,
    StepNode,
    dependencies,
    flatten_steps,
    topological_order,
)
from pipeline_definition.model.limits import DefinitionLimitError, check_document
from pipeline_definition.model.placeholders import is_placeholder

__all__ = [
    "ERROR",
    "PIPELINE",
    "WARNING",
    "ValidationIssue",
    "format_issues",
    "validate_definition",
]

DEFINITION_VERSION: Final = "2020-12-01"
PIPELINE_KEYS: Final = frozenset(
    {"Version", "Metadata", "Parameters", "PipelineExperimentConfig", "MlflowConfig", "Steps"}
)

TYPED_HYPERPARAMETER: Final = "typed-hyperparameter"
PARAMETER_KEYS: Final = frozenset({"Name", "Type", "DefaultValue", "EnumValues"})
PARAMETER_VALUES: Final = {
    "String": "a string",
    "Integer": "an integer",
    "Float": "a number",
    "Boolean": "a boolean",
}


def validate_definition(
    definition: Mapping[str, Any], *, typed_hyperparameters: str = ERROR
) -> list[ValidationIssue]:
    """All issues in `definition`, sorted by step order then path (empty when it is valid).

    `typed_hyperparameters` is the severity of a typed parameter written into a string
    hyperparameter (what the SDK's ModelTrainer emits): ERROR or WARNING.
    """
    if not isinstance(definition, Mapping):
        return [ValidationIssue(PIPELINE, "$", "a definition is a JSON object", "wrong-type")]
    try:
        check_document(definition)
    except DefinitionLimitError as error:
        return [ValidationIssue(PIPELINE, "$", str(error), "out-of-range")]
    issues = _sorted(_all_issues(definition), flatten_steps(definition, for_each_bodies=True))
    if typed_hyperparameters == WARNING:
        issues = [
            replace(issue, severity=WARNING) if issue.kind == TYPED_HYPERPARAMETER else issue
            for issue in issues
        ]
    return issues


def _all_issues(definition: Mapping[str, Any]) -> list[ValidationIssue]:
    nodes = flatten_steps(definition, for_each_bodies=True)
    parameters, issues = _check_parameters(definition.get("Parameters"))
    duplicated = _duplicated_names(nodes)
    scope = Scope(parameters=parameters, steps=_step_infos(nodes), duplicated=duplicated)
    issues.extend(_check_pipeline(definition, scope))
    for node in nodes:
        issues.extend(check_step(node, scope))
    issues.extend(_check_duplicate_steps(nodes))
    if not duplicated:
        # With two steps of one name the graph cannot tell them apart; fix the names first.
        issues.extend(_check_cycles(nodes))
    return issues


def format_issues(issues: Iterable[ValidationIssue]) -> str:
    """One issue per line, `step: path: message`."""
    return "\n".join(str(issue) for issue in issues)


def _duplicated_names(nodes: Iterable[StepNode]) -> frozenset[str]:
    counts = Counter(node.name for node in nodes if node.name)
    return frozenset(name for name, count in counts.items() if count > 1)


def _step_infos(nodes: Iterable[StepNode]) -> dict[str, StepInfo]:
    infos: dict[str, StepInfo] = {}
    for node in nodes:
        if node.name in infos:
            continue
        files = node.raw.get("PropertyFiles")
        names = [
            entry.get("PropertyFileName")
            for entry in (files if isinstance(files, list) else [])
            if isinstance(entry, dict)
        ]
        arguments = node.arguments
        infos[node.name] = StepInfo(
            name=node.name,
            type=node.type,
            property_files=frozenset(n for n in names if isinstance(n, str)),
            output_names=frozenset(processing_outputs(arguments)),
            output_parameters=output_parameter_kinds(node.raw),
            created=created_entities(arguments) if node.type == "Lineage" else {},
            for_each=node.for_each,
            body=frozenset(str(step.get("Name")) for step in body_steps(arguments))
            if node.type == "ForEach"
            else frozenset(),
            selected=selected_step(arguments) if node.type == "ForEach" else None,
            item_kind=item_kind(arguments) if node.type == "ForEach" else "any",
        )
    return infos


def _check_pipeline(definition: Mapping[str, Any], scope: Scope) -> list[ValidationIssue]:
    pipeline = IssueCollector(PIPELINE)
    report = pipeline.report
    for key in sorted(set(definition) - PIPELINE_KEYS):
        report(
            child_path("", str(key)), f"unknown key '{key}' in a pipeline definition", "unknown-key"
        )
    version = definition.get("Version")
    if "Version" in definition and version != DEFINITION_VERSION:
        report(
            "Version",
            f"unknown definition version {version!r} (expected {DEFINITION_VERSION!r})",
            "enum",
        )
    steps = definition.get("Steps")
    if steps is None:
        report("Steps", "a pipeline definition needs a list of Steps", "missing-required")
    elif not isinstance(steps, list):
        report("Steps", f"expected a list of steps, got {describe_value(steps)}", "wrong-type")
    else:
        for index, raw in enumerate(steps):
            if not isinstance(raw, dict):
                report(
                    f"Steps[{index}]",
                    f"expected a step object, got {describe_value(raw)}",
                    "wrong-type",
                )
    for key in ("PipelineExperimentConfig", "MlflowConfig", "Metadata"):
        value = definition.get(key)
        if value is not None and not isinstance(value, dict):
            report(key, f"expected an object or null, got {describe_value(value)}", "wrong-type")
    pipeline.issues.extend(
        check_expressions_in(
            definition.get("PipelineExperimentConfig"), "PipelineExperimentConfig", PIPELINE, scope
        )
    )
    return pipeline.issues


def _check_parameters(raw: Any) -> tuple[dict[str, ParameterInfo], list[ValidationIssue]]:
    pipeline = IssueCollector(PIPELINE)
    parameters: dict[str, ParameterInfo] = {}
    if raw is None:
        return parameters, pipeline.issues
    if not isinstance(raw, list):
        pipeline.report(
            "Parameters", f"expected a list of parameters, got {describe_value(raw)}", "wrong-type"
        )
        return parameters, pipeline.issues
    first_seen: dict[str, int] = {}
    for index, parameter in enumerate(raw):
        path = f"Parameters[{index}]"
        if not isinstance(parameter, dict):
            pipeline.report(
                path, f"expected a parameter object, got {describe_value(parameter)}", "wrong-type"
            )
            continue
        _check_parameter(parameter, path, pipeline)
        name = parameter.get("Name")
        if not isinstance(name, str):
            continue
        if name in first_seen:
            pipeline.report(
                f"{path}.Name",
                f"parameter '{name}' is already declared at Parameters[{first_seen[name]}]",
                "duplicate",
            )
        else:
            first_seen[name] = index
            parameters[name] = _parameter_info(name, parameter)
    return parameters, pipeline.issues


def _check_parameter(parameter: Mapping[str, Any], path: str, pipeline: IssueCollector) -> None:
    """The keys, name, type and values of one declared parameter."""
    for key in sorted(set(parameter) - PARAMETER_KEYS):
        pipeline.report(
            child_path(path, str(key)), f"unknown key '{key}' in a parameter", "unknown-key"
        )
    name = parameter.get("Name")
    if name is None:
        pipeline.report(f"{path}.Name", "a parameter needs a Name", "missing-required")
    else:
        pipeline.issues.extend(
            ValidationIssue(PIPELINE, i.path, f"parameter name: {i.message}", i.kind)
            for i in check_scalar(name, shape("PipelineParameterName"), f"{path}.Name", PIPELINE)
        )
    type_ = parameter.get("Type")
    if type_ is None:
        pipeline.report(f"{path}.Type", "a parameter needs a Type", "missing-required")
    elif not isinstance(type_, str) or type_ not in PARAMETER_KINDS:
        pipeline.report(
            f"{path}.Type",
            f"unknown parameter type {type_!r} (expected one of {', '.join(PARAMETER_KINDS)})",
            "enum",
        )
    _check_parameter_values(parameter, path, type_, pipeline)


def _parameter_info(name: str, parameter: Mapping[str, Any]) -> ParameterInfo:
    enum_values = parameter.get("EnumValues")
    return ParameterInfo(
        name=name,
        type=str(parameter.get("Type")),
        default=parameter.get("DefaultValue"),
        has_default="DefaultValue" in parameter,
        enum_values=tuple(enum_values) if isinstance(enum_values, list) else (),
    )


def _check_parameter_values(
    parameter: Mapping[str, Any], path: str, type_: Any, pipeline: IssueCollector
) -> None:
    report = pipeline.report
    known_type = type_ if isinstance(type_, str) and type_ in PARAMETER_KINDS else None
    values: list[tuple[str, Any]] = []
    if "DefaultValue" in parameter:
        values.append((f"{path}.DefaultValue", parameter["DefaultValue"]))
    enum_values = parameter.get("EnumValues")
    if enum_values is not None and not isinstance(enum_values, list):
        report(
            f"{path}.EnumValues",
            f"expected a list, got {describe_value(enum_values)}",
            "wrong-type",
        )
    elif isinstance(enum_values, list):
        values.extend((f"{path}.EnumValues[{i}]", value) for i, value in enumerate(enum_values))
        if "DefaultValue" in parameter and parameter["DefaultValue"] not in enum_values:
            report(
                f"{path}.DefaultValue",
                f"default {parameter['DefaultValue']!r} is not one of the EnumValues",
                "enum",
            )
    for where, value in values:
        if known_type and not literal_matches(value, PARAMETER_KINDS[known_type]):
            report(
                where,
                f"expected {PARAMETER_VALUES[known_type]} (parameter type {known_type}), "
                f"got {describe_value(value)}",
                "wrong-type",
            )
        elif isinstance(value, str) and not is_placeholder(value):
            # Execution parameter values travel in a String1024 (`Parameter.Value`).
            pipeline.issues.extend(check_scalar(value, shape("String1024"), where, PIPELINE))


def _check_duplicate_steps(nodes: Sequence[StepNode]) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    first: dict[str, StepNode] = {}
    for node in nodes:
        if not node.name:
            continue
        if node.name in first:
            issues.append(
                ValidationIssue(
                    node.name,
                    f"{node.path}.Name",
                    f"step name '{node.name}' is already used by the step at "
                    f"{first[node.name].path}",
                    "duplicate",
                )
            )
        else:
            first[node.name] = node
    return issues


def _check_cycles(nodes: Sequence[StepNode]) -> list[ValidationIssue]:
    try:
        topological_order(dependencies(list(nodes)))
    except CycleError as error:
        order = {node.name: index for index, node in reversed(list(enumerate(nodes)))}
        ring = error.cycle[:-1]
        start = min(range(len(ring)), key=lambda i: order.get(ring[i], len(nodes)))
        ring = ring[start:] + ring[:start]
        node = nodes[order[ring[0]]]
        return [
            ValidationIssue(
                ring[0],
                node.path,
                "steps depend on each other in a cycle: " + " -> ".join([*ring, ring[0]]),
                "cycle",
            )
        ]
    return []


def _natural(path: str) -> tuple[tuple[int, int | str], ...]:
    # "Steps[10]" sorts after "Steps[9]".
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", path)
    )


def _sorted(issues: Iterable[ValidationIssue], nodes: Sequence[StepNode]) -> list[ValidationIssue]:
    order: dict[str, int] = {PIPELINE: -1}
    for index, node in enumerate(nodes):
        order.setdefault(step_label(node), index)
    unique = dict.fromkeys(issues)
    return sorted(
        unique,
        key=lambda i: (order.get(i.step, len(nodes)), _natural(i.path), i.kind, i.message),
    )
