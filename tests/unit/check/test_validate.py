"""validate_definition: the shipped definition is clean; each injected defect is reported once,
with its step, its exact JSON path and its kind."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from pipeline_definition.check.issues import KINDS, PIPELINE, ValidationIssue
from pipeline_definition.check.service_model import python_pattern, resolve_property, service_model
from pipeline_definition.check.validate import format_issues, validate_definition
from testsupport.definitions import SHIPPED_DEFINITION

FIXTURE = SHIPPED_DEFINITION
SHIPPED: dict[str, Any] = json.loads(FIXTURE.read_text())

Definition = dict[str, Any]
Mutation = Callable[[Definition], None]

LIMITS, TRAIN, EVALUATE, CHECK = 0, 1, 2, 3
# ProcessData runs in the instance-limits check's IfSteps (Steps[0].Arguments.IfSteps[0]).
PROCESS = -1
PROCESS_PATH = "Steps[0].Arguments.IfSteps[0]"
# Parameter positions by name, so that declaring a new parameter shifts none of the cases.
PARAMETER = {parameter["Name"]: index for index, parameter in enumerate(SHIPPED["Parameters"])}
COUNT, ETA, TRAINING_TYPE = (
    PARAMETER["ProcessingInstanceCount"],
    PARAMETER["Eta"],
    PARAMETER["TrainingInstanceType"],
)


def step(definition: Definition, index: int) -> dict[str, Any]:
    """A top-level step of `definition`, or ProcessData for PROCESS."""
    if index == PROCESS:
        nested: dict[str, Any] = definition["Steps"][LIMITS]["Arguments"]["IfSteps"][0]
        return nested
    found: dict[str, Any] = definition["Steps"][index]
    return found


def arguments(definition: Definition, index: int) -> dict[str, Any]:
    """The Arguments of a top-level step."""
    found: dict[str, Any] = step(definition, index)["Arguments"]
    return found


def register_step(definition: Definition) -> dict[str, Any]:
    """The RegisterModel step in the condition's IfSteps."""
    found: dict[str, Any] = arguments(definition, CHECK)["IfSteps"][0]
    return found


def fail_step(definition: Definition) -> dict[str, Any]:
    """The Fail step in the condition's ElseSteps."""
    found: dict[str, Any] = arguments(definition, CHECK)["ElseSteps"][0]
    return found


def s3_input(definition: Definition, index: int, channel: int) -> dict[str, Any]:
    """The S3Input of a processing step's input channel."""
    found: dict[str, Any] = arguments(definition, index)["ProcessingInputs"][channel]["S3Input"]
    return found


def training_channel(definition: Definition, channel: int) -> dict[str, Any]:
    """The S3DataSource of a training input channel."""
    config = arguments(definition, TRAIN)["InputDataConfig"][channel]
    found: dict[str, Any] = config["DataSource"]["S3DataSource"]
    return found


def first_condition(definition: Definition) -> dict[str, Any]:
    """The quality gate's condition."""
    found: dict[str, Any] = arguments(definition, CHECK)["Conditions"][0]
    return found


def mutated(mutation: Mutation) -> Definition:
    """A deep copy of the shipped definition with `mutation` applied."""
    definition = copy.deepcopy(SHIPPED)
    mutation(definition)
    return definition


def found(definition: Definition) -> list[tuple[str, str, str]]:
    """(step, path, kind) of each issue."""
    issues = validate_definition(definition)
    assert {issue.kind for issue in issues} <= KINDS
    return [(i.step, i.path, i.kind) for i in issues]


def test_the_shipped_definition_is_clean() -> None:
    assert validate_definition(SHIPPED) == []


def test_validation_is_fast_and_leaves_the_definition_alone() -> None:
    service_model()
    before = copy.deepcopy(SHIPPED)
    start = time.perf_counter()
    validate_definition(SHIPPED)
    assert time.perf_counter() - start < 0.2
    assert before == SHIPPED


