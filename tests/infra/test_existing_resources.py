"""Settings other than the defaults, in one synth.

S3_BUCKET, SAGEMAKER_ROLE_ARN and EXISTING_MODEL_PACKAGE_GROUP: the stack uses what exists
instead of creating it. TRIGGER_RESERVED_CONCURRENCY: the trigger reserves what it is told.
MODEL_APPROVAL_STATUS, RMSE_THRESHOLD and CHAMPION_TOLERANCE: the controls reach the definition
as literals.
NOTIFICATION_EMAIL: the alarm topic gets an email subscription.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pipeline_definition.cli import main
from testsupport.synthesis import Synthesis

EXISTING_BUCKET = "team-ml-data-bucket"
EXISTING_ROLE = "arn:aws:iam::123456789012:role/service-role/TeamSageMakerRole"
# Not the derived name (house-price-models), so the tests see the setting, not the default.
EXISTING_GROUP = "house-price-seed-models"
EMAIL = "ml-alarms@example.com"


@pytest.fixture(scope="module")
def existing(synthesize_app: Callable[[dict[str, str]], Synthesis]) -> Synthesis:
    return synthesize_app(
        {
            "S3_BUCKET": EXISTING_BUCKET,
            "SAGEMAKER_ROLE_ARN": EXISTING_ROLE,
            "EXISTING_MODEL_PACKAGE_GROUP": EXISTING_GROUP,
            "TRIGGER_RESERVED_CONCURRENCY": "4",
            "MODEL_APPROVAL_STATUS": "Approved",
            "RMSE_THRESHOLD": "0.2",
            "CHAMPION_TOLERANCE": "0.01",
            "NOTIFICATION_EMAIL": EMAIL,
        }
    )


def test_no_bucket_is_created(existing: Synthesis) -> None:
    assert existing.resources("AWS::S3::Bucket") == {}


def test_no_sagemaker_role_is_created(existing: Synthesis) -> None:
    for role in existing.resources("AWS::IAM::Role").values():
        principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal != {"Service": "sagemaker.amazonaws.com"}


def test_pipeline_runs_as_the_existing_role(existing: Synthesis) -> None:
    (pipeline,) = existing.resources("AWS::SageMaker::Pipeline").values()
    assert pipeline["Properties"]["RoleArn"] == EXISTING_ROLE


def test_placeholders_are_bound_to_the_existing_bucket_and_role_path(existing: Synthesis) -> None:
    (pipeline,) = existing.resources("AWS::SageMaker::Pipeline").values()
    body, variables = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"][
        "Fn::Sub"
    ]
    assert variables["ArtifactBucket"] == EXISTING_BUCKET
    assert variables["DataBucket"] == EXISTING_BUCKET
    role_name = variables["SageMakerRoleName"]
    # Fn::Sub rebuilds arn:<partition>:iam::<account>:role/<this>, so the path must survive.
    assert role_name in (
        "service-role/TeamSageMakerRole",
        {"Fn::Select": [1, {"Fn::Split": [":role/", EXISTING_ROLE]}]},
    )
    assert "${SageMakerRoleName}" in body


def test_existing_bucket_variant_is_cdk_nag_clean(existing: Synthesis) -> None:
    violations = [
        violation["ruleName"]
        for report in existing.validation_report.get("pluginReports", [])
        for violation in report.get("violations", [])
    ]
    assert violations == []


def test_an_adopted_model_package_group_is_not_created(existing: Synthesis) -> None:
    # Creating it again fails with "already exists" after cdk destroy or the seed's scripts.
    assert existing.resources("AWS::SageMaker::ModelPackageGroup") == {}
    (pipeline,) = existing.resources("AWS::SageMaker::Pipeline").values()
    assert not [d for d in pipeline["DependsOn"] if d.startswith("ModelRegistry")]
    assert existing.template["Outputs"]["ModelPackageGroupName"]["Value"] == EXISTING_GROUP


def _quality_gate(existing: Synthesis) -> dict[str, Any]:
    (condition,) = [s for s in existing.definition["Steps"] if s["Name"] == "CheckQuality"]
    found: dict[str, Any] = condition
    return found


def test_the_pipeline_registers_into_the_adopted_group(existing: Synthesis) -> None:
    condition = _quality_gate(existing)
    (register,) = [s for s in condition["Arguments"]["IfSteps"] if s["Type"] == "RegisterModel"]
    assert register["Arguments"]["ModelPackageGroupName"] == EXISTING_GROUP


def test_the_deploy_time_controls_are_written_into_the_definition(existing: Synthesis) -> None:
    condition = _quality_gate(existing)
    bounds = [c["RightValue"] for c in condition["Arguments"]["Conditions"]]
    assert bounds == [0.2, 0.01]
    (register,) = condition["Arguments"]["IfSteps"]
    assert register["Arguments"]["ModelApprovalStatus"] == "Approved"
    (fail,) = condition["Arguments"]["ElseSteps"]
    message = fail["Arguments"]["ErrorMessage"]["Std:Join"]["Values"][2]
    assert message == (
        " must be at most 0.2 (the threshold) and at most 0.01 above the champion's "
        "(the tolerance); "
    )
    declared = {p["Name"] for p in existing.definition["Parameters"]}
    assert not declared & {"ModelApprovalStatus", "RmseThreshold", "ChampionTolerance"}


def test_grants_name_the_adopted_group(existing: Synthesis) -> None:
    # The existing role gets no policy here; the deployer policy shows the grant by name.
    (policy,) = existing.resources("AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (describe,) = [s for s in statements if s["Sid"] == "DescribeRegisteredModels"]
    arns = ["".join(str(part) for part in arn["Fn::Join"][1]) for arn in describe["Resource"]]
    assert arns[0].endswith(f":model-package-group/{EXISTING_GROUP}")


def test_the_sample_data_is_deployed_into_the_existing_bucket(existing: Synthesis) -> None:
    prefixes = {
        deployment["Properties"].get("DestinationBucketKeyPrefix"): deployment["Properties"]
        for deployment in existing.resources("Custom::CDKBucketDeployment").values()
    }
    assert prefixes["data/sample/"]["DestinationBucketName"] == EXISTING_BUCKET
    assert prefixes["data/sample/"]["SystemMetadata"]["sse"] == "aws:kms"


def test_opted_in_reserved_concurrency_reaches_the_trigger(existing: Synthesis) -> None:
    (function,) = [
        f
        for f in existing.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handler.handler.lambda_handler"
    ]
    assert function["Properties"]["ReservedConcurrentExecutions"] == 4


@pytest.mark.parametrize("strict", [False, True])
def test_diff_of_the_two_assemblies_reports_bucket_and_role(
    synthesis: Synthesis,
    existing: Synthesis,
    capsys: pytest.CaptureFixture[str],
    strict: bool,
) -> None:
    flags = ["--strict-placeholders"] if strict else []

    code = main(["diff", str(synthesis.outdir), str(existing.outdir), "--format", "json", *flags])

    report = json.loads(capsys.readouterr().out)
    assert code == 1
    values = {change["path"]: change for change in report["values"]}
    assert values["ArtifactBucket"]["new"] == EXISTING_BUCKET
    assert values["DataBucket"]["new"] == EXISTING_BUCKET
    assert values["ArtifactBucket"]["old"] == {"Ref": values["ArtifactBucket"]["old"]["Ref"]}
    assert values["SageMakerRoleName"]["new"] == "service-role/TeamSageMakerRole"
    resource = {change["path"]: change for change in report["resource"]}
    assert resource["RoleArn"]["new"] == EXISTING_ROLE
    assert "PipelineName" not in resource
    # The key is the stack's own in both: no change to report.
    assert "KmsKeyArn" not in values


def test_the_email_setting_subscribes_to_the_alarm_topic(existing: Synthesis) -> None:
    (topic_id,) = existing.resources("AWS::SNS::Topic")
    (subscription,) = existing.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
        "Endpoint": EMAIL,
    }


def test_the_existing_bucket_gets_no_policy_from_the_stack(existing: Synthesis) -> None:
    # Refusing uploads under other keys is written into the buckets the stack owns only.
    assert existing.resources("AWS::S3::BucketPolicy") == {}
