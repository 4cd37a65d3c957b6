"""The pipeline construct: CfnPipeline, its Fn::Sub variables, the shipped code, the registry."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Capture, Match, Template

from project.paths import SAMPLE_DATA
from testsupport.synthesis import Synthesis

CODE_URI_PREFIX = "s3://${ArtifactBucket}/code/"


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return []


def test_one_pipeline_named_from_settings_runs_as_the_execution_role(
    cdk_template: Template,
) -> None:
    cdk_template.resource_count_is("AWS::SageMaker::Pipeline", 1)
    cdk_template.has_resource_properties(
        "AWS::SageMaker::Pipeline",
        {
            "PipelineName": "house-price-mlops-pipeline",
            "RoleArn": {"Fn::GetAtt": [Match.string_like_regexp("ExecutionRole"), "Arn"]},
        },
    )


def test_placeholders_are_bound_to_the_stack_resources(cdk_template: Template) -> None:
    variables = Capture()
    cdk_template.has_resource_properties(
        "AWS::SageMaker::Pipeline",
        {
            "PipelineDefinition": {
                "PipelineDefinitionBody": {"Fn::Sub": [Match.any_value(), variables]}
            }
        },
    )
    bound = variables.as_object()
    assert set(bound) == {"ArtifactBucket", "DataBucket", "KmsKeyArn", "SageMakerRoleName"}
    assert bound["ArtifactBucket"]["Ref"].startswith("DataStorageArtifacts")
    assert bound["DataBucket"]["Ref"].startswith("DataStorageData")
    assert bound["KmsKeyArn"]["Fn::GetAtt"][1] == "Arn"
    assert bound["SageMakerRoleName"]["Fn::Select"][0] == 1


def test_body_is_indented_json_with_sorted_keys(synthesis: Synthesis) -> None:
    body = synthesis.pipeline_body
    assert body == json.dumps(json.loads(body), indent=2, sort_keys=True) + "\n"


def test_body_has_the_parameters_of_the_issue_with_their_defaults(synthesis: Synthesis) -> None:
    parameters = {p["Name"]: p for p in synthesis.definition["Parameters"]}
    assert parameters["InputData"]["DefaultValue"] == (
        "s3://${DataBucket}/data/sample/house_data.csv"
    )
    assert parameters["ProcessingInstanceType"]["DefaultValue"] == "ml.t3.medium"
    assert parameters["TrainingInstanceType"]["DefaultValue"] == "ml.m5.large"


def test_code_uris_point_at_content_hashed_keys_that_the_deployment_ships(
    synthesis: Synthesis,
) -> None:
    code_uris = {s for s in _strings(synthesis.definition) if s.startswith(CODE_URI_PREFIX)}
    bundles = {uri.removeprefix(CODE_URI_PREFIX).split("/")[0] for uri in code_uris}
    assert bundles == {"processing", "training", "evaluation", "sm_drivers", "no-champion"}

    (deployment,) = _deployments_into(synthesis, "DataStorageArtifacts").values()
    asset_key = deployment["Properties"]["SourceObjectKeys"][0]
    asset_dir = synthesis.outdir / f"asset.{asset_key.removesuffix('.zip')}"
    # The deployment writes below code/ only: the asset is what lies below that prefix.
    prefix = deployment["Properties"]["DestinationBucketKeyPrefix"]
    assert prefix == "code/"
    assert asset_dir.is_dir()
    for uri in code_uris:
        key = uri.removeprefix("s3://${ArtifactBucket}/").removeprefix(prefix)
        assert (asset_dir / key).exists(), f"{uri} is not in the code asset"


def _deployments_into(synthesis: Synthesis, bucket_prefix: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: deployment
        for logical_id, deployment in synthesis.resources("Custom::CDKBucketDeployment").items()
        if deployment["Properties"]["DestinationBucketName"]["Ref"].startswith(bucket_prefix)
    }


def _wildcard_matches(pattern: str, key: str) -> bool:
    """EventBridge's wildcard filter: `*` matches any run of characters, `/` included."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), key) is not None


