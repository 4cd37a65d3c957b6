"""S3_BUCKET and SAGEMAKER_ROLE_ARN: the stack uses what exists instead of creating it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from pipeline_definition.cli import main
from testsupport.synthesis import Synthesis

EXISTING_BUCKET = "team-ml-data-bucket"
EXISTING_ROLE = "arn:aws:iam::123456789012:role/service-role/TeamSageMakerRole"


@pytest.fixture(scope="module")
def existing(synthesize_app: Callable[[dict[str, str]], Synthesis]) -> Synthesis:
    return synthesize_app({"S3_BUCKET": EXISTING_BUCKET, "SAGEMAKER_ROLE_ARN": EXISTING_ROLE})


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
