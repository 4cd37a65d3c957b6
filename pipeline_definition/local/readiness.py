"""Whether a pending step can start, must wait, is skipped or is not run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pipeline_definition.local.results import COMPLETED, StepStatus
from pipeline_definition.model.graph import StepNode

Decision = Literal["ready", "wait", "skip", "not run"]


def decide(
    node: StepNode,
    dependencies: Mapping[str, StepStatus],
    condition: tuple[StepStatus, Mapping[str, Any] | None] | None,
) -> tuple[Decision, str]:
    """The decision and its reason, from the dependencies' statuses and the deciding condition.

    A failed or skipped dependency skips the step (as on SageMaker, nothing downstream of a
    failure starts); a dependency that was not run, or the other branch of a decided Condition,
    means the step is not run either.
    """
    for name, status in sorted(dependencies.items()):
        if status in (StepStatus.FAILED, StepStatus.SKIPPED):
            return "skip", f"upstream {name} {status}"
    for name, status in sorted(dependencies.items()):
        if status == StepStatus.NOT_RUN:
            return "not run", f"dependency {name} not run"
    if condition is not None:
        status, properties = condition
        if status in COMPLETED and properties is not None:
            chosen = "IfSteps" if properties.get("Outcome") else "ElseSteps"
            if node.branch != chosen:
                return "not run", "branch not taken"
    if all(status in COMPLETED for status in dependencies.values()):
        return "ready", ""
    return "wait", ""
