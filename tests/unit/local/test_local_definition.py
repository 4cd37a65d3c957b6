"""Loading a definition: placeholders, unsupported steps, references, cycles, step order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline_definition.local.definition import (
    LOCAL_VALUES,
    load_definition,
    parallel_groups,
    substitute_placeholders,
)
from pipeline_definition.local.errors import DefinitionError
from pipeline_definition.model.graph import CycleError

from .local_fakes import definition, evaluate_step, split_step, training_step


def test_placeholders_get_local_values() -> None:
    text = substitute_placeholders(
        "s3://${ArtifactBucket}/a s3://${DataBucket}/b ${KmsKeyArn} "
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${SageMakerRoleName}"
    )
    assert text == (
        "s3://local-artifacts/a s3://local-data/b arn:aws:kms:local:000000000000:key/local "
        "arn:aws:iam::000000000000:role/local-sagemaker-role"
    )
    assert set(LOCAL_VALUES) == {
        "ArtifactBucket",
        "DataBucket",
        "KmsKeyArn",
        "SageMakerRoleName",
        "AWS::Partition",
        "AWS::AccountId",
    }


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(DefinitionError, match="no value for placeholder"):
        load_definition(json.dumps({"Steps": [], "X": "${Other}"}))


def test_loaded_definition_orders_steps() -> None:
    loaded = load_definition(json.dumps(definition()))

    assert loaded.order == ("Split", "Train", "Evaluate", "Check", "Fail", "Register")
    assert loaded.graph["Register"] == {"Check", "Evaluate", "Train"}
    assert loaded.nodes["Fail"].branch == "ElseSteps"
    assert "${" not in json.dumps(loaded.document)


def test_parallel_groups() -> None:
    graph: dict[str, set[str]] = {"A": set(), "B": set(), "C": {"A"}, "D": {"B", "C"}}
    assert parallel_groups(graph) == [["A", "B"], ["C"], ["D"]]
    with pytest.raises(CycleError, match="A -> B -> A"):
        parallel_groups({"A": {"B"}, "B": {"A"}})


def test_cycles_are_reported() -> None:
    document = definition([split_step("A", depends_on=["B"]), split_step("B", depends_on=["A"])])
    with pytest.raises(DefinitionError, match="steps depend on each other in a cycle: A -> B -> A"):
        load_definition(json.dumps(document))


def test_unsupported_step_types_are_reported_by_name_type_and_reason() -> None:
    steps: list[dict[str, Any]] = [
        split_step(),
        {
            "Name": "Notify",
            "Type": "Lambda",
            "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:notify",
            "Arguments": {},
        },
        {"Name": "Tune", "Type": "Tuning", "Arguments": {}},
        {"Name": "Scan", "Type": "Mystery", "Arguments": {}},
    ]
    with pytest.raises(DefinitionError) as error:
        load_definition(json.dumps(definition(steps)))
    assert error.value.problems == (
        "step 'Tune' (Tuning) cannot run locally: SageMaker's tuner chooses and runs the "
        "training jobs",
        "step 'Scan' (Mystery) cannot run locally: its type is unknown here (supported: "
        "Processing, Training, Condition, Fail, RegisterModel, Model, Transform, Lambda)",
        "step 'Notify' (Lambda) calls arn:aws:lambda:us-east-1:123456789012:function:notify, "
        "which runs in AWS Lambda; map it to a local handler with "
        "--lambda notify=package.module:function",
    )


def test_step_names_must_be_valid_folder_names() -> None:
    with pytest.raises(DefinitionError, match="step name 'a/b' is not 1-64 letters"):
        load_definition(json.dumps(definition([split_step("a/b")])))


def test_container_features_that_need_aws_are_reported() -> None:
    split = split_step()
    del split["Arguments"]["AppSpecification"]["ContainerEntrypoint"]
    split["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3InputMode"] = "Pipe"
    train = training_step()
    train["Arguments"]["AlgorithmSpecification"] = {
        "TrainingImage": "xgboost",
        "TrainingInputMode": "File",
    }
    with pytest.raises(DefinitionError) as error:
        load_definition(json.dumps(definition([split, train])))
    message = str(error.value)
    assert "has no AppSpecification.ContainerEntrypoint" in message
    assert "S3InputMode 'Pipe'" in message
    assert "built-in algorithm" in message


def test_unknown_references_are_reported() -> None:
    evaluate = evaluate_step(model_step="Nope")
    evaluate["Arguments"]["Environment"]["X"] = {"Get": "Parameters.Missing"}
    evaluate["DependsOn"] = ["Ghost"]
    evaluate["RetryPolicies"] = [{"ExceptionType": ["Step.BOOM"], "MaxAttempts": 1}]
    evaluate["CacheConfig"] = {"Enabled": True, "ExpireAfter": "7 days"}
    check = {
        "Name": "Check",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "Between",
                    "LeftValue": {
                        "Std:JsonGet": {
                            "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Other"},
                            "Path": "a",
                        }
                    },
                }
            ],
            "IfSteps": [],
            "ElseSteps": [],
        },
    }
    with pytest.raises(DefinitionError) as error:
        load_definition(json.dumps(definition([evaluate, check])))
    problems = error.value.problems
    assert (
        "step 'Evaluate' refers to unknown step in Steps.Nope.ModelArtifacts.S3ModelArtifacts"
        in problems
    )
    assert "step 'Evaluate' refers to unknown Parameters.Missing" in problems
    assert "step 'Evaluate' depends on unknown step 'Ghost'" in problems
    assert any("unknown ExceptionType Step.BOOM" in p for p in problems)
    assert any("ExpireAfter '7 days'" in p for p in problems)
    assert any("unknown condition type 'Between'" in p for p in problems)
    assert any(
        "reads property file 'Other', which step 'Evaluate' does not declare" in p for p in problems
    )