def test_the_object_input_data_defaults_to_is_deployed_with_the_stack(
    synthesis: Synthesis,
) -> None:
    # Before, the default named data/raw/house_data.csv and nothing shipped it: a start with
    # defaults failed at ProcessData right after deploy.
    parameters = {p["Name"]: p for p in synthesis.definition["Parameters"]}
    default_key = parameters["InputData"]["DefaultValue"].removeprefix("s3://${DataBucket}/")
    (deployment,) = _deployments_into(synthesis, "DataStorageData").values()
    properties = deployment["Properties"]
    prefix = properties["DestinationBucketKeyPrefix"]
    (asset_key,) = properties["SourceObjectKeys"]
    asset_dir = synthesis.outdir / f"asset.{asset_key.removesuffix('.zip')}"
    shipped = {
        f"{prefix}{path.relative_to(asset_dir).as_posix()}": path for path in asset_dir.rglob("*")
    }
    assert list(shipped) == [default_key]
    assert shipped[default_key].read_bytes() == SAMPLE_DATA.read_bytes()


def test_the_sample_is_encrypted_kept_and_outside_the_trigger_rule(
    synthesis: Synthesis, cdk_template: Template
) -> None:
    (deployment,) = _deployments_into(synthesis, "DataStorageData").values()
    properties = deployment["Properties"]
    assert properties["Prune"] is False
    assert properties["RetainOnDelete"] is True
    assert properties["SystemMetadata"]["sse"] == "aws:kms"
    # The key's ARN: what the buckets' policies compare the upload's key id with.
    key_id = properties["SystemMetadata"]["sse-kms-key-id"]["Fn::GetAtt"]
    assert key_id[0].startswith("DataStorageKey")
    assert key_id[1] == "Arn"
    sample_key = properties["DestinationBucketKeyPrefix"] + SAMPLE_DATA.name
    (rule,) = [
        r
        for r in synthesis.resources("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("source") == ["aws.s3"]
    ]
    patterns = [
        k["wildcard"] for k in rule["Properties"]["EventPattern"]["detail"]["object"]["key"]
    ]
    assert _wildcard_matches(patterns[0], "data/raw/sales.csv")  # the matcher itself works
    assert not [pattern for pattern in patterns if _wildcard_matches(pattern, sample_key)]


def test_pipeline_waits_for_the_sample_data(synthesis: Synthesis) -> None:
    (pipeline,) = synthesis.resources("AWS::SageMaker::Pipeline").values()
    (sample_deployment,) = _deployments_into(synthesis, "DataStorageData")
    assert sample_deployment in pipeline["DependsOn"]


def test_code_lands_in_the_artifact_bucket_encrypted_and_is_never_pruned(
    cdk_template: Template,
) -> None:
    cdk_template.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {
            "DestinationBucketName": {"Ref": Match.string_like_regexp("DataStorageArtifacts")},
            "Prune": False,
            # Deleting the stack leaves the shipped code in place.
            "RetainOnDelete": True,
            "SystemMetadata": {"sse": "aws:kms", "sse-kms-key-id": Match.any_value()},
        },
    )


def test_pipeline_waits_for_its_code_and_its_model_group(template: dict[str, Any]) -> None:
    (pipeline,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Pipeline"
    ]
    depends = " ".join(pipeline["DependsOn"])
    assert "CustomResource" in depends
    assert "ModelRegistryGroup" in depends


def test_model_package_group_is_created_and_retained(cdk_template: Template) -> None:
    cdk_template.has_resource(
        "AWS::SageMaker::ModelPackageGroup",
        {
            "Properties": {
                "ModelPackageGroupName": "house-price-models",
                "ModelPackageGroupDescription": Match.any_value(),
            },
            "DeletionPolicy": "Retain",
        },
    )


@pytest.mark.parametrize(
    "output",
    [
        "PipelineName",
        "DataBucketName",
        "RawDataLocation",
        "ArtifactBucketName",
        "ModelPackageGroupName",
        "ExecutionRoleArn",
        "SampleDataLocation",
        "KmsKeyArn",
        "ModelDeployerPolicyArn",
    ],
)
def test_stack_outputs_what_operators_need(template: dict[str, Any], output: str) -> None:
    assert output in template["Outputs"]


def test_staging_copy_in_the_assembly_has_no_bytecode(synthesis: Synthesis) -> None:
    assert not list(Path(synthesis.outdir).rglob("__pycache__"))
