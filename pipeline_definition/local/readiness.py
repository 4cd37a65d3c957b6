"""Whether a pending step can start, must wait, is skipped or is not run.

A step waits for every step it depends on, each under the run condition of its `DependsOn`
entry (a dependency through a property reference or a condition branch is COMPLETED):

| trigger   | runs when the dependency   | not run when it                         |
| --------- | -------------------------- | --------------------------------------- |
| Completed | succeeded (or was cached)  | was not run (failed or skipped: skip)   |
| Failed    | failed                     | succeeded, was skipped or was not run   |
| Any       | succeeded or failed        | was skipped or was not run              |
| Stopped   | stopped                    | ended any other way                     |

A local run that is stopped starts nothing more, so a Stopped trigger never fires locally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pipeline_definition.local.results import COMPLETED, StepStatus
from pipeline_definition.model.graph import COMPLETED as COMPLETED_TRIGGER
from pipeline_definition.model.graph import StepNode

Decision = Literal["ready", "wait", "skip", "not run"]

# Trigger -> the statuses of a dependency that let the step run.
_FIRES: Mapping[str, frozenset[StepStatus]] = {
    COMPLETED_TRIGGER: COMPLETED,
    "Failed": frozenset({StepStatus.FAILED}),
    "Any": COMPLETED | {StepStatus.FAILED},
    "Stopped": frozenset(),
}
_ENDED = COMPLETED | {StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.NOT_RUN}
_OUTCOMES = {
    StepStatus.SUCCEEDED: "succeeded",
    StepStatus.CACHED: "succeeded",
    StepStatus.FAILED: "failed",
    StepStatus.SKIPPED: "did not run",
    StepStatus.NOT_RUN: "did not run",
}


def triggers_of(node: StepNode) -> dict[str, str]:
    """Dependency -> its trigger, from the step's DependsOn (Completed when not named)."""
    return dict(node.run_conditions)


def _settled(name: str, status: StepStatus, trigger: str) -> tuple[Decision, str] | None:
    """The decision one ended dependency forces, or None when it lets the step go on."""
    if status in _FIRES.get(trigger, frozenset()):
        return None
    if trigger == COMPLETED_TRIGGER and status in (StepStatus.FAILED, StepStatus.SKIPPED):
        # As on SageMaker, nothing that needs a failed step's results starts.
        return "skip", f"upstream {name} {status}"
    if trigger == COMPLETED_TRIGGER:
        return "not run", f"dependency {name} not run"
    return "not run", f"runs only if {name} {trigger.lower()}; it {_OUTCOMES[status]}"


def _by_dependencies(
    node: StepNode, dependencies: Mapping[str, StepStatus]
) -> tuple[Decision, str] | None:
    triggers = triggers_of(node)
    forced = [
        decision
        for name, status in sorted(dependencies.items())
        if status in _ENDED
        and (decision := _settled(name, status, triggers.get(name, COMPLETED_TRIGGER)))
    ]
    # A skip says more than a "not run": it names the failure upstream.
    for decision in sorted(forced, key=lambda d: d[0] != "skip"):
        return decision
    return None


def decide(
    node: StepNode,
    dependencies: Mapping[str, StepStatus],
    condition: tuple[StepStatus, Mapping[str, Any] | None] | None,
) -> tuple[Decision, str]:
    """The decision and its reason, from the dependencies' statuses and the deciding condition.

    A dependency whose outcome does not fire the step's run condition settles the step: a
    failed or skipped one it needed to complete skips it (as on SageMaker, nothing downstream
    of a failure starts); any other means the step is not run. The other branch of a decided
    Condition is not run either.
    """
    forced = _by_dependencies(node, dependencies)
    if forced is not None:
        return forced
    if condition is not None:
        status, properties = condition
        if status in COMPLETED and properties is not None:
            chosen = "IfSteps" if properties.get("Outcome") else "ElseSteps"
            if node.branch != chosen:
                return "not run", "branch not taken"
    triggers = triggers_of(node)
    if all(
        status in _FIRES.get(triggers.get(name, COMPLETED_TRIGGER), frozenset())
        for name, status in dependencies.items()
    ):
        return "ready", ""
    return "wait", ""
