"""The registry of step kinds: what each kind checks before a run and how control steps decide."""

from __future__ import annotations

from typing import Any

from pipeline_definition.local.control import (
    check_condition,
    check_fail,
    decide_condition,
    decide_fail,
)
from pipeline_definition.local.evaluation import EvaluationContext, ExpressionError
from pipeline_definition.local.execution import EXECUTION_VARIABLES
from pipeline_definition.local.processing import check_processing
from pipeline_definition.local.steps import KINDS, JobKind, artifacts_of, outputs_of


def _no_property_file(step: str, name: str) -> Any:
    raise ExpressionError(f"no property file {name} on {step}")


CTX = EvaluationContext(
    parameters={"Threshold": 0.5},
    execution={},
    step_properties=lambda step: {},
    property_file=_no_property_file,
    read_json=lambda uri: {},
)


def test_job_name_variables_are_execution_variables_the_loader_accepts() -> None:
    variables = {k.job_name_variable for k in KINDS.values() if isinstance(k, JobKind)}

    assert variables - {None} == {"ProcessingJobName", "TrainingJobName"}
    assert variables - {None} <= set(EXECUTION_VARIABLES)


def test_only_processing_steps_have_outputs_for_property_files() -> None:
    describe = {
        "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": "report", "S3Output": {"S3Uri": "s3://b/report"}}]
        },
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/model.tar.gz"},
    }

    assert outputs_of("Processing", describe) == {"report": "s3://b/report"}
    assert outputs_of("Training", describe) == {}
    assert outputs_of("Condition", describe) == {}


def test_artifacts_are_the_outputs_or_the_model_and_its_output_data() -> None:
    processing = {
        "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}}]
        }
    }
    training = {"ModelArtifacts": {"S3ModelArtifacts": "s3://b/job/output/model.tar.gz"}}

    assert artifacts_of("Processing", processing) == {"train": "s3://b/train"}
    assert artifacts_of("Training", training) == {
        "model": "s3://b/job/output/model.tar.gz",
        "output": "s3://b/job/output/output.tar.gz",
    }
    assert artifacts_of("RegisterModel", training) == {}


def test_condition_check_finds_bad_conditions_inside_not_and_or() -> None:
    arguments = {
        "Conditions": [
            {"Type": "Not", "Condition": {"Type": "Or", "Conditions": [5, {"Type": "Between"}]}},
            {"Type": "Equals", "LeftValue": 1, "RightValue": 1},
        ]
    }

    assert check_condition(arguments) == [
        "has a condition that is not an object",
        "has an unknown condition type 'Between'",
    ]
    assert check_condition({}) == ["has no Conditions list"]
    assert check_fail({"ErrorMessage": ""}) == []
    assert check_fail(None) == ["has no ErrorMessage"]


def test_condition_outcome_names_the_branch() -> None:
    arguments = {
        "Conditions": [
            {
                "Type": "LessThanOrEqualTo",
                "LeftValue": 0.1,
                "RightValue": {"Get": "Parameters.Threshold"},
            }
        ]
    }

    decision = decide_condition(arguments, CTX)

    assert decision.failure_reason is None
    assert decision.properties == {"Outcome": True}
    assert decision.detail.endswith("-> IfSteps")
    assert decision.log == decision.detail


def test_condition_that_cannot_be_evaluated_fails_the_step() -> None:
    arguments = {"Conditions": [{"Type": "Equals", "LeftValue": {"Get": "Parameters.Nope"}}]}

    decision = decide_condition(arguments, CTX)

    assert decision.failure_reason is not None
    assert decision.log.startswith("cannot evaluate the conditions: ")
    assert decision.execution_reason is None  # the execution says "step X failed: ..."


def test_fail_step_message_is_the_execution_reason_as_it_stands() -> None:
    decision = decide_fail({"ErrorMessage": ""}, CTX)

    assert decision.failure_reason == ""
    assert decision.execution_reason == ""
    assert decision.log == "Fail step reached: "


def test_processing_inputs_may_be_prefixes_manifests_or_a_parameter_that_names_one() -> None:
    """InputDataType is resolved at run time; any other literal S3DataType cannot run locally."""

    def arguments(data_type: object) -> dict[str, Any]:
        return {
            "AppSpecification": {"ContainerEntrypoint": ["python3", "-m", "x"]},
            "ProcessingInputs": [
                {
                    "InputName": "raw",
                    "S3Input": {"S3Uri": "s3://b/k", "S3DataType": data_type, "LocalPath": "/x"},
                }
            ],
        }

    for fine in ("S3Prefix", "ManifestFile", {"Get": "Parameters.InputDataType"}):
        assert check_processing(arguments(fine)) == []
    assert check_processing(arguments("AugmentedManifestFile")) == [
        "input 'raw': S3DataType 'AugmentedManifestFile' (only S3Prefix or ManifestFile)"
    ]