# Each defect, injected alone, gives exactly one issue: (step, path, kind).
DEFECTS: dict[str, tuple[Mutation, tuple[str, str, str]]] = {
    "unknown key": (
        lambda d: arguments(d, TRAIN)["ResourceConfig"].update(InstanceCont=1),
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.InstanceCont", "unknown-key"),
    ),
    "unknown step-level key": (
        lambda d: step(d, TRAIN).update(RetryPolicy=[]),
        ("TrainModel", "Steps[1].RetryPolicy", "unknown-key"),
    ),
    "wrong type": (
        lambda d: arguments(d, TRAIN)["ResourceConfig"].update(VolumeSizeInGB="30"),
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.VolumeSizeInGB", "wrong-type"),
    ),
    "object where a list is expected": (
        lambda d: arguments(d, PROCESS)["AppSpecification"].update(ContainerEntrypoint="python3"),
        (
            "ProcessData",
            f"{PROCESS_PATH}.Arguments.AppSpecification.ContainerEntrypoint",
            "wrong-type",
        ),
    ),
    "missing required member": (
        lambda d: arguments(d, PROCESS)["AppSpecification"].pop("ImageUri"),
        ("ProcessData", f"{PROCESS_PATH}.Arguments.AppSpecification.ImageUri", "missing-required"),
    ),
    "value below the minimum": (
        lambda d: arguments(d, PROCESS)["ProcessingResources"]["ClusterConfig"].update(
            VolumeSizeInGB=0
        ),
        (
            "ProcessData",
            f"{PROCESS_PATH}.Arguments.ProcessingResources.ClusterConfig.VolumeSizeInGB",
            "out-of-range",
        ),
    ),
    "value above the maximum": (
        lambda d: arguments(d, PROCESS)["StoppingCondition"].update(MaxRuntimeInSeconds=10**6),
        (
            "ProcessData",
            f"{PROCESS_PATH}.Arguments.StoppingCondition.MaxRuntimeInSeconds",
            "out-of-range",
        ),
    ),
    "list longer than the maximum": (
        lambda d: arguments(d, PROCESS).update(
            ProcessingInputs=arguments(d, PROCESS)["ProcessingInputs"] * 6
        ),
        ("ProcessData", f"{PROCESS_PATH}.Arguments.ProcessingInputs", "out-of-range"),
    ),
    "enum violation": (
        lambda d: arguments(d, TRAIN)["AlgorithmSpecification"].update(TrainingInputMode="Files"),
        (
            "TrainModel",
            "Steps[1].Arguments.AlgorithmSpecification.TrainingInputMode",
            "enum",
        ),
    ),
    "pattern violation": (
        lambda d: arguments(d, TRAIN).update(RoleArn="my-sagemaker-role-name"),
        ("TrainModel", "Steps[1].Arguments.RoleArn", "pattern"),
    ),
    "map key pattern violation": (
        lambda d: arguments(d, PROCESS)["Environment"].update({"PYTHON PATH": "/x"}),
        ("ProcessData", f"{PROCESS_PATH}.Arguments.Environment['PYTHON PATH']", "pattern"),
    ),
    "Get of a step that does not exist": (
        lambda d: s3_input(d, EVALUATE, 0).update(
            S3Uri={"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
        ),
        (
            "EvaluateModel",
            "Steps[2].Arguments.ProcessingInputs[0].S3Input.S3Uri",
            "dangling-reference",
        ),
    ),
    "Get of an undeclared parameter": (
        lambda d: arguments(d, TRAIN)["ResourceConfig"].update(
            InstanceCount={"Get": "Parameters.InstanceCount"}
        ),
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.InstanceCount", "dangling-reference"),
    ),
    "Get of an unknown execution variable": (
        lambda d: arguments(d, TRAIN)["OutputDataConfig"]["S3OutputPath"]["Std:Join"][
            "Values"
        ].__setitem__(1, {"Get": "Execution.ExecutionId"}),
        (
            "TrainModel",
            "Steps[1].Arguments.OutputDataConfig.S3OutputPath.Std:Join.Values[1]",
            "dangling-reference",
        ),
    ),
    "Get of a property the step type does not have": (
        lambda d: s3_input(d, EVALUATE, 0).update(
            S3Uri={"Get": "Steps.TrainModel.ModelArtifacts.S3Uri"}
        ),
        (
            "EvaluateModel",
            "Steps[2].Arguments.ProcessingInputs[0].S3Input.S3Uri",
            "dangling-reference",
        ),
    ),
    "Get of a processing output that does not exist": (
        lambda d: training_channel(d, 0).update(
            S3Uri={
                "Get": "Steps.ProcessData.ProcessingOutputConfig.Outputs['trian'].S3Output.S3Uri"
            }
        ),
        (
            "TrainModel",
            "Steps[1].Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri",
            "dangling-reference",
        ),
    ),
    "JsonGet of an undeclared property file": (
        lambda d: first_condition(d)["LeftValue"]["Std:JsonGet"]["PropertyFile"].update(
            Get="Steps.EvaluateModel.PropertyFiles.Evaluation"
        ),
        (
            "CheckQuality",
            "Steps[3].Arguments.Conditions[0].LeftValue.Std:JsonGet.PropertyFile",
            "dangling-reference",
        ),
    ),
    "property file on an output the step does not have": (
        lambda d: step(d, EVALUATE)["PropertyFiles"][0].update(OutputName="metrics"),
        ("EvaluateModel", "Steps[2].PropertyFiles[0].OutputName", "dangling-reference"),
    ),
    "DependsOn a missing step": (
        lambda d: step(d, TRAIN).update(DependsOn=["Preprocess"]),
        ("TrainModel", "Steps[1].DependsOn[0]", "dangling-reference"),
    ),
    "DependsOn that is not a list": (
        lambda d: step(d, TRAIN).update(DependsOn=5),
        ("TrainModel", "Steps[1].DependsOn", "wrong-type"),
    ),
    "a cycle": (
        lambda d: step(d, PROCESS).update(DependsOn=["EvaluateModel"]),
        ("ProcessData", f"{PROCESS_PATH}", "cycle"),
    ),
    "a step reading its own properties": (
        lambda d: s3_input(d, EVALUATE, 1).update(
            S3Uri={
                "Get": "Steps.EvaluateModel.ProcessingOutputConfig.Outputs['evaluation']"
                ".S3Output.S3Uri"
            }
        ),
        ("EvaluateModel", "Steps[2].Arguments.ProcessingInputs[1].S3Input.S3Uri", "cycle"),
    ),
    "a String parameter where an integer is required": (
        lambda d: arguments(d, TRAIN)["ResourceConfig"].update(
            InstanceCount={"Get": "Parameters.TrainingInstanceType"}
        ),
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.InstanceCount", "wrong-type"),
    ),
    "a Float parameter where a string is required": (
        lambda d: arguments(d, TRAIN)["HyperParameters"].update(eta={"Get": "Parameters.Eta"}),
        ("TrainModel", "Steps[1].Arguments.HyperParameters.eta", "typed-hyperparameter"),
    ),
    "Std:Join where an integer is required": (
        lambda d: arguments(d, TRAIN)["ResourceConfig"].update(
            InstanceCount={"Std:Join": {"On": "", "Values": ["1"]}}
        ),
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.InstanceCount", "wrong-type"),
    ),
    "a string property where an integer is required": (
        lambda d: arguments(d, TRAIN)["ResourceConfig"].update(
            InstanceCount={"Get": "Steps.ProcessData.ProcessingJobName"}
        ),
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.InstanceCount", "wrong-type"),
    ),
    "Get with an unknown root": (
        lambda d: s3_input(d, PROCESS, 0).update(S3Uri={"Get": "Pipeline.InputData"}),
        (
            "ProcessData",
            f"{PROCESS_PATH}.Arguments.ProcessingInputs[0].S3Input.S3Uri",
            "invalid-expression",
        ),
    ),
    "an unknown function": (
        lambda d: s3_input(d, PROCESS, 0).update(S3Uri={"Std:Concat": ["s3://a", "b"]}),
        (
            "ProcessData",
            f"{PROCESS_PATH}.Arguments.ProcessingInputs[0].S3Input.S3Uri",
            "invalid-expression",
        ),
    ),
    "a property file used as a value": (
        lambda d: first_condition(d).update(
            LeftValue={"Get": "Steps.EvaluateModel.PropertyFiles.EvaluationReport"}
        ),
        ("CheckQuality", "Steps[3].Arguments.Conditions[0].LeftValue", "invalid-expression"),
    ),
    "Std:Join without a list of values": (
        lambda d: arguments(d, TRAIN)["OutputDataConfig"]["S3OutputPath"]["Std:Join"].update(
            Values="s3://bucket/models"
        ),
        (
            "TrainModel",
            "Steps[1].Arguments.OutputDataConfig.S3OutputPath.Std:Join.Values",
            "wrong-type",
        ),
    ),
    "unknown step type": (
        lambda d: step(d, TRAIN).update(Type="Trainer"),
        ("TrainModel", "Steps[1].Type", "unknown-step-type"),
    ),
    "bad condition type": (
        lambda d: first_condition(d).update(Type="LessOrEqual"),
        ("CheckQuality", "Steps[3].Arguments.Conditions[0].Type", "enum"),
    ),
    "condition without its right operand": (
        lambda d: first_condition(d).pop("RightValue"),
        ("CheckQuality", "Steps[3].Arguments.Conditions[0].RightValue", "missing-required"),
    ),
    "condition with an operand of another condition type": (
        lambda d: first_condition(d).update(QueryValue=1),
        ("CheckQuality", "Steps[3].Arguments.Conditions[0].QueryValue", "unknown-key"),
    ),
    "retry policy with too many attempts": (
        lambda d: step(d, PROCESS)["RetryPolicies"][0].update(MaxAttempts=50),
        ("ProcessData", f"{PROCESS_PATH}.RetryPolicies[0].MaxAttempts", "out-of-range"),
    ),
    "retry policy with an unknown exception type": (
        lambda d: step(d, TRAIN)["RetryPolicies"][1]["ExceptionType"].append("Step.TIMEOUT"),
        ("TrainModel", "Steps[1].RetryPolicies[1].ExceptionType[2]", "enum"),
    ),
    "retry on job errors in a step that runs no job": (
        lambda d: register_step(d)["RetryPolicies"][0]["ExceptionType"].append(
            "SageMaker.CAPACITY_ERROR"
        ),
        (
            "RegisterModel",
            "Steps[3].Arguments.IfSteps[0].RetryPolicies[0].ExceptionType[2]",
            "enum",
        ),
    ),
    "retry policy with both limits": (
        lambda d: step(d, TRAIN)["RetryPolicies"][0].update(ExpireAfterMin=60),
        ("TrainModel", "Steps[1].RetryPolicies[0]", "conflict"),
    ),
    "retry policy with a negative interval": (
        lambda d: step(d, TRAIN)["RetryPolicies"][0].update(IntervalSeconds=-1),
        ("TrainModel", "Steps[1].RetryPolicies[0].IntervalSeconds", "out-of-range"),
    ),
    "cache expiry that is not a duration": (
        lambda d: step(d, PROCESS)["CacheConfig"].update(ExpireAfter="7 days"),
        ("ProcessData", f"{PROCESS_PATH}.CacheConfig.ExpireAfter", "pattern"),
    ),
    "cache flag that is not a boolean": (
        lambda d: step(d, TRAIN)["CacheConfig"].update(Enabled="true"),
        ("TrainModel", "Steps[1].CacheConfig.Enabled", "wrong-type"),
    ),
    "duplicate step name": (
        lambda d: d["Steps"].append(copy.deepcopy(step(d, TRAIN))),
        ("TrainModel", "Steps[4].Name", "duplicate"),
    ),
    "step name outside the allowed characters": (
        lambda d: fail_step(d).update(Name="Fail on quality"),
        ("Fail on quality", "Steps[3].Arguments.ElseSteps[0].Name", "pattern"),
    ),
    "fail message that is not a string": (
        lambda d: fail_step(d)["Arguments"].update(ErrorMessage=42),
        (
            "FailOnQuality",
            "Steps[3].Arguments.ElseSteps[0].Arguments.ErrorMessage",
            "wrong-type",
        ),
    ),
    "duplicate parameter name": (
        lambda d: d["Parameters"].append({"Name": "Eta", "Type": "Float", "DefaultValue": 0.1}),
        (PIPELINE, f"Parameters[{len(PARAMETER)}].Name", "duplicate"),
    ),
    "parameter default of the wrong type": (
        lambda d: d["Parameters"][COUNT].update(DefaultValue="1"),
        (PIPELINE, f"Parameters[{COUNT}].DefaultValue", "wrong-type"),
    ),
    "parameter of an unknown type": (
        lambda d: d["Parameters"][ETA].update(Type="Double"),
        (PIPELINE, f"Parameters[{ETA}].Type", "enum"),
    ),
    "parameter default outside its EnumValues": (
        lambda d: d["Parameters"][TRAINING_TYPE].update(EnumValues=["ml.m5.xlarge"]),
        (PIPELINE, f"Parameters[{TRAINING_TYPE}].DefaultValue", "enum"),
    ),
    "parameter value the API does not accept where it is used": (
        lambda d: d["Parameters"][TRAINING_TYPE]["EnumValues"].append("ml.t3.huge"),
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.InstanceType", "enum"),
    ),
    "unknown definition version": (
        lambda d: d.update(Version="2023-01-01"),
        (PIPELINE, "Version", "enum"),
    ),
    "unknown top-level key": (
        lambda d: d.update(Step=[]),
        (PIPELINE, "Step", "unknown-key"),
    ),
}


@pytest.mark.parametrize("mutation, expected", DEFECTS.values(), ids=DEFECTS.keys())
def test_each_defect_is_reported_once_where_it_is(
    mutation: Mutation, expected: tuple[str, str, str]
) -> None:
    assert found(mutated(mutation)) == [expected]


@pytest.mark.parametrize("expire", ["P7D", "p30d", "30d", "T16m", "P4DT12H", "P1Y2M3W"])
def test_cache_expiry_takes_the_durations_the_service_reads(expire: str) -> None:
    assert (
        found(mutated(lambda d: step(d, PROCESS)["CacheConfig"].update(ExpireAfter=expire))) == []
    )


@pytest.mark.parametrize("expire", ["", "P", "PT", "P1DT", "PT1.5S", " P7D", "PT-1H"])
def test_cache_expiry_refuses_other_text(expire: str) -> None:
    assert found(mutated(lambda d: step(d, PROCESS)["CacheConfig"].update(ExpireAfter=expire))) == [
        ("ProcessData", f"{PROCESS_PATH}.CacheConfig.ExpireAfter", "pattern")
    ]


def test_placeholders_are_strings_whose_value_is_not_checked() -> None:
    def mutation(d: Definition) -> None:
        arguments(d, TRAIN)["AlgorithmSpecification"]["TrainingInputMode"] = "${InputMode}"
        arguments(d, TRAIN)["ResourceConfig"]["InstanceType"] = "${InstanceType}"

    assert found(mutated(mutation)) == []


def test_a_placeholder_is_still_not_an_integer() -> None:
    def mutation(d: Definition) -> None:
        arguments(d, TRAIN)["ResourceConfig"]["VolumeSizeInGB"] = "${VolumeSize}"

    assert found(mutated(mutation)) == [
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.VolumeSizeInGB", "wrong-type")
    ]


def _undeclared_default(definition: dict[str, Any], name: str, default: str) -> None:
    """Give parameter `name` a new default and no EnumValues (the declaration check is apart)."""
    (parameter,) = (p for p in definition["Parameters"] if p["Name"] == name)
    parameter.pop("EnumValues", None)
    parameter["DefaultValue"] = default


def test_a_parameter_default_is_checked_at_each_use() -> None:
    definition = mutated(lambda d: _undeclared_default(d, "ProcessingInstanceType", "ml.t3.huge"))
    issues = validate_definition(definition)
    assert [(i.step, i.path, i.kind) for i in issues] == [
        (
            "ProcessData",
            f"{PROCESS_PATH}.Arguments.ProcessingResources.ClusterConfig.InstanceType",
            "enum",
        ),
        (
            "EvaluateModel",
            "Steps[2].Arguments.ProcessingResources.ClusterConfig.InstanceType",
            "enum",
        ),
    ]
    assert "default of parameter ProcessingInstanceType" in issues[0].message
    assert "did you mean 'ml.t3.large'?" in issues[0].message


def test_messages_name_the_problem() -> None:
    definition = mutated(
        lambda d: arguments(d, TRAIN)["ResourceConfig"].update(
            InstanceCount={"Get": "Parameters.TrainingInstanceType"}, InstanceCont=2
        )
    )
    messages = [issue.message for issue in validate_definition(definition)]
    assert messages == [
        "unknown key 'InstanceCont': ResourceConfig has no such member; "
        "did you mean 'InstanceCount'?",
        "expected integer (TrainingInstanceCount), got String parameter TrainingInstanceType",
    ]


def typed_hyperparameter(d: Definition) -> None:
    """What SDK v3's ModelTrainer writes for hyperparameters={"num_round": NumRound}."""
    arguments(d, TRAIN)["HyperParameters"]["num_round"] = {"Get": "Parameters.NumRound"}


def test_a_typed_hyperparameter_says_the_sdk_wrote_it_and_how_to_wrap_it() -> None:
    (issue,) = validate_definition(mutated(typed_hyperparameter))
    assert (issue.kind, issue.severity) == ("typed-hyperparameter", "error")
    assert issue.message == (
        "expected string (HyperParameterValue), got Integer parameter NumRound: "
        "hyperparameters are strings in the API, and the SageMaker SDK (ModelTrainer) writes a "
        'typed parameter into them as it is; pass NumRound.to_string() (or Join(on="", '
        "values=[NumRound])) in the hyperparameters"
    )


def test_a_typed_hyperparameter_can_be_downgraded_to_a_warning() -> None:
    definition = mutated(typed_hyperparameter)
    (issue,) = validate_definition(definition, typed_hyperparameters="warning")
    assert (issue.kind, issue.severity) == ("typed-hyperparameter", "warning")
    assert str(issue).startswith(
        "TrainModel: Steps[1].Arguments.HyperParameters.num_round: warning:"
    )


def test_only_typed_hyperparameters_are_downgraded() -> None:
    def mutation(d: Definition) -> None:
        typed_hyperparameter(d)
        arguments(d, TRAIN)["ResourceConfig"]["InstanceCount"] = "1"

    issues = validate_definition(mutated(mutation), typed_hyperparameters="warning")
    assert sorted((i.kind, i.severity) for i in issues) == [
        ("typed-hyperparameter", "warning"),
        ("wrong-type", "error"),
    ]


def test_issues_are_sorted_by_step_order_then_path() -> None:
    def mutation(d: Definition) -> None:
        fail_step(d)["Arguments"]["ErrorMessage"] = 42
        arguments(d, TRAIN)["StoppingCondition"]["MaxRuntimeInSeconds"] = "1h"
        arguments(d, TRAIN)["AlgorithmSpecification"]["TrainingInputMode"] = "Files"
        d["Parameters"][COUNT]["DefaultValue"] = "1"
        s3_input(d, PROCESS, 0)["S3Uri"] = {"Get": "Parameters.Missing"}

    issues = validate_definition(mutated(mutation))
    assert [(i.step, i.path) for i in issues] == [
        (PIPELINE, f"Parameters[{COUNT}].DefaultValue"),
        ("ProcessData", f"{PROCESS_PATH}.Arguments.ProcessingInputs[0].S3Input.S3Uri"),
        ("TrainModel", "Steps[1].Arguments.AlgorithmSpecification.TrainingInputMode"),
        ("TrainModel", "Steps[1].Arguments.StoppingCondition.MaxRuntimeInSeconds"),
        ("FailOnQuality", "Steps[3].Arguments.ElseSteps[0].Arguments.ErrorMessage"),
    ]
    assert validate_definition(mutated(mutation)) == issues


def test_the_cycle_message_lists_the_steps_in_order() -> None:
    issues = validate_definition(
        mutated(lambda d: step(d, PROCESS).update(DependsOn=["EvaluateModel"]))
    )
    assert [issue.message for issue in issues] == [
        "steps depend on each other in a cycle: ProcessData -> EvaluateModel -> ProcessData"
    ]


def test_a_step_with_an_unknown_type_still_has_its_references_checked() -> None:
    def mutation(d: Definition) -> None:
        step(d, TRAIN)["Type"] = "Trainer"
        arguments(d, TRAIN)["ResourceConfig"]["InstanceCount"] = {"Get": "Parameters.Missing"}

    assert found(mutated(mutation)) == [
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.InstanceCount", "dangling-reference"),
        ("TrainModel", "Steps[1].Type", "unknown-step-type"),
    ]


ROLE = "arn:aws:iam::123456789012:role/SageMaker"


def test_other_api_steps_leave_out_the_names_the_service_fills_in() -> None:
    definition: Definition = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "Count", "Type": "Integer", "DefaultValue": 1}],
        "Steps": [
            {
                "Name": "CreateModel",
                "Type": "Model",
                "Arguments": {
                    "ExecutionRoleArn": ROLE,
                    "PrimaryContainer": {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x"},
                },
            },
            {
                "Name": "Score",
                "Type": "Transform",
                "Arguments": {
                    "ModelName": {"Get": "Steps.CreateModel.ModelName"},
                    "TransformInput": {
                        "DataSource": {
                            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}
                        }
                    },
                    "TransformOutput": {"S3OutputPath": "s3://b/out/"},
                    "TransformResources": {
                        "InstanceType": "ml.m5.large",
                        "InstanceCount": {"Get": "Parameters.Count"},
                    },
                },
            },
        ],
    }
    assert validate_definition(definition) == []
    del definition["Steps"][1]["Arguments"]["ModelName"]
    assert found(definition) == [("Score", "Steps[1].Arguments.ModelName", "missing-required")]


