"""Failure-triggered dependencies are edges of the step graph (they used to be dropped)."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline_definition.model.graph import (
    CycleError,
    dependencies,
    dependency_entry,
    flatten_steps,
    topological_order,
)


def step(name: str, depends_on: list[Any]) -> dict[str, Any]:
    """A Fail step with these DependsOn entries."""
    return {"Name": name, "Type": "Fail", "Arguments": {}, "DependsOn": depends_on}


def test_an_entry_is_a_name_or_a_run_condition() -> None:
    assert dependency_entry("Train") == ("Train", "Completed")
    assert dependency_entry({"Step": "Train", "Trigger": "Failed"}) == ("Train", "Failed")
    assert dependency_entry({"Step": "Train"}) == ("Train", "Completed")
    assert dependency_entry({"Trigger": "Failed"}) is None
    assert dependency_entry(3) is None


def test_run_conditions_are_edges_of_the_graph() -> None:
    nodes = flatten_steps(
        {"Steps": [step("Train", []), step("Notify", [{"Step": "Train", "Trigger": "Failed"}])]}
    )
    assert nodes[1].depends_on == ("Train",)
    assert nodes[1].run_conditions == (("Train", "Failed"),)
    assert dependencies(nodes) == {"Train": set(), "Notify": {"Train"}}


def test_a_cycle_through_a_failure_trigger_is_found() -> None:
    nodes = flatten_steps(
        {
            "Steps": [
                step("Train", ["Notify"]),
                step("Notify", [{"Step": "Train", "Trigger": "Failed"}]),
            ]
        }
    )
    with pytest.raises(CycleError, match="Notify -> Train -> Notify"):
        topological_order(dependencies(nodes))


def test_a_for_each_step_ends_after_its_body() -> None:
    body = {"Name": "Score", "Type": "Lambda", "Arguments": {"x": {"Get": "ForEach.CurrentItem"}}}
    loop = {
        "Name": "Loop",
        "Type": "ForEach",
        "Arguments": {"IterableItems": [1], "MaxConcurrency": 1, "ForEachBody": [body]},
    }
    assert [n.name for n in flatten_steps({"Steps": [loop]})] == ["Loop"]
    nodes = flatten_steps({"Steps": [loop]}, for_each_bodies=True)
    assert [(n.name, n.for_each) for n in nodes] == [("Loop", None), ("Score", "Loop")]
    assert nodes[0].references == ()
    assert dependencies(nodes) == {"Loop": {"Score"}, "Score": set()}
