"""Failure-triggered dependencies (SageMaker's run conditions) in a local run.

`DependsOn: [{"Step": "Split", "Trigger": "Failed"}]` runs a step only when Split failed; a
step meant to run only when a check fails used to run after it succeeded.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipeline_definition.local.readiness import decide
from pipeline_definition.local.results import StepStatus
from pipeline_definition.local.runner import exit_code
from pipeline_definition.model.graph import flatten_steps

from .local_fakes import LocalRun, definition, split_step, training_step


def notify_step(trigger: str) -> dict[str, Any]:
    """A job that runs on Split's outcome, under a run condition."""
    step = split_step("Notify")
    step["DependsOn"] = [{"Step": "Split", "Trigger": trigger}]
    del step["CacheConfig"]
    return step


def pipeline(trigger: str, *, split_fails: bool) -> dict[str, Any]:
    """Split -> Train, and Notify on Split's outcome."""
    split = split_step(environment={"FAKE_FAIL": "bad rows"} if split_fails else None)
    return definition([split, training_step(), notify_step(trigger)])


def statuses(result: Any) -> dict[str, str]:
    """Step name -> status text."""
    return {step.name: str(step.status) for step in result.steps}


def test_a_failed_trigger_does_not_run_when_the_step_succeeds(local_run: LocalRun) -> None:
    result = local_run.run(pipeline("Failed", split_fails=False))
    assert statuses(result) == {"Split": "succeeded", "Train": "succeeded", "Notify": "not run"}
    assert result.step("Notify").detail == "runs only if Split failed; it succeeded"
    assert result.status == "Succeeded"
    assert exit_code(result) == 0


def test_a_failed_trigger_runs_when_the_step_fails(local_run: LocalRun) -> None:
    result = local_run.run(pipeline("Failed", split_fails=True))
    assert statuses(result) == {"Split": "failed", "Train": "skipped", "Notify": "succeeded"}
    assert result.step("Train").detail == "upstream Split failed"
    # The failure was waited for: the run goes on and ends CompletedWithFailures.
    assert result.status == "CompletedWithFailures"
    assert result.failed_step is None
    assert exit_code(result) == 1


@pytest.mark.parametrize("split_fails", [False, True])
def test_an_any_trigger_runs_whatever_the_outcome(local_run: LocalRun, split_fails: bool) -> None:
    result = local_run.run(pipeline("Any", split_fails=split_fails))
    assert result.step("Notify").status == StepStatus.SUCCEEDED


def test_a_stopped_trigger_does_not_run_when_the_step_ends(local_run: LocalRun) -> None:
    result = local_run.run(pipeline("Stopped", split_fails=True))
    assert result.step("Notify").status == StepStatus.NOT_RUN
    assert result.step("Notify").detail == "runs only if Split stopped; it failed"
    # Nothing waited for the failure, so it fails the execution as before.
    assert result.status == "Failed"


def test_a_failure_no_run_condition_waits_for_still_ends_the_run(local_run: LocalRun) -> None:
    result = local_run.run(pipeline("Completed", split_fails=True))
    assert result.status == "Failed"
    assert result.failed_step == "Split"
    assert result.step("Notify").status == StepStatus.SKIPPED


def node(depends_on: list[Any]) -> Any:
    """The graph node of a step with these DependsOn entries."""
    step = {"Name": "S", "Type": "Fail", "Arguments": {}, "DependsOn": depends_on}
    (found,) = flatten_steps({"Steps": [step]})
    return found


@pytest.mark.parametrize(
    ("trigger", "status", "decision"),
    [
        ("Completed", StepStatus.SUCCEEDED, "ready"),
        ("Completed", StepStatus.CACHED, "ready"),
        ("Completed", StepStatus.FAILED, "skip"),
        ("Completed", StepStatus.NOT_RUN, "not run"),
        ("Failed", StepStatus.FAILED, "ready"),
        ("Failed", StepStatus.SUCCEEDED, "not run"),
        ("Failed", StepStatus.SKIPPED, "not run"),
        ("Any", StepStatus.FAILED, "ready"),
        ("Any", StepStatus.CACHED, "ready"),
        ("Any", StepStatus.NOT_RUN, "not run"),
        ("Stopped", StepStatus.SUCCEEDED, "not run"),
        ("Failed", StepStatus.RUNNING, "wait"),
        ("Any", StepStatus.PENDING, "wait"),
    ],
)
def test_each_trigger_decides_on_the_outcome(
    trigger: str, status: StepStatus, decision: str
) -> None:
    found, _ = decide(node([{"Step": "A", "Trigger": trigger}]), {"A": status}, None)
    assert found == decision


def test_a_plain_name_is_a_completed_trigger() -> None:
    assert decide(node(["A"]), {"A": StepStatus.FAILED}, None) == ("skip", "upstream A failed")
