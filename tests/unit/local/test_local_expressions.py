"""Expression and condition evaluation: Get, Std:Join, Std:JsonGet and every condition type."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline_definition.local.evaluation import (
    EvaluationContext,
    ExpressionError,
    evaluate,
    evaluate_condition,
    evaluate_conditions,
    to_text,
)

REPORT = {"regression_metrics": {"rmse": {"value": 0.12}, "folds": [{"r2": 0.8}, {"r2": 0.9}]}}
PROPERTIES: dict[str, dict[str, Any]] = {
    "Train": {
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/model.tar.gz"},
        "HyperParameters": {"eta": "0.1"},
    },
    "Process": {
        "ProcessingOutputConfig": {
            "Outputs": [
                {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}},
                {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/test"}},
            ]
        }
    },
}


def property_file(step: str, name: str) -> Any:
    if (step, name) != ("Evaluate", "Report"):
        raise ExpressionError(f"no property file {name} on {step}")
    return REPORT


CTX = EvaluationContext(
    parameters={"Threshold": 0.14, "Depth": 4, "Name": "house", "Flag": True},
    execution={"PipelineExecutionId": "local-1", "PipelineName": "p"},
    step_properties=lambda step: PROPERTIES[step],
    property_file=property_file,
    read_json=lambda uri: {"uri": uri, "n": [1, 2]},
)


def get(expression: str) -> dict[str, str]:
    return {"Get": expression}


def json_get(path: str) -> dict[str, Any]:
    return {
        "Std:JsonGet": {"PropertyFile": get("Steps.Evaluate.PropertyFiles.Report"), "Path": path}
    }


def comparison(kind: str, left: Any, right: Any) -> dict[str, Any]:
    return {"Type": kind, "LeftValue": left, "RightValue": right}


def test_get_parameters_execution_and_step_properties() -> None:
    assert evaluate(get("Parameters.Depth"), CTX) == 4
    assert evaluate(get("Execution.PipelineExecutionId"), CTX) == "local-1"
    assert (
        evaluate(get("Steps.Train.ModelArtifacts.S3ModelArtifacts"), CTX) == "s3://b/model.tar.gz"
    )
    assert (
        evaluate(get("Steps.Process.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"), CTX)
        == "s3://b/test"
    )
    assert evaluate(get("Steps.Train.HyperParameters['eta']"), CTX) == "0.1"


def test_evaluate_walks_nested_structures() -> None:
    node = {"A": [get("Parameters.Name"), {"B": get("Parameters.Depth")}], "C": 1}
    assert evaluate(node, CTX) == {"A": ["house", {"B": 4}], "C": 1}


def test_join_of_mixed_types() -> None:
    node = {
        "Std:Join": {
            "On": "/",
            "Values": [
                "s3://x",
                get("Execution.PipelineExecutionId"),
                3,
                0.5,
                True,
                get("Parameters.Threshold"),
            ],
        }
    }
    assert evaluate(node, CTX) == "s3://x/local-1/3/0.5/true/0.14"


def test_join_nests_and_defaults_to_no_separator() -> None:
    inner = {"Std:Join": {"On": "-", "Values": ["a", "b"]}}
    assert (
        evaluate({"Std:Join": {"Values": [inner, json_get("regression_metrics.rmse.value")]}}, CTX)
        == "a-b0.12"
    )


def test_to_text_spellings() -> None:
    assert [to_text(v) for v in ("s", 2, 2.0, 1e-05, False, [1, "a"], {"k": 1})] == [
        "s",
        "2",
        "2.0",
        "1e-05",
        "false",
        '[1,"a"]',
        '{"k":1}',
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("regression_metrics.rmse.value", 0.12),
        ("$.regression_metrics.rmse.value", 0.12),
        ("regression_metrics.folds[1].r2", 0.9),
        ("regression_metrics.folds[-1].r2", 0.9),
        ("regression_metrics['rmse'].value", 0.12),
        ("regression_metrics.folds", [{"r2": 0.8}, {"r2": 0.9}]),
    ],
)
def test_json_get_paths(path: str, expected: Any) -> None:
    assert evaluate(json_get(path), CTX) == expected


def test_json_get_from_s3_uri() -> None:
    node = {
        "Std:JsonGet": {
            "S3Uri": {"Std:Join": {"On": "/", "Values": ["s3://b", "f.json"]}},
            "Path": "n[0]",
        }
    }
    assert evaluate(node, CTX) == 1


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (get("Parameters.Nope"), "unknown parameter 'Nope'"),
        (get("Execution.Nope"), "unknown execution variable"),
        (get("Steps.Train.ModelArtifacts.Missing"), "has no member 'Missing'"),
        (get("Steps.Process.ProcessingOutputConfig.Outputs['x'].S3Output"), "names: test, train"),
        (json_get("regression_metrics.mae.value"), "has no member 'mae'"),
        (json_get("regression_metrics.folds[5]"), "has 2 elements"),
        ({"Std:Join": {"On": "/", "Values": "x"}}, "Values list"),
        (get("Other.X"), "expected Parameters., Execution. or Steps."),
    ],
)
def test_errors_name_the_problem(node: Any, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("[", r"\[").replace(".", r"\.")):
        evaluate(node, CTX)


@pytest.mark.parametrize(
    ("kind", "left", "right", "expected"),
    [
        ("Equals", 1, 1.0, True),
        ("Equals", "a", "a", True),
        ("Equals", "1", 1, False),
        ("Equals", True, True, True),
        ("GreaterThan", 2, 1, True),
        ("GreaterThan", 1, 1, False),
        ("GreaterThanOrEqualTo", 1, 1, True),
        ("GreaterThanOrEqualTo", 0.5, 1, False),
        ("LessThan", 0.1, 0.2, True),
        ("LessThan", 0.2, 0.2, False),
        ("LessThanOrEqualTo", 0.2, 0.2, True),
        ("LessThanOrEqualTo", 0.3, 0.2, False),
        ("LessThan", "a", "b", True),
    ],
)
def test_comparisons(kind: str, left: Any, right: Any, expected: bool) -> None:
    assert evaluate_condition(comparison(kind, left, right), CTX).outcome is expected


def test_comparison_of_json_get_and_parameter_explains_itself() -> None:
    condition = comparison(
        "LessThanOrEqualTo", json_get("regression_metrics.rmse.value"), get("Parameters.Threshold")
    )
    result = evaluate_condition(condition, CTX)
    assert result.outcome is True
    assert result.explanation == "0.12 <= 0.14"


def test_ordering_mixed_types_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="compares numbers or strings"):
        evaluate_condition(comparison("GreaterThan", "1", 0), CTX)
    with pytest.raises(ExpressionError, match="compares numbers or strings"):
        evaluate_condition(comparison("LessThan", True, 2), CTX)


def test_in_not_or() -> None:
    in_condition = {
        "Type": "In",
        "QueryValue": get("Parameters.Depth"),
        "Values": [3, 4, get("Parameters.Name")],
    }
    assert evaluate_condition(in_condition, CTX).outcome is True
    assert evaluate_condition({**in_condition, "Values": ["4", 5]}, CTX).outcome is False

    negated = {"Type": "Not", "Condition": in_condition}
    result = evaluate_condition(negated, CTX)
    assert result.outcome is False
    assert result.explanation == "not (4 in [3, 4, house])"

    either = {
        "Type": "Or",
        "Conditions": [
            comparison("Equals", get("Parameters.Flag"), False),
            comparison("GreaterThan", 2, 1),
        ],
    }
    assert evaluate_condition(either, CTX).outcome is True
    neither = {
        "Type": "Or",
        "Conditions": [
            comparison("Equals", 1, 2),
            {"Type": "Not", "Condition": comparison("Equals", 1, 1)},
        ],
    }
    assert evaluate_condition(neither, CTX).outcome is False


def test_condition_step_conditions_are_all_required() -> None:
    true, false = comparison("Equals", 1, 1), comparison("Equals", 1, 2)
    assert evaluate_conditions([true, true], CTX).outcome is True
    assert evaluate_conditions([true, false], CTX).outcome is False
    assert evaluate_conditions([], CTX).outcome is True


def test_unknown_condition_type() -> None:
    with pytest.raises(ExpressionError, match="unknown condition type 'And'"):
        evaluate_condition({"Type": "And"}, CTX)
