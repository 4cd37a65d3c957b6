"""IAM, key and bucket policies on the synthesized template: each grant is as narrow as the
work it serves (the items of the security review, each checked here)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline_definition.build.instance_types import (
    PROCESSING_INSTANCE_TYPES,
    TRAINING_INSTANCE_TYPES,
)
from testsupport.synthesis import Synthesis

KEY_ID_CONDITION = "s3:x-amz-server-side-encryption-aws-kms-key-id"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _logical_id(template: dict[str, Any], resource_type: str, prefix: str) -> str:
    (found,) = [
        str(logical_id)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type and logical_id.startswith(prefix)
    ]
    return found


def _policy(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    role = _logical_id(template, "AWS::IAM::Role", role_prefix)
    (policy,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
    ]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for s in statements for action in _as_list(s["Action"])}


def _with_action(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in _as_list(s["Action"])]


def _object_suffixes(statement: dict[str, Any], bucket: str) -> set[str]:
    """The key patterns a statement names below `bucket` (`""` for the bucket itself)."""
    found = set()
    for resource in _as_list(statement["Resource"]):
        if resource == {"Fn::GetAtt": [bucket, "Arn"]}:
            found.add("")
        elif "Fn::Join" in resource and resource["Fn::Join"][1][0] == {
            "Fn::GetAtt": [bucket, "Arn"]
        }:
            found.add(resource["Fn::Join"][1][1])
    return found


@pytest.fixture(scope="module")
def ids(template: dict[str, Any]) -> dict[str, str]:
    return {
        "key": _logical_id(template, "AWS::KMS::Key", "DataStorageKey"),
        "data": _logical_id(template, "AWS::S3::Bucket", "DataStorageData"),
        "artifacts": _logical_id(template, "AWS::S3::Bucket", "DataStorageArtifacts"),
    }


# --- the SageMaker execution role -------------------------------------------------------------


def test_kms_create_grant_only_for_aws_resources(template: dict[str, Any]) -> None:
    (grant,) = _with_action(_policy(template, "ExecutionRole"), "kms:CreateGrant")
    assert _as_list(grant["Action"]) == ["kms:CreateGrant"]
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_the_execution_role_cannot_delete_any_object_or_version(template: dict[str, Any]) -> None:
    actions = _actions(_policy(template, "ExecutionRole"))
    assert not {a for a in actions if a.startswith("s3:Delete")}
    assert "s3:PutObject" in actions


def test_models_and_reports_are_put_and_read_never_deleted(
    template: dict[str, Any], ids: dict[str, str]
) -> None:
    statements = _policy(template, "ExecutionRole")
    (put,) = _with_action(statements, "s3:PutObject")
    assert {"/models/*", "/evaluation/*"} <= _object_suffixes(put, ids["artifacts"])
    (read,) = _with_action(statements, "s3:GetObject*")
    assert {"/code/*", "/models/*", "/evaluation/*"} == (
        _object_suffixes(read, ids["artifacts"]) - {""}
    )


def test_the_data_bucket_is_read_only_where_runs_read(
    template: dict[str, Any], ids: dict[str, str]
) -> None:
    statements = _policy(template, "ExecutionRole")
    (read,) = _with_action(statements, "s3:GetObject*")
    # The raw prefix (what the trigger sends), the shipped sample (InputData's default) and
    # ProcessData's outputs; the bucket ARN itself only for listing.
    assert _object_suffixes(read, ids["data"]) == {
        "",
        "/data/raw/*",
        "/data/sample/house_data.csv",
        "/processed/*",
    }
    (put,) = _with_action(statements, "s3:PutObject")
    assert _object_suffixes(put, ids["data"]) == {"/processed/*"}


def test_job_creation_requires_allowed_types_isolation_and_the_stack_key(
    template: dict[str, Any], ids: dict[str, str]
) -> None:
    statements = _policy(template, "ExecutionRole")
    key_arn = {"Fn::GetAtt": [ids["key"], "Arn"]}
    for action, allowed in (
        ("sagemaker:CreateProcessingJob", PROCESSING_INSTANCE_TYPES),
        ("sagemaker:CreateTrainingJob", TRAINING_INSTANCE_TYPES),
    ):
        (create,) = _with_action(statements, action)
        assert _as_list(create["Action"]) == [action]
        assert create["Condition"] == {
            "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": list(allowed)},
            "Null": {"sagemaker:InstanceTypes": "false"},
            "Bool": {
                "sagemaker:NetworkIsolation": "true",
                "sagemaker:InterContainerTrafficEncryption": "true",
            },
            "ArnEquals": {"sagemaker:VolumeKmsKey": key_arn, "sagemaker:OutputKmsKey": key_arn},
        }
        assert "ml.p5.48xlarge" not in allowed


def test_the_definition_requests_what_the_job_conditions_demand(synthesis: Synthesis) -> None:
    """The conditions would refuse the pipeline's own jobs if the definition asked otherwise."""
    parameters = {p["Name"]: p for p in synthesis.definition["Parameters"]}
    for step in synthesis.definition["Steps"]:
        arguments = step.get("Arguments", {})
        if step["Type"] == "Processing":
            cluster = arguments["ProcessingResources"]["ClusterConfig"]
            network = arguments["NetworkConfig"]
            output_key = arguments["ProcessingOutputConfig"]["KmsKeyId"]
            allowed = PROCESSING_INSTANCE_TYPES
        elif step["Type"] == "Training":
            cluster = arguments["ResourceConfig"]
            network = arguments
            output_key = arguments["OutputDataConfig"]["KmsKeyId"]
            allowed = TRAINING_INSTANCE_TYPES
        else:
            continue
        instance_type = parameters[cluster["InstanceType"]["Get"].removeprefix("Parameters.")]
        assert instance_type["DefaultValue"] in allowed
        assert set(instance_type["EnumValues"]) <= set(allowed)
        assert network["EnableNetworkIsolation"] is True
        assert network["EnableInterContainerTrafficEncryption"] is True
        assert cluster["VolumeKmsKeyId"] == output_key == "${KmsKeyArn}"


