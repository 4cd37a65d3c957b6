"""Step-level comparison of two definitions: each kind of change, and what is not a change."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pipeline_definition.diff.compare import diff_definitions
from pipeline_definition.diff.model import MISSING, DefinitionDiff, DefinitionError, StepDiff
from pipeline_definition.diff.values import render_condition, render_expression
from testsupport.corpus.catalogue import step
from testsupport.definitions import SHIPPED_DEFINITION

FIXTURE = SHIPPED_DEFINITION


@pytest.fixture(scope="module")
def original() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(FIXTURE.read_text())
    return parsed


@pytest.fixture
def modified(original: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = copy.deepcopy(original)
    return copied


def parameter(definition: dict[str, Any], name: str) -> dict[str, Any]:
    """A parameter of `definition`, by name."""
    found: dict[str, Any] = next(p for p in definition["Parameters"] if p["Name"] == name)
    return found


def only_changed_step(diff: DefinitionDiff, name: str) -> StepDiff:
    """Assert that `name` is the only step in the diff and that it changed."""
    assert [(s.name, s.status) for s in diff.steps] == [(name, "changed")]
    assert not diff.parameters
    assert not diff.pipeline
    return diff.steps[0]


def test_identical_definitions_have_no_changes(original: dict[str, Any]) -> None:
    diff = diff_definitions(original, copy.deepcopy(original))

    assert not diff.has_changes
    assert diff.summary() == "no changes"


def test_reordering_named_things_is_no_change(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    modified["Steps"].reverse()
    modified["Parameters"].reverse()
    process = step(modified, "ProcessData")["Arguments"]
    process["ProcessingInputs"].reverse()
    process["ProcessingOutputConfig"]["Outputs"].reverse()
    train = step(modified, "TrainModel")
    train["Arguments"]["InputDataConfig"].reverse()
    train["RetryPolicies"].reverse()
    train["RetryPolicies"][0]["ExceptionType"].reverse()
    parameter(modified, "ProcessingInstanceType")["EnumValues"].reverse()

    assert not diff_definitions(original, modified).has_changes


def test_inserted_step_is_one_addition_and_shifts_nothing(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    drift = {"Name": "CheckDrift", "Type": "Processing", "Arguments": {"ImageUri": "image"}}
    modified["Steps"].insert(1, drift)

    diff = diff_definitions(original, modified)

    assert [(s.name, s.status, s.type) for s in diff.steps] == [
        ("CheckDrift", "added", "Processing")
    ]
    assert diff.steps[0].definition == drift
    assert diff.summary() == "1 step added"


def test_removed_step(original: dict[str, Any], modified: dict[str, Any]) -> None:
    modified["Steps"] = [s for s in modified["Steps"] if s["Name"] != "EvaluateModel"]

    diff = diff_definitions(original, modified)

    removed = diff.steps_with("removed")
    assert [s.name for s in removed] == ["EvaluateModel"]
    assert removed[0].definition is not None
    assert removed[0].definition["Type"] == "Processing"


def test_renamed_step_is_removed_and_added(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    step(modified, "FailOnQuality")["Name"] = "StopOnQuality"

    diff = diff_definitions(original, modified)

    assert sorted((s.label, s.status) for s in diff.steps) == [
        ("FailOnQuality (in CheckQuality.ElseSteps)", "removed"),
        ("StopOnQuality (in CheckQuality.ElseSteps)", "added"),
    ]


def test_parameter_default_changed(original: dict[str, Any], modified: dict[str, Any]) -> None:
    parameter(modified, "MaxDepth")["DefaultValue"] = 6

    diff = diff_definitions(original, modified)

    assert not diff.steps
    (changed,) = diff.parameters
    assert (changed.name, changed.status, changed.type) == ("MaxDepth", "changed", "Integer")
    assert [c.summary for c in changed.changes] == ["default: 4 -> 6"]
    assert diff.summary() == "1 parameter changed"


def test_parameter_added_removed_and_retyped(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    modified["Parameters"].append({"Name": "MinRows", "Type": "Integer", "DefaultValue": 100})
    modified["Parameters"] = [p for p in modified["Parameters"] if p["Name"] != "NumRound"]
    parameter(modified, "Eta").update(Type="String", DefaultValue="0.5")
    parameter(modified, "TrainingInstanceType")["EnumValues"].remove("ml.c7i.4xlarge")

    diff = diff_definitions(original, modified)

    by_name = {p.name: p for p in diff.parameters}
    assert by_name["MinRows"].status == "added"
    assert by_name["MinRows"].definition == {
        "Name": "MinRows",
        "Type": "Integer",
        "DefaultValue": 100,
    }
    assert by_name["NumRound"].status == "removed"
    assert [c.summary for c in by_name["Eta"].changes] == [
        'default: 0.03 -> "0.5"',
        'type: "Float" -> "String"',
    ]
    assert [c.summary for c in by_name["TrainingInstanceType"].changes] == [
        'enum values: - "ml.c7i.4xlarge"'
    ]


def test_image_tag_change_reads_as_a_tag_change(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    specification = step(modified, "TrainModel")["Arguments"]["AlgorithmSpecification"]
    specification["TrainingImage"] = specification["TrainingImage"].replace("3.2-0", "3.3-0")

    (change,) = only_changed_step(diff_definitions(original, modified), "TrainModel").changes

    assert change.category == "image"
    assert change.path == "Arguments.AlgorithmSpecification.TrainingImage"
    assert change.summary == (
        "Arguments.AlgorithmSpecification.TrainingImage: image sagemaker-xgboost tag 3.2-0 -> 3.3-0"
    )
    assert (change.before, change.after) == ("3.2-0", "3.3-0")


def test_instance_type_change(original: dict[str, Any], modified: dict[str, Any]) -> None:
    resources = step(modified, "TrainModel")["Arguments"]["ResourceConfig"]
    resources["InstanceType"] = "ml.m5.xlarge"

    (change,) = only_changed_step(diff_definitions(original, modified), "TrainModel").changes

    assert change.category == "instance-type"
    assert change.summary == (
        "Arguments.ResourceConfig.InstanceType: instance type "
        'Parameters.TrainingInstanceType -> "ml.m5.xlarge"'
    )


def test_code_hash_change_names_the_bundle(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    channels = step(modified, "TrainModel")["Arguments"]["InputDataConfig"]
    code = next(c for c in channels if c["ChannelName"] == "code")
    source = code["DataSource"]["S3DataSource"]
    digest = source["S3Uri"].rstrip("/").rsplit("/", 1)[1]
    assert source["S3Uri"] == f"s3://${{ArtifactBucket}}/code/training/{digest}/"
    source["S3Uri"] = source["S3Uri"].replace(digest, "0123456789abcdef")

    (change,) = only_changed_step(diff_definitions(original, modified), "TrainModel").changes

    assert change.category == "code"
    assert change.path == "Arguments.InputDataConfig[code].DataSource.S3DataSource.S3Uri"
    assert change.summary == f"code bundle 'training' changed: {digest[:8]}… -> 01234567…"


def test_a_value_replaced_in_a_long_argument_list_is_shown_by_position(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    arguments = step(modified, "EvaluateModel")["Arguments"]["AppSpecification"]
    listed = arguments["ContainerArguments"]
    assert len(listed) > 8
    index = listed.index("--rmse-threshold") + 1
    listed[index] = "0.2"

    (change,) = only_changed_step(diff_definitions(original, modified), "EvaluateModel").changes

    assert change.path == f"Arguments.AppSpecification.ContainerArguments[{index}]"
    assert change.summary.endswith('"0.15" -> "0.2"')


def test_a_reshaped_argument_list_is_shown_whole(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    arguments = step(modified, "EvaluateModel")["Arguments"]["AppSpecification"]
    arguments["ContainerArguments"] = [*arguments["ContainerArguments"], "--verbose"]

    (change,) = only_changed_step(diff_definitions(original, modified), "EvaluateModel").changes

    assert change.path == "Arguments.AppSpecification.ContainerArguments"


def test_hyperparameter_change(original: dict[str, Any], modified: dict[str, Any]) -> None:
    step(modified, "TrainModel")["Arguments"]["HyperParameters"]["max_depth"] = "8"
    step(modified, "TrainModel")["Arguments"]["HyperParameters"]["subsample"] = "0.8"

    changes = only_changed_step(diff_definitions(original, modified), "TrainModel").changes

    assert [(c.category, c.summary) for c in changes] == [
        ("hyperparameter", 'hyperparameter max_depth: Std:Join("", Parameters.MaxDepth) -> "8"'),
        ("hyperparameter", 'hyperparameter subsample: (absent) -> "0.8"'),
    ]
    assert changes[1].status == "added"
    assert changes[1].old is MISSING


def test_condition_change_is_rendered_readably(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    step(modified, "CheckQuality")["Arguments"]["Conditions"][0]["Type"] = "LessThan"

    (change,) = only_changed_step(diff_definitions(original, modified), "CheckQuality").changes

    assert change.category == "condition"
    assert change.path == "Arguments.Conditions[0]"
    assert change.summary == (
        "condition 1: "
        "Std:JsonGet(EvaluateModel.EvaluationReport, regression_metrics.rmse.value) "
        "<= 0.15"
        " -> "
        "Std:JsonGet(EvaluateModel.EvaluationReport, regression_metrics.rmse.value) "
        "< 0.15"
    )


def test_a_new_deploy_time_threshold_and_approval_show_in_the_diff(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    step(modified, "CheckQuality")["Arguments"]["Conditions"][0]["RightValue"] = 0.2
    step(modified, "RegisterModel")["Arguments"]["ModelApprovalStatus"] = "Approved"

    diff = diff_definitions(original, modified)

    summaries = [c.summary for s in diff.steps for c in s.changes]
    assert (
        "condition 1: "
        "Std:JsonGet(EvaluateModel.EvaluationReport, regression_metrics.rmse.value) <= 0.15 -> "
        "Std:JsonGet(EvaluateModel.EvaluationReport, regression_metrics.rmse.value) <= 0.2"
    ) in summaries
    assert 'Arguments.ModelApprovalStatus: "PendingManualApproval" -> "Approved"' in summaries


def test_added_condition(original: dict[str, Any], modified: dict[str, Any]) -> None:
    conditions = step(modified, "CheckQuality")["Arguments"]["Conditions"]
    conditions.append(
        {
            "Type": "Not",
            "Condition": {
                "Type": "Equals",
                "LeftValue": {"Get": "Parameters.InputVersion"},
                "RightValue": "",
            },
        }
    )

    (change,) = only_changed_step(diff_definitions(original, modified), "CheckQuality").changes

    # CheckQuality has two conditions (the threshold and the champion): the new one is the third.
    assert change.summary == ('condition 3: (none) -> not (Parameters.InputVersion == "")')


def test_retry_policy_changed_added_and_removed(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    policies = step(modified, "TrainModel")["RetryPolicies"]
    policies[1]["MaxAttempts"] = 3
    policies[0]["ExceptionType"].remove("SageMaker.RESOURCE_LIMIT")

    changes = only_changed_step(diff_definitions(original, modified), "TrainModel").changes

    assert {c.category for c in changes} == {"retry"}
    # Policies are matched by the exceptions they catch: a changed set is another policy.
    assert [c.summary for c in changes] == [
        "retry policy on [SageMaker.CAPACITY_ERROR, SageMaker.JOB_INTERNAL_ERROR, "
        "SageMaker.RESOURCE_LIMIT]: 3 attempts, every 60s, backoff x2.0 -> (none)",
        "retry policy on [Step.SERVICE_FAULT, Step.THROTTLING]: MaxAttempts 5 -> 3",
        "retry policy on [SageMaker.CAPACITY_ERROR, SageMaker.JOB_INTERNAL_ERROR]: "
        "(none) -> 3 attempts, every 60s, backoff x2.0",
    ]


def test_cache_policy_change(original: dict[str, Any], modified: dict[str, Any]) -> None:
    step(modified, "ProcessData")["CacheConfig"] = {"Enabled": False, "ExpireAfter": "P30D"}

    changes = only_changed_step(diff_definitions(original, modified), "ProcessData").changes

    assert [(c.category, c.summary) for c in changes] == [
        ("cache", "cache: enabled -> disabled"),
        ("cache", 'cache expiry: "P7D" -> "P30D"'),
    ]


def test_nested_branch_step_change_is_its_own_step(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    register = step(modified, "RegisterModel")["Arguments"]
    register["ModelPackageGroupName"] = "other-models"
    container = register["InferenceSpecification"]["Containers"][0]
    container["Image"] = container["Image"].replace("3.2-0", "3.3-0")

    changed = only_changed_step(diff_definitions(original, modified), "RegisterModel")

    # The condition itself did not change: its branch steps are compared on their own.
    assert changed.label == "RegisterModel (in CheckQuality.IfSteps)"
    assert changed.location == "CheckQuality.IfSteps"
    assert [c.summary for c in changed.changes] == [
        "Arguments.InferenceSpecification.Containers[0].Image: image sagemaker-xgboost tag "
        "3.2-0 -> 3.3-0",
        'Arguments.ModelPackageGroupName: "house-price-models" -> "other-models"',
    ]


def test_step_moved_between_branches(original: dict[str, Any], modified: dict[str, Any]) -> None:
    arguments = step(modified, "CheckQuality")["Arguments"]
    arguments["ElseSteps"], arguments["IfSteps"] = arguments["IfSteps"], arguments["ElseSteps"]

    diff = diff_definitions(original, modified)

    summaries = {s.name: [c.summary for c in s.changes] for s in diff.steps}
    assert summaries == {
        "FailOnQuality": ["moved: CheckQuality.ElseSteps -> CheckQuality.IfSteps"],
        "RegisterModel": ["moved: CheckQuality.IfSteps -> CheckQuality.ElseSteps"],
    }


def test_step_type_and_dependencies(original: dict[str, Any], modified: dict[str, Any]) -> None:
    evaluate = step(modified, "EvaluateModel")
    evaluate["DependsOn"] = ["ProcessData"]

    (change,) = only_changed_step(diff_definitions(original, modified), "EvaluateModel").changes
    assert (change.category, change.summary) == ("depends-on", 'depends on: + "ProcessData"')

    evaluate.pop("DependsOn")
    evaluate["Type"] = "Training"
    (change,) = only_changed_step(diff_definitions(original, modified), "EvaluateModel").changes
    assert (change.category, change.summary) == ("type", 'step type: "Processing" -> "Training"')


def test_processing_input_matched_by_name(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    inputs = step(modified, "ProcessData")["Arguments"]["ProcessingInputs"]
    inputs.insert(0, {"InputName": "lookup", "S3Input": {"S3Uri": "s3://bucket/lookup/"}})

    (change,) = only_changed_step(diff_definitions(original, modified), "ProcessData").changes

    assert change.path == "Arguments.ProcessingInputs[lookup]"
    assert change.status == "added"


def test_pipeline_level_change(original: dict[str, Any], modified: dict[str, Any]) -> None:
    modified["PipelineExperimentConfig"] = {"ExperimentName": "house-price"}

    diff = diff_definitions(original, modified)

    assert not diff.steps
    assert [c.summary for c in diff.pipeline] == [
        'PipelineExperimentConfig: null -> {"ExperimentName": "house-price"}'
    ]
    assert diff.summary() == "1 pipeline-level change"


def test_placeholders_match_deployed_values(original: dict[str, Any]) -> None:
    deployed_text = (
        FIXTURE.read_text()
        .replace("${ArtifactBucket}", "artifacts-123")
        .replace("${DataBucket}", "data-123")
        .replace("${KmsKeyArn}", "arn:aws:kms:us-east-1:123456789012:key/abc")
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${SageMakerRoleName}", "pipeline-role")
    )
    deployed = json.loads(deployed_text)

    assert not diff_definitions(original, deployed).has_changes
    assert diff_definitions(original, deployed, match_placeholders=False).has_changes


def test_placeholders_must_bind_consistently(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    resolved = json.loads(FIXTURE.read_text().replace("${ArtifactBucket}", "artifacts-123"))
    channels = step(resolved, "TrainModel")["Arguments"]["InputDataConfig"]
    code = next(c for c in channels if c["ChannelName"] == "code")
    # The same placeholder cannot stand for two different buckets.
    source = code["DataSource"]["S3DataSource"]
    source["S3Uri"] = source["S3Uri"].replace("artifacts-123", "elsewhere")

    diff = diff_definitions(original, resolved)

    assert [s.name for s in diff.steps] == ["TrainModel"]


def test_duplicate_step_names_are_an_error(
    original: dict[str, Any], modified: dict[str, Any]
) -> None:
    modified["Steps"].append(copy.deepcopy(step(modified, "ProcessData")))

    with pytest.raises(DefinitionError, match="two steps named 'ProcessData'"):
        diff_definitions(original, modified)


def test_steps_must_be_a_list(original: dict[str, Any]) -> None:
    with pytest.raises(DefinitionError, match="'Steps' must be a list"):
        diff_definitions(original, {"Steps": {}})


def test_render_condition_and_expression_forms() -> None:
    join = {"Std:Join": {"On": "/", "Values": ["s3://b", {"Get": "Execution.PipelineExecutionId"}]}}
    either = {
        "Type": "Or",
        "Conditions": [
            {"Type": "GreaterThan", "LeftValue": {"Get": "Parameters.A"}, "RightValue": 1},
            {"Type": "In", "QueryValue": {"Get": "Parameters.B"}, "Values": ["x", "y"]},
        ],
    }

    assert render_expression(join) == 'Std:Join("/", "s3://b", Execution.PipelineExecutionId)'
    assert render_condition(either) == '(Parameters.A > 1 or Parameters.B in ["x", "y"])'
