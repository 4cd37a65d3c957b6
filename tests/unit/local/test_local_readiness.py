"""When a pending step may start: dependencies' statuses and the deciding condition."""

from __future__ import annotations

from typing import Literal

from pipeline_definition.local.readiness import decide
from pipeline_definition.local.results import StepStatus
from pipeline_definition.model.graph import StepNode


def node(
    branch: Literal["IfSteps", "ElseSteps"] | None = None, condition: str | None = None
) -> StepNode:
    """A pending step, optionally on a branch of a Condition."""
    return StepNode(
        name="Next",
        type="Processing",
        raw={},
        path="Steps[1]",
        condition=condition,
        branch=branch,
    )


def test_a_step_waits_until_every_dependency_completed() -> None:
    assert decide(node(), {"A": StepStatus.SUCCEEDED, "B": StepStatus.RUNNING}, None) == (
        "wait",
        "",
    )
    assert decide(node(), {"A": StepStatus.SUCCEEDED, "B": StepStatus.CACHED}, None) == (
        "ready",
        "",
    )


def test_a_failed_or_skipped_dependency_skips_the_step() -> None:
    assert decide(node(), {"A": StepStatus.FAILED, "B": StepStatus.NOT_RUN}, None) == (
        "skip",
        "upstream A failed",
    )


def test_a_dependency_not_run_means_not_run() -> None:
    assert decide(node(), {"A": StepStatus.NOT_RUN}, None) == ("not run", "dependency A not run")


def test_the_branch_not_taken_is_not_run() -> None:
    decided = (StepStatus.SUCCEEDED, {"Outcome": False})

    assert decide(node("IfSteps", "Check"), {}, decided) == ("not run", "branch not taken")
    assert decide(node("ElseSteps", "Check"), {}, decided) == ("ready", "")


def test_an_undecided_condition_lets_its_branches_wait_for_their_dependencies() -> None:
    pending = (StepStatus.RUNNING, None)

    assert decide(node("IfSteps", "Check"), {"Check": StepStatus.RUNNING}, pending)[0] == "wait"
