"""Lambda steps run locally when `--lambda NAME=package.module:function` maps a handler."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.local.definition import load_definition
from pipeline_definition.local.errors import DefinitionError
from pipeline_definition.local.lambda_step import function_name, parse_mappings
from pipeline_definition.local.results import StepStatus

from .local_fakes import LocalRun, body, definition, get

ARN = "arn:aws:lambda:us-east-1:123456789012:function:count-rows:live"
HANDLERS = """
import json, os

def count(event, context):
    print("event", json.dumps(event, sort_keys=True))
    return {
        "doubled": event["rounds"] * 2,
        "label": f"{context.function_name} in {os.getcwd()}",
        "extra": [1, 2],
    }

def broken(event, context):
    raise ValueError("the table is empty")

def missing(event, context):
    return {"label": "no doubled"}

def wrong_type(event, context):
    return {"doubled": "two", "label": "x"}
"""


@pytest.fixture
def handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package `handlers` in the folder run-local starts in."""
    package = tmp_path / "project" / "handlers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "rows.py").write_text(textwrap.dedent(HANDLERS))
    monkeypatch.chdir(package.parent)
    return package.parent


def lambda_step(**extra: Any) -> dict[str, Any]:
    """A Lambda step with two typed outputs."""
    return {
        "Name": "Count",
        "Type": "Lambda",
        "FunctionArn": ARN,
        "Arguments": {"rounds": get("Parameters.Rounds"), "note": "from the pipeline"},
        "OutputParameters": [
            {"OutputName": "doubled", "OutputType": "Integer"},
            {"OutputName": "label", "OutputType": "String"},
        ],
        **extra,
    }


def gate() -> dict[str, Any]:
    """A Condition on the Lambda's Integer output."""
    return {
        "Name": "Enough",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "GreaterThan",
                    "LeftValue": get("Steps.Count.OutputParameters['doubled']"),
                    "RightValue": 15,
                }
            ],
            "IfSteps": [],
            "ElseSteps": [],
        },
    }


def test_function_names_come_from_the_arn() -> None:
    assert function_name(ARN) == "count-rows"
    assert function_name("arn:aws:lambda:eu-west-1:123456789012:function:f") == "f"


def test_a_mapped_handler_runs_with_the_arguments_as_its_event(
    local_run: LocalRun, handlers: Path
) -> None:
    document = definition([lambda_step(), gate()])
    result = local_run.run(document, lambdas=("count-rows=handlers.rows:count",))
    assert result.status == "Succeeded", result.failure_reason
    count = result.step("Count")
    assert count.properties is not None
    outputs = count.properties["OutputParameters"]
    assert outputs == {"doubled": 20, "label": f"count-rows in {handlers}"}
    assert count.detail == f"doubled=20, label=count-rows in {handlers}"
    assert result.step("Enough").detail == "20 > 15 is true -> IfSteps"
    assert count.log_path is not None
    assert 'event {"note": "from the pipeline", "rounds": 10}' in count.log_path.read_text()


@pytest.mark.parametrize("name", ["Count", ARN, "count-rows"])
def test_the_mapping_names_the_function_or_the_step(
    local_run: LocalRun, handlers: Path, name: str
) -> None:
    result = local_run.run(definition([lambda_step()]), lambdas=(f"{name}=handlers.rows:count",))
    assert result.status == "Succeeded", result.failure_reason


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        ("broken", "ValueError: the table is empty"),
        ("missing", "the handler's result has no output 'doubled'"),
        ("wrong_type", "output 'doubled' is 'two', which its OutputType Integer does not take"),
        ("absent", "AttributeError: handlers.rows has no function 'absent'"),
    ],
)
def test_a_handler_that_fails_fails_the_step_with_one_line(
    local_run: LocalRun, handlers: Path, handler: str, reason: str
) -> None:
    result = local_run.run(
        definition([lambda_step()]), lambdas=(f"count-rows=handlers.rows:{handler}",)
    )
    step = result.step("Count")
    assert step.status == StepStatus.FAILED
    assert step.failure_reason is not None
    assert reason in step.failure_reason
    assert "\n" not in step.detail
    assert result.status == "Failed"


def test_an_unmapped_lambda_is_refused_up_front() -> None:
    with pytest.raises(DefinitionError) as error:
        load_definition(body(definition([lambda_step()])))
    (problem,) = error.value.problems
    assert problem == (
        f"step 'Count' (Lambda) calls {ARN}, which runs in AWS Lambda; map it to a local "
        "handler with --lambda count-rows=package.module:function"
    )


def test_mappings_that_name_nothing_or_cannot_be_imported_are_refused(handlers: Path) -> None:
    lambdas = ("notify=handlers.rows:count", "Count=nowhere.module:count", "bad")
    with pytest.raises(DefinitionError) as error:
        load_definition(body(definition([lambda_step()])), lambdas=lambdas)
    assert error.value.problems == (
        "--lambda bad: expected NAME=package.module:function (NAME: the function's name or "
        "ARN, or the step's name)",
        "--lambda notify: no Lambda step calls a function or is named 'notify'",
        f"--lambda Count=nowhere.module:count: module 'nowhere.module' is not found in "
        f"{handlers} (handlers are imported from the folder run-local starts in)",
    )


def test_a_mapping_given_twice_is_refused() -> None:
    _, problems = parse_mappings(("f=a.b:c", "f=a.b:d"))
    assert problems == ["--lambda f: given twice"]