def test_a_definition_that_is_not_an_object_is_one_issue() -> None:
    assert found([]) == [(PIPELINE, "$", "wrong-type")]  # type: ignore[arg-type]


def test_a_definition_without_steps() -> None:
    assert found({"Version": "2020-12-01"}) == [(PIPELINE, "Steps", "missing-required")]


def test_format_issues_gives_one_line_per_issue() -> None:
    issues = [
        ValidationIssue("TrainModel", "Steps[1].Type", "unknown step type", "unknown-step-type"),
        ValidationIssue(PIPELINE, "Version", "unknown version", "enum"),
    ]
    assert format_issues(issues) == (
        "TrainModel: Steps[1].Type: unknown step type\n<pipeline>: Version: unknown version"
    )
    assert format_issues([]) == ""


def test_property_paths_resolve_to_response_shapes() -> None:
    artifacts = resolve_property("Training", ".ModelArtifacts.S3ModelArtifacts")
    assert artifacts is not None and artifacts.shape is not None
    assert artifacts.shape.type_name == "string"
    output = resolve_property("Processing", ".ProcessingOutputConfig.Outputs['train'].S3Output")
    assert output is not None and output.shape is not None
    assert output.shape.type_name == "structure"
    metric = resolve_property("Training", ".FinalMetricDataList[0].Value")
    assert metric is not None and metric.shape is not None
    assert metric.shape.type_name == "float"
    missing = resolve_property("Training", ".ModelArtifacts.S3Uri")
    assert missing is not None and missing.error == "'ModelArtifacts' has no member 'S3Uri'"
    assert resolve_property("Lambda", ".OutputParameters['x']") is None


