"""Load a rendered definition for a local run and find, up front, anything that cannot run.

Deploy-time placeholders are resolved with local values first, as CloudFormation's Fn::Sub
resolves them on deploy. Every problem is collected before a step starts: unsupported step
types, features that need AWS, unknown references, bad retry or cache settings and cycles.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline_definition.local.cache import CacheConfigError, cache_policy
from pipeline_definition.local.errors import DefinitionError
from pipeline_definition.local.execution import EXECUTION_VARIABLES
from pipeline_definition.local.jobs import LocalStep
from pipeline_definition.local.lambda_step import resolve_handlers
from pipeline_definition.local.models import LocalModels
from pipeline_definition.local.retry import RetryPolicyError, parse_policies
from pipeline_definition.local.steps import KINDS, REFUSED, JobKind
from pipeline_definition.local.workspace import Workspace
from pipeline_definition.model import placeholders
from pipeline_definition.model.graph import (
    CycleError,
    StepNode,
    dependencies,
    find_references,
    flatten_steps,
    topological_order,
)
from pipeline_definition.model.limits import DefinitionLimitError, parse_definition_text
from project.run_parameters import ParameterError, ParameterSpec, definition_parameters

ARTIFACT_BUCKET = "local-artifacts"
DATA_BUCKET = "local-data"
LOCAL_VALUES: dict[str, str] = {
    placeholders.ARTIFACT_BUCKET: ARTIFACT_BUCKET,
    placeholders.DATA_BUCKET: DATA_BUCKET,
    placeholders.KMS_KEY_ARN: "arn:aws:kms:local:000000000000:key/local",
    placeholders.ROLE_NAME: "local-sagemaker-role",
    placeholders.PARTITION: "aws",
    placeholders.ACCOUNT_ID: "000000000000",
}
CODE_PREFIX = f"s3://{ARTIFACT_BUCKET}/code/"
# Run conditions under which a step runs after a failure, so the failure does not end the run.
HANDLING_TRIGGERS = ("Failed", "Any")
# SageMaker's pattern for step names; they also name folders and log files locally.
STEP_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class LocalDefinition:
    """A definition ready to run: placeholders resolved, graph checked."""

    document: dict[str, Any]
    nodes: dict[str, StepNode]
    graph: dict[str, set[str]]
    order: tuple[str, ...]
    parameters: dict[str, ParameterSpec]
    # Lambda step name -> the local handler (`package.module:function`) mapped to it.
    lambda_handlers: Mapping[str, str] = field(default_factory=dict)

    def local_step(self, name: str, workspace: Workspace | None = None) -> LocalStep:
        """What the kind of step `name` needs beyond its arguments (models: in `workspace`)."""
        return LocalStep(
            node=self.nodes[name],
            models=LocalModels(workspace.models) if workspace is not None else None,
            handler=self.lambda_handlers.get(name),
        )

    @property
    def handled_failures(self) -> frozenset[str]:
        """Steps whose failure some step waits for (Trigger Failed or Any): it ends no run."""
        return frozenset(
            name
            for node in self.nodes.values()
            for name, trigger in node.run_conditions
            if trigger in HANDLING_TRIGGERS
        )

    def code_uris(self) -> list[str]:
        """The staged-code URIs the definition refers to, sorted."""
        return sorted({text for text in _strings(self.document) if text.startswith(CODE_PREFIX)})

    def property_file(self, step: str, name: str) -> Mapping[str, Any] | None:
        """The PropertyFiles entry `name` of a step, or None."""
        node = self.nodes.get(step)
        for entry in (node.raw.get("PropertyFiles") or []) if node else []:
            if isinstance(entry, Mapping) and entry.get("PropertyFileName") == name:
                return entry
        return None


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def substitute_placeholders(body: str, values: Mapping[str, str] = LOCAL_VALUES) -> str:
    """Resolve `${...}` placeholders with local values."""
    try:
        return placeholders.substitute(body, values)
    except KeyError as error:
        raise DefinitionError([str(error.args[0])]) from error


def _step_problems(step: LocalStep) -> list[str]:
    node = step.node
    where = f"step {node.name!r} ({node.type})"
    kind = KINDS[node.type]
    found = kind.check(node.arguments)
    if isinstance(kind, JobKind):
        found += kind.check_step(step)
    problems = [f"{where} {problem}" for problem in found]
    try:
        parse_policies(node.raw.get("RetryPolicies"))
    except RetryPolicyError as error:
        problems.append(f"{where} RetryPolicies: {error}")
    try:
        cache_policy(node.raw.get("CacheConfig"))
    except CacheConfigError as error:
        problems.append(f"{where} CacheConfig: {error}")
    return problems


def _reference_problems(node: StepNode, definition: LocalDefinition) -> list[str]:
    parameters = set(definition.parameters)
    problems = []
    for reference in find_references(node.raw.get("Arguments"), "Arguments"):
        expression = reference.expression
        known = {"parameter": parameters, "execution": set(EXECUTION_VARIABLES)}
        if reference.kind in known and reference.target not in known[reference.kind]:
            problems.append(f"step {node.name!r} refers to unknown {expression}")
        elif reference.kind == "step":
            target = reference.target
            if target not in definition.nodes:
                problems.append(f"step {node.name!r} refers to unknown step in {expression}")
            elif ".PropertyFiles." in expression:
                name = expression.split(".PropertyFiles.", 1)[1]
                if definition.property_file(target, name) is None:
                    problems.append(
                        f"step {node.name!r} reads property file {name!r}, which step "
                        f"{target!r} does not declare"
                    )
        elif reference.kind == "other":
            problems.append(f"step {node.name!r} has an unknown Get expression {expression!r}")
    for name in node.depends_on:
        if name not in definition.nodes:
            problems.append(f"step {node.name!r} depends on unknown step {name!r}")
    return problems


def _parse(body: str) -> tuple[dict[str, Any], dict[str, ParameterSpec]]:
    """The document and its parameters; DefinitionError when either cannot be read."""
    text = substitute_placeholders(body)
    try:
        document = parse_definition_text(text)
    except DefinitionLimitError as error:
        raise DefinitionError([str(error)]) from error
    except json.JSONDecodeError as error:
        raise DefinitionError([f"the definition is not valid JSON: {error}"]) from error
    if not isinstance(document, dict) or not isinstance(document.get("Steps"), list):
        raise DefinitionError(["the definition has no Steps list"])
    try:
        specs = definition_parameters(document)
    except ParameterError as error:
        raise DefinitionError([str(error)]) from error
    return document, specs


def _by_name(nodes: list[StepNode]) -> tuple[dict[str, StepNode], list[str]]:
    """Steps by name, and the problems of names that are missing, invalid or taken twice."""
    problems: list[str] = []
    by_name: dict[str, StepNode] = {}
    for node in nodes:
        if not node.name:
            problems.append(f"the step at {node.path} has no Name")
        elif not STEP_NAME.match(node.name):
            problems.append(f"step name {node.name!r} is not 1-64 letters, digits, '-' or '_'")
        elif node.name in by_name:
            problems.append(f"two steps are named {node.name!r}")
        else:
            by_name[node.name] = node
    return by_name, problems


def _unsupported(nodes: list[StepNode]) -> list[str]:
    supported = ", ".join(KINDS)
    return [
        f"step {node.name!r} ({node.type}) cannot run locally: "
        + REFUSED.get(node.type, f"its type is unknown here (supported: {supported})")
        for node in nodes
        if node.type not in KINDS
    ]


def load_definition(body: str, *, lambdas: Sequence[str] = ()) -> LocalDefinition:
    """Parse and check a definition body; raise DefinitionError listing every problem.

    `lambdas` are run-local's `--lambda NAME=package.module:function` mappings.
    """
    document, specs = _parse(body)
    nodes = flatten_steps(document)
    by_name, problems = _by_name(nodes)
    problems += _unsupported(nodes)
    handlers, mapping_problems = resolve_handlers(by_name.values(), lambdas)
    problems += mapping_problems
    graph = dependencies(nodes)
    definition = LocalDefinition(
        document=document,
        nodes=by_name,
        graph=graph,
        order=(),
        parameters=specs,
        lambda_handlers=handlers,
    )
    for node in by_name.values():
        if node.type in KINDS:
            problems += _step_problems(definition.local_step(node.name))
        problems += _reference_problems(node, definition)
    try:
        order = tuple(topological_order(graph))
    except CycleError as error:
        problems.append(str(error))
        order = ()
    if problems:
        raise DefinitionError(problems)
    return replace(definition, order=order)


def parallel_groups(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Steps in waves: each wave needs only earlier waves, so its steps can run together."""
    topological_order(graph)  # raises CycleError naming the loop
    remaining = {name: set(needs) for name, needs in graph.items()}
    groups: list[list[str]] = []
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if not needs)
        groups.append(ready)
        for name in ready:
            del remaining[name]
        for needs in remaining.values():
            needs.difference_update(ready)
    return groups
