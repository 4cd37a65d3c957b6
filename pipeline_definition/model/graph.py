"""The step graph of a rendered definition: steps, references between them, and their order.

A definition lists top-level steps; a Condition step holds more steps in its `IfSteps` and
`ElseSteps`, and a ForEach step runs the steps of its `ForEachBody` once per item. A step
depends on another when it names it in `DependsOn`, when any of its values refers to it
(`{"Get": "Steps.Train.ModelArtifacts..."}`, `Std:JsonGet` on its property file), or, for a
branch step, on the Condition step that chooses the branch; a ForEach step finishes after its
body steps.

A `DependsOn` entry is a step name (run after it completes) or a run condition,
`{"Step": name, "Trigger": "Failed" | "Stopped" | "Any" | "Completed"}`: run after that step
fails, stops or ends at all. Every entry is an edge of the graph, whatever its trigger.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# "Steps.TrainModel.ModelArtifacts.S3ModelArtifacts" or "Steps.Eval.PropertyFiles.Report"
STEP_REFERENCE = re.compile(r"^Steps\.(?P<step>[^.\[]+)(?P<rest>.*)$")
Kind = Literal["step", "parameter", "execution", "other"]
Branch = Literal["IfSteps", "ElseSteps"]

# Run conditions of a DependsOn entry, as the SDK's `TriggerCondition`; a plain name means
# COMPLETED.
COMPLETED = "Completed"
TRIGGERS = (COMPLETED, "Failed", "Stopped", "Any")
# Arguments that hold steps of their own rather than values of the step.
NESTED_STEPS = {"Condition": ("IfSteps", "ElseSteps"), "ForEach": ("ForEachBody",)}


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
    branch: Branch | None = None
    depends_on: tuple[str, ...] = ()
    references: tuple[Reference, ...] = field(default=())
    # (step, trigger) of every well-formed DependsOn entry, in order.
    run_conditions: tuple[tuple[str, str], ...] = ()
    # The ForEach step whose body this step is (only with `for_each_bodies`).
    for_each: str | None = None

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


def dependency_entry(entry: Any) -> tuple[str, str] | None:
    """(step, trigger) of one DependsOn entry, or None when it is malformed.

    The trigger is returned as written, so that validation can report an unknown one.
    """
    if isinstance(entry, str):
        return entry, COMPLETED
    if isinstance(entry, dict) and isinstance(entry.get("Step"), str):
        trigger = entry.get("Trigger", COMPLETED)
        return entry["Step"], trigger if isinstance(trigger, str) else repr(trigger)
    return None


def own_arguments(type_: Any, arguments: Any) -> Any:
    """A step's arguments without the steps it holds (their references are their own)."""
    nested = NESTED_STEPS.get(str(type_))
    if nested is None or not isinstance(arguments, dict):
        return arguments
    return {key: value for key, value in arguments.items() if key not in nested}


def _node(raw: dict[str, Any], path: str, **placement: Any) -> StepNode:
    depends = raw.get("DependsOn")
    # A malformed DependsOn (not a list) is for validation to report, not to crash on.
    entries = [dependency_entry(d) for d in (depends if isinstance(depends, list) else [])]
    conditions = tuple(entry for entry in entries if entry is not None)
    return StepNode(
        name=str(raw.get("Name", "")),
        type=str(raw.get("Type", "")),
        raw=raw,
        path=path,
        depends_on=tuple(dict.fromkeys(name for name, _ in conditions)),
        references=tuple(
            find_references(own_arguments(raw.get("Type"), raw.get("Arguments")), "Arguments")
        ),
        run_conditions=conditions,
        **placement,
    )


def flatten_steps(
    definition: Mapping[str, Any], *, for_each_bodies: bool = False
) -> list[StepNode]:
    """All steps, top level first in definition order, each branch right after its condition.

    With `for_each_bodies`, the steps of each ForEach body follow their ForEach step.
    """
    nodes: list[StepNode] = []

    def visit(steps: list[Any], path: str, **placement: Any) -> None:
        for index, raw in enumerate(steps):
            step_path = f"{path}[{index}]"
            if not isinstance(raw, dict):
                continue
            node = _node(raw, step_path, **placement)
            nodes.append(node)
            arguments = raw.get("Arguments")
            if not isinstance(arguments, dict):
                continue
            if node.type == "Condition":
                for key in ("IfSteps", "ElseSteps"):
                    nested = arguments.get(key) or []
                    if isinstance(nested, list):
                        where = f"{step_path}.Arguments.{key}"
                        visit(nested, where, condition=node.name, branch=key)
            elif node.type == "ForEach" and for_each_bodies:
                body = arguments.get("ForEachBody")
                if isinstance(body, list):
                    visit(body, f"{step_path}.Arguments.ForEachBody", for_each=node.name)

    steps = definition.get("Steps") or []
    visit(steps if isinstance(steps, list) else [], "Steps")
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
    for node in nodes:
        # A ForEach step ends after the steps of its body.
        if node.for_each in graph and node.name != node.for_each:
            graph[node.for_each].add(node.name)
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