def test_java_only_patterns_are_skipped_rather_than_misread() -> None:
    assert python_pattern(r"[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*") is None
    assert python_pattern(r"[a-z&&[^x]]") is None
    compiled = python_pattern(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
    assert compiled is not None and compiled.fullmatch("house-price-models")


def test_steps_without_an_api_model_still_have_their_references_checked() -> None:
    def mutation(d: Definition) -> None:
        d["Steps"].append(
            {
                "Name": "Notify",
                "Type": "Lambda",
                "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:notify",
                "Arguments": {"model": {"Get": "Steps.TrainModel.ModelArtifacts.S3ModelArtifacts"}},
                "OutputParameters": [{"OutputName": "status", "OutputType": "String"}],
            }
        )
        d["Steps"].append(
            {
                "Name": "ScoreEach",
                "Type": "ForEach",
                "Arguments": {
                    "IterableItems": {"Get": "Parameters.Items"},
                    "MaxConcurrency": 2,
                    "ForEachBody": [
                        {
                            "Name": "Score",
                            "Type": "Lambda",
                            "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:s",
                            "Arguments": {"item": {"Get": "ForEach.CurrentItem"}},
                        }
                    ],
                },
            }
        )

    assert found(mutated(mutation)) == [
        ("ScoreEach", "Steps[5].Arguments.IterableItems", "dangling-reference")
    ]
