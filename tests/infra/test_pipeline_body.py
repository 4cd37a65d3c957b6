"""Checks inside PipelineDefinitionBody, where cdk-nag, checkov and cfn-lint do not look."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ml_scripts import layout
from pipeline_definition.build.instance_types import MAX_INSTANCE_COUNT, MIN_INSTANCE_COUNT
from project.controls import DEFAULT_CHAMPION_TOLERANCE, DEFAULT_RMSE_THRESHOLD
from testsupport.synthesis import Synthesis

KMS = "${KmsKeyArn}"
JOB_STEP_TYPES = {"Processing", "Training"}
REQUIRED_JOB_RETRIES = {
    "SageMaker.JOB_INTERNAL_ERROR",
    "SageMaker.CAPACITY_ERROR",
    "SageMaker.RESOURCE_LIMIT",
}
REQUIRED_STEP_RETRIES = {"Step.THROTTLING", "Step.SERVICE_FAULT"}
REPORT = {"Get": "Steps.EvaluateModel.PropertyFiles.EvaluationReport"}
RMSE_GET = {"Std:JsonGet": {"Path": "regression_metrics.rmse.value", "PropertyFile": REPORT}}
ABOVE_CHAMPION_GET = {
    "Std:JsonGet": {"Path": "champion.rmse_above_champion", "PropertyFile": REPORT}
}
CHAMPION_DESCRIPTION_GET = {"Std:JsonGet": {"Path": "champion.description", "PropertyFile": REPORT}}
# The message quotes the RMSE as text (expressions cannot round); the condition reads the number.
RMSE_TEXT_GET = {"Std:JsonGet": {"Path": "regression_metrics.rmse.text", "PropertyFile": REPORT}}


@pytest.fixture(scope="module")
def steps(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for step in synthesis.definition["Steps"]:
        found[step["Name"]] = step
        for branch in ("IfSteps", "ElseSteps"):
            for nested in step.get("Arguments", {}).get(branch, []):
                found[nested["Name"]] = nested
    return found


@pytest.fixture(scope="module")
def job_steps(steps: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    jobs = {name: step for name, step in steps.items() if step["Type"] in JOB_STEP_TYPES}
    assert set(jobs) == {"ProcessData", "TrainModel", "EvaluateModel"}
    return jobs


def test_every_job_step_encrypts_volumes_and_outputs_with_the_stack_key(
    job_steps: dict[str, dict[str, Any]],
) -> None:
    for name, step in job_steps.items():
        arguments = step["Arguments"]
        if step["Type"] == "Processing":
            volume = arguments["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"]
            output = arguments["ProcessingOutputConfig"]["KmsKeyId"]
        else:
            volume = arguments["ResourceConfig"]["VolumeKmsKeyId"]
            output = arguments["OutputDataConfig"]["KmsKeyId"]
        assert (volume, output) == (KMS, KMS), name


def test_every_job_step_encrypts_traffic_and_runs_isolated(
    job_steps: dict[str, dict[str, Any]],
) -> None:
    for name, step in job_steps.items():
        arguments = step["Arguments"]
        network = arguments["NetworkConfig"] if step["Type"] == "Processing" else arguments
        assert network["EnableInterContainerTrafficEncryption"] is True, name
        assert network["EnableNetworkIsolation"] is True, name


def test_every_job_step_retries_transient_errors_a_bounded_number_of_times(
    job_steps: dict[str, dict[str, Any]],
) -> None:
    for name, step in job_steps.items():
        policies = step["RetryPolicies"]
        covered = {e for p in policies for e in p["ExceptionType"]}
        assert covered >= REQUIRED_JOB_RETRIES | REQUIRED_STEP_RETRIES, name
        for policy in policies:
            assert 1 <= policy["MaxAttempts"] <= 5, name
            assert policy["IntervalSeconds"] > 0
            assert policy["BackoffRate"] >= 1


def test_every_job_step_caches_with_an_expiry(job_steps: dict[str, dict[str, Any]]) -> None:
    for name, step in job_steps.items():
        assert step["CacheConfig"] == {"Enabled": True, "ExpireAfter": "P7D"}, name


def test_every_job_step_has_a_runtime_limit(job_steps: dict[str, dict[str, Any]]) -> None:
    for name, step in job_steps.items():
        assert step["Arguments"]["StoppingCondition"]["MaxRuntimeInSeconds"] <= 3600, name


def test_register_step_retries_only_step_errors(steps: dict[str, dict[str, Any]]) -> None:
    (policy,) = steps["RegisterModel"]["RetryPolicies"]
    assert set(policy["ExceptionType"]) == REQUIRED_STEP_RETRIES
    assert policy["MaxAttempts"] <= 5


def test_condition_gates_rmse_against_the_threshold_and_the_champion(
    steps: dict[str, dict[str, Any]],
) -> None:
    check = steps["CheckQuality"]
    assert check["Type"] == "Condition"
    assert check["Arguments"]["Conditions"] == [
        {"Type": "LessThanOrEqualTo", "LeftValue": RMSE_GET, "RightValue": DEFAULT_RMSE_THRESHOLD},
        {
            "Type": "LessThanOrEqualTo",
            "LeftValue": ABOVE_CHAMPION_GET,
            "RightValue": DEFAULT_CHAMPION_TOLERANCE,
        },
    ]
    assert [s["Name"] for s in check["Arguments"]["IfSteps"]] == ["RegisterModel"]
    assert [s["Name"] for s in check["Arguments"]["ElseSteps"]] == ["FailOnQuality"]


def test_fail_message_states_the_measured_value_the_bounds_and_the_champion(
    steps: dict[str, dict[str, Any]],
) -> None:
    fail = steps["FailOnQuality"]
    assert fail["Type"] == "Fail"
    values = fail["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    assert values == [
        "Model quality gate failed: RMSE of log price ",
        RMSE_TEXT_GET,
        " must be at most 0.15 (the threshold) and at most 0.005 above the champion's "
        "(the tolerance); ",
        CHAMPION_DESCRIPTION_GET,
        "; the model was not registered.",
    ]


def test_no_step_reads_a_control_from_the_run_parameters(synthesis: Synthesis) -> None:
    body = json.dumps(synthesis.definition)
    assert "Parameters.RmseThreshold" not in body
    assert "Parameters.ModelApprovalStatus" not in body
    assert "Parameters.ChampionTolerance" not in body


def test_evaluation_always_gets_a_champion_input_defaulting_to_the_placeholder(
    synthesis: Synthesis, steps: dict[str, dict[str, Any]]
) -> None:
    (declared,) = [
        p for p in synthesis.definition["Parameters"] if p["Name"] == "ChampionModelData"
    ]
    assert declared["DefaultValue"].startswith("s3://${ArtifactBucket}/code/no-champion/")
    assert declared["DefaultValue"].endswith("/" + layout.NO_CHAMPION_FILE)
    arguments = steps["EvaluateModel"]["Arguments"]
    inputs = {i["InputName"]: i["S3Input"] for i in arguments["ProcessingInputs"]}
    assert inputs["champion"]["S3Uri"] == {"Get": "Parameters.ChampionModelData"}
    assert inputs["champion"]["LocalPath"] == layout.EVALUATION_CHAMPION_DIR
    container = arguments["AppSpecification"]["ContainerArguments"]
    # Flags with one value each (the run report's --parameter NAME VALUE take two).
    given = {
        flag: container[i + 1]
        for i, flag in enumerate(container[:-1])
        if flag in ("--champion-dir", "--champion-uri")
    }
    assert given["--champion-dir"] == layout.EVALUATION_CHAMPION_DIR
    assert given["--champion-uri"] == {"Get": "Parameters.ChampionModelData"}


def test_evaluation_gets_processings_report_and_the_runs_context_for_its_report(
    synthesis: Synthesis, steps: dict[str, dict[str, Any]]
) -> None:
    arguments = steps["EvaluateModel"]["Arguments"]
    inputs = {i["InputName"]: i["S3Input"] for i in arguments["ProcessingInputs"]}
    assert inputs["processing-report"]["S3Uri"] == {
        "Get": "Steps.ProcessData.ProcessingOutputConfig.Outputs['report'].S3Output.S3Uri"
    }
    assert inputs["processing-report"]["LocalPath"] == layout.EVALUATION_PROCESSING_REPORT_DIR
    container = arguments["AppSpecification"]["ContainerArguments"]

    def after(flag: str, count: int = 1) -> list[Any]:
        return [container[i + 1 : i + 1 + count] for i, v in enumerate(container) if v == flag]

    named = [pair[0] for pair in after("--parameter", 2)]
    assert named == [p["Name"] for p in synthesis.definition["Parameters"]]
    # The same literals CheckQuality compares with, so the report's verdict is the gate's.
    assert after("--rmse-threshold") == [[repr(DEFAULT_RMSE_THRESHOLD)]]
    assert after("--champion-tolerance") == [[repr(DEFAULT_CHAMPION_TOLERANCE)]]
    assert after("--training-job-name") == [[{"Get": "Steps.TrainModel.TrainingJobName"}]]
    assert [bundle for bundle, _ in after("--code-bundle", 2)] == [
        "processing",
        "training",
        "evaluation",
    ]
    # Nothing in SageMaker's cache key changes with each execution (the outputs, which hold the
    # execution id, are not in it): an unchanged run still reuses EvaluateModel's result.
    key = [arguments.get(name) for name in ("AppSpecification", "Environment", "ProcessingInputs")]
    assert "Execution." not in json.dumps(key)


def test_every_job_waits_for_the_instance_limits_check(steps: dict[str, dict[str, Any]]) -> None:
    limits = steps["CheckInstanceLimits"]
    assert [s["Name"] for s in limits["Arguments"]["IfSteps"]] == ["ProcessData"]
    assert [s["Name"] for s in limits["Arguments"]["ElseSteps"]] == ["FailOnInstanceLimits"]
    bounds = [
        (c["LeftValue"]["Get"], c["Type"], c["RightValue"])
        for c in limits["Arguments"]["Conditions"]
    ]
    assert bounds == [
        ("Parameters.ProcessingInstanceCount", "GreaterThanOrEqualTo", MIN_INSTANCE_COUNT),
        ("Parameters.ProcessingInstanceCount", "LessThanOrEqualTo", MAX_INSTANCE_COUNT),
        ("Parameters.TrainingInstanceCount", "GreaterThanOrEqualTo", MIN_INSTANCE_COUNT),
        ("Parameters.TrainingInstanceCount", "LessThanOrEqualTo", MAX_INSTANCE_COUNT),
    ]
    # The other jobs read ProcessData's outputs (TrainModel) or TrainModel's (EvaluateModel),
    # so none of them can start when ProcessData does not.
    assert "Steps.ProcessData." in json.dumps(steps["TrainModel"]["Arguments"])
    assert "Steps.TrainModel." in json.dumps(steps["EvaluateModel"]["Arguments"])


def test_the_instance_limits_failure_names_the_bounds_and_the_values(
    steps: dict[str, dict[str, Any]],
) -> None:
    values = steps["FailOnInstanceLimits"]["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    assert values[0] == (
        "Instance limits: ProcessingInstanceCount and TrainingInstanceCount must each be "
        f"between {MIN_INSTANCE_COUNT} and {MAX_INSTANCE_COUNT}; got "
    )
    assert {"Get": "Parameters.ProcessingInstanceCount"} in values
    assert {"Get": "Parameters.TrainingInstanceCount"} in values


def test_property_file_is_declared_on_an_existing_output(steps: dict[str, dict[str, Any]]) -> None:
    evaluate = steps["EvaluateModel"]
    assert evaluate["PropertyFiles"] == [
        {
            "FilePath": "evaluation.json",
            "OutputName": "evaluation",
            "PropertyFileName": "EvaluationReport",
        }
    ]
    outputs = evaluate["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    assert "evaluation" in {o["OutputName"] for o in outputs}


def test_registration_uses_the_trained_model_the_report_and_pending_approval(
    steps: dict[str, dict[str, Any]],
) -> None:
    arguments = steps["RegisterModel"]["Arguments"]
    assert arguments["ModelPackageGroupName"] == "house-price-models"
    assert arguments["ModelApprovalStatus"] == "PendingManualApproval"
    (container,) = arguments["InferenceSpecification"]["Containers"]
    assert container["ModelDataUrl"] == {"Get": "Steps.TrainModel.ModelArtifacts.S3ModelArtifacts"}
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    statistics = arguments["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    assert statistics["S3Uri"]["Std:Join"]["Values"] == [
        {"Get": "Steps.EvaluateModel.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"},
        "evaluation.json",
    ]


def test_no_repack_step_is_needed(steps: dict[str, dict[str, Any]]) -> None:
    assert not [name for name in steps if "Repack" in name]


def test_parameter_list_is_exactly_the_documented_one(synthesis: Synthesis) -> None:
    declared = [(p["Name"], p["Type"]) for p in synthesis.definition["Parameters"]]
    assert declared == [
        ("InputData", "String"),
        ("InputVersion", "String"),
        ("InputDataType", "String"),
        ("ProcessingInstanceType", "String"),
        ("ProcessingInstanceCount", "Integer"),
        ("TrainingInstanceType", "String"),
        ("TrainingInstanceCount", "Integer"),
        ("MaxDepth", "Integer"),
        ("Eta", "Float"),
        ("NumRound", "Integer"),
        ("ChampionModelData", "String"),
    ]


def test_hyperparameters_come_from_the_parameters_as_strings(
    steps: dict[str, dict[str, Any]],
) -> None:
    hyperparameters = steps["TrainModel"]["Arguments"]["HyperParameters"]
    for name, parameter in {"max_depth": "MaxDepth", "eta": "Eta", "num_round": "NumRound"}.items():
        assert hyperparameters[name] == {
            "Std:Join": {"On": "", "Values": [{"Get": f"Parameters.{parameter}"}]}
        }


def test_outputs_are_kept_per_execution(job_steps: dict[str, dict[str, Any]]) -> None:
    outputs = job_steps["ProcessData"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    for output in outputs:
        values = output["S3Output"]["S3Uri"]["Std:Join"]["Values"]
        assert {"Get": "Execution.PipelineExecutionId"} in values


def test_processing_states_its_input_limits(job_steps: dict[str, dict[str, Any]]) -> None:
    arguments = job_steps["ProcessData"]["Arguments"]["AppSpecification"]["ContainerArguments"]
    given = dict(zip(arguments[::2], arguments[1::2], strict=True))
    assert given["--max-input-bytes"] == str(layout.DEFAULT_MAX_INPUT_BYTES)
    assert given["--max-line-bytes"] == str(layout.DEFAULT_MAX_LINE_BYTES)
    assert given["--max-rows"] == str(layout.DEFAULT_MAX_ROWS)


def test_the_raw_input_type_and_the_scripts_reading_follow_input_data_type(
    job_steps: dict[str, dict[str, Any]],
) -> None:
    """S3Prefix by default (an object or folder), ManifestFile for a batch the trigger lists."""
    arguments = job_steps["ProcessData"]["Arguments"]
    raw = next(i for i in arguments["ProcessingInputs"] if i["InputName"] == "raw")["S3Input"]
    input_type = {"Get": "Parameters.InputDataType"}
    assert raw["S3Uri"] == {"Get": "Parameters.InputData"}
    assert raw["S3DataType"] == input_type
    container = arguments["AppSpecification"]["ContainerArguments"]
    assert container[container.index("--input-data-type") + 1] == input_type
