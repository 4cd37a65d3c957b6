"""The step graph of a rendered definition: steps, references between them, and their order.

A definition lists top-level steps; a Condition step holds more steps in its `IfSteps` and
`ElseSteps`. A step depends on another when it names it in `DependsOn`, when any of its values
refers to it (`{"Get": "Steps.Train.ModelArtifacts..."}`, `Std:JsonGet` on its property file),
or, for a branch step, on the Condition step that chooses the branch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# "Steps.TrainModel.ModelArtifacts.S3ModelArtifacts" or "Steps.Eval.PropertyFiles.Report"
STEP_REFERENCE = re.compile(r"^Steps\.(?P<step>[^.\[]+)(?P<rest>.*)$")
Kind = Literal["step", "parameter", "execution", "other"]


@dataclass(frozen=True)
class Reference:
    """One `Get` expression found in a step, with where it was found."""

    path: str
    expression: str

    @property
    def kind(self) -> Kind:
        """What the expression refers to."""
        if self.expression.startswith("Steps."):
            return "step"
        if self.expression.startswith("Parameters."):
            return "parameter"
        if self.expression.startswith("Execution."):
            return "execution"
        return "other"

    @property
    def target(self) -> str:
        """The step, parameter or execution variable name the expression starts with."""
        if self.kind == "step":
            match = STEP_REFERENCE.match(self.expression)
            return match["step"] if match else ""
        return self.expression.split(".", 2)[1] if "." in self.expression else ""


@dataclass(frozen=True)
class StepNode:
    """A step of the definition, wherever it is nested."""

    name: str
    type: str
    raw: Mapping[str, Any]
    path: str
    condition: str | None = None
    branch: Literal["IfSteps", "ElseSteps"] | None = None
    depends_on: tuple[str, ...] = ()
    references: tuple[Reference, ...] = field(default=())

    @property
    def arguments(self) -> Any:
        """The step's `Arguments` object (may be absent for some step types)."""
        return self.raw.get("Arguments")

    @property
    def referenced_steps(self) -> set[str]:
        """Names of the steps this step's values refer to."""
        return {r.target for r in self.references if r.kind == "step"}


class CycleError(ValueError):
    """The steps depend on each other in a loop."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("steps depend on each other in a cycle: " + " -> ".join(cycle))
        self.cycle = cycle


def find_references(node: Any, path: str = "") -> Iterator[Reference]:
    """Yield every `{"Get": ...}` expression below `node` with its JSON path."""
    if isinstance(node, dict):
        if set(node) == {"Get"} and isinstance(node["Get"], str):
            yield Reference(path=path, expression=node["Get"])
            return
        for key, value in node.items():
            yield from find_references(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from find_references(item, f"{path}[{index}]")


def flatten_steps(definition: Mapping[str, Any]) -> list[StepNode]:
    """All steps, top level first in definition order, each branch right after its condition."""
    nodes: list[StepNode] = []

    def visit(
        steps: list[Any],
        path: str,
        condition: str | None,
        branch: Literal["IfSteps", "ElseSteps"] | None,
    ) -> None:
        for index, raw in enumerate(steps):
            step_path = f"{path}[{index}]"
            if not isinstance(raw, dict):
                continue
            name = str(raw.get("Name", ""))
            depends = raw.get("DependsOn")
            # A malformed DependsOn (not a list) is for validation to report, not to crash on.
            depends = depends if isinstance(depends, list) else []
            arguments = raw.get("Arguments")
            # Branch steps live inside the condition's arguments; they are steps of their
            # own, so the condition's references exclude them.
            own_arguments = (
                {k: v for k, v in arguments.items() if k not in ("IfSteps", "ElseSteps")}
                if raw.get("Type") == "Condition" and isinstance(arguments, dict)
                else arguments
            )
            references = tuple(find_references(own_arguments, "Arguments"))
            nodes.append(
                StepNode(
                    name=name,
                    type=str(raw.get("Type", "")),
                    raw=raw,
                    path=step_path,
                    condition=condition,
                    branch=branch,
                    depends_on=tuple(str(d) for d in depends if isinstance(d, str)),
                    references=references,
                )
            )
            if raw.get("Type") == "Condition" and isinstance(arguments, dict):
                for key in ("IfSteps", "ElseSteps"):
                    nested = arguments.get(key) or []
                    if isinstance(nested, list):
                        visit(nested, f"{step_path}.Arguments.{key}", name, key)

    steps = definition.get("Steps") or []
    visit(steps if isinstance(steps, list) else [], "Steps", None, None)
    return nodes


def dependencies(nodes: list[StepNode]) -> dict[str, set[str]]:
    """Map each step to the steps that must finish before it starts (known steps only)."""
    names = {node.name for node in nodes}
    graph: dict[str, set[str]] = {}
    for node in nodes:
        needs = set(node.depends_on) | node.referenced_steps
        if node.condition:
            needs.add(node.condition)
        graph[node.name] = {name for name in needs if name in names and name != node.name}
    return graph


def topological_order(graph: Mapping[str, set[str]]) -> list[str]:
    """Steps in an order that respects dependencies (ties by name); raise CycleError."""
    remaining = {name: set(needs) for name, needs in graph.items()}
    order: list[str] = []
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if not needs)
        if not ready:
            raise CycleError(_find_cycle(remaining))
        for name in ready:
            order.append(name)
            del remaining[name]
        for needs in remaining.values():
            needs.difference_update(ready)
    return order


def _find_cycle(graph: Mapping[str, set[str]]) -> list[str]:
    start = sorted(graph)[0]
    seen: list[str] = []
    current = start
    while current not in seen:
        seen.append(current)
        current = sorted(graph[current])[0]
    return [*seen[seen.index(current) :], current]