# --- the code and sample deployments -------------------------------------------------------


def test_the_deployments_write_only_below_code_and_the_sample_key(
    template: dict[str, Any], ids: dict[str, str]
) -> None:
    statements = _policy(template, "PipelineDeploymentsRole")
    assert not {a for a in _actions(statements) if a.startswith("s3:Delete")}
    (put,) = _with_action(statements, "s3:PutObject")
    assert _object_suffixes(put, ids["artifacts"]) == {"/code/*"}
    assert _object_suffixes(put, ids["data"]) == {"/data/sample/house_data.csv"}
    (listing,) = _with_action(statements, "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["code/*", "data/sample/*"]}}
    (read,) = _with_action(statements, "s3:GetObject")
    assert len(_as_list(read["Resource"])) == 2  # the two asset objects, by key


def test_the_deployments_run_as_that_role_and_hold_no_managed_policy(
    template: dict[str, Any],
) -> None:
    role = _logical_id(template, "AWS::IAM::Role", "PipelineDeploymentsRole")
    (handler,) = [
        r
        for logical_id, r in template["Resources"].items()
        if logical_id.startswith("CustomCDKBucketDeployment")
    ]
    assert handler["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    assert "ManagedPolicyArns" not in template["Resources"][role]["Properties"]


# --- the key policy, the trigger role and the bucket policies --------------------------------


def test_cloudwatch_logs_may_use_the_key_only_for_this_stacks_log_groups(
    template: dict[str, Any], ids: dict[str, str]
) -> None:
    statements = template["Resources"][ids["key"]]["Properties"]["KeyPolicy"]["Statement"]
    (logs,) = [
        s for s in statements if s["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    ]
    arn = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert arn["Fn::Join"][1][-1] == ":log-group:/house-price-ml-pipeline/*"
    names = sorted(
        r["Properties"]["LogGroupName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::LogGroup"
    )
    assert names == ["/house-price-ml-pipeline/code-deployment", "/house-price-ml-pipeline/trigger"]


def test_the_trigger_role_holds_no_encrypt_or_reencrypt(template: dict[str, Any]) -> None:
    actions = {a for a in _actions(_policy(template, "TriggerRole")) if a.startswith("kms:")}
    assert actions == {"kms:GenerateDataKey", "kms:Decrypt"}


@pytest.mark.parametrize("bucket", ["data", "artifacts"])
def test_uploads_under_another_key_or_none_are_refused(
    template: dict[str, Any], ids: dict[str, str], bucket: str
) -> None:
    (policy,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy"
        and r["Properties"]["Bucket"] == {"Ref": ids[bucket]}
    ]
    denies = {
        s["Sid"]: s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s["Action"] == "s3:PutObject"
    }
    key = ids["key"]
    assert {sid: s["Condition"] for sid, s in denies.items()} == {
        "DenyEncryptionOtherThanKms": {
            "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
        },
        "DenyKmsKeysOtherThanTheStackKey": {
            "StringNotEqualsIfExists": {
                KEY_ID_CONDITION: [{"Fn::GetAtt": [key, "Arn"]}, {"Ref": key}]
            }
        },
        "DenyKmsWithoutAKey": {
            "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            "Null": {KEY_ID_CONDITION: "true"},
        },
    }
    for deny in denies.values():
        assert deny["Principal"] == {"AWS": "*"}


def test_the_deployments_send_the_key_the_bucket_policies_accept(
    synthesis: Synthesis, ids: dict[str, str]
) -> None:
    deployments = synthesis.resources("Custom::CDKBucketDeployment").values()
    assert [d["Properties"]["SystemMetadata"] for d in deployments] == [
        {"sse": "aws:kms", "sse-kms-key-id": {"Fn::GetAtt": [ids["key"], "Arn"]}}
    ] * 2


# --- acknowledgements ----------------------------------------------------------------------


def _acknowledgements(synthesis: Synthesis) -> dict[str, dict[str, str]]:
    """Construct path -> {finding: reason}, as CDK records them in the assembly."""
    metadata = json.loads((synthesis.outdir / "house-price-ml-pipeline.metadata.json").read_text())
    found: dict[str, dict[str, str]] = {}
    for path, entries in metadata.items():
        for entry in entries:
            if entry.get("type") == "aws:cdk:acknowledged-rules":
                found.setdefault(path, {}).update(
                    {k.removeprefix("Annotation::"): str(v) for k, v in entry["data"].items()}
                )
    return found


def test_every_iam5_acknowledgement_names_what_its_policy_grants(synthesis: Synthesis) -> None:
    """No acknowledgement excuses a grant that is not there (a stale or mismatched reason)."""
    template_text = json.dumps(synthesis.template)
    checked = 0
    for path, findings in _acknowledgements(synthesis).items():
        for finding in findings:
            if not finding.startswith("AwsSolutions-IAM5[Action::"):
                continue
            action = finding.removeprefix("AwsSolutions-IAM5[Action::").removesuffix("]")
            assert f'"{action}"' in template_text, (path, finding)
            checked += 1
    assert checked


def test_the_reviewed_acknowledgements_match_their_grants(synthesis: Synthesis) -> None:
    reasons = " ".join(
        reason for findings in _acknowledgements(synthesis).values() for reason in findings.values()
    )
    assert "s3:DeleteObject*" not in json.dumps(_acknowledgements(synthesis))
    assert "InputData names a file or folder below the raw prefix" in reasons
    assert "puts the content-hashed code bundles below code/" in reasons
    assert "allowed instance types, network isolation" in reasons
    assert "only writes its own logs" not in reasons
    assert "any log group of the account" in reasons
