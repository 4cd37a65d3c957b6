"""The data storage construct: key, buckets and their protections."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

KMS = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": Match.any_value()}


def _buckets(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]


def test_customer_managed_key_rotates_and_is_retained(cdk_template: Template) -> None:
    cdk_template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like({"EnableKeyRotation": True}),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_three_buckets_block_public_access_are_versioned_and_retained(
    template: dict[str, Any],
) -> None:
    buckets = _buckets(template)
    assert len(buckets) == 3
    for bucket in buckets:
        assert bucket["DeletionPolicy"] == "Retain"
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}


def test_data_and_artifact_buckets_use_the_stack_key_and_log_access(
    cdk_template: Template,
) -> None:
    for prefix in ("data/", "artifacts/"):
        cdk_template.has_resource_properties(
            "AWS::S3::Bucket",
            {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "BucketKeyEnabled": True,
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": {"Fn::GetAtt": [Match.any_value(), "Arn"]},
                            },
                        }
                    ]
                },
                "LoggingConfiguration": {
                    "DestinationBucketName": {"Ref": Match.any_value()},
                    "LogFilePrefix": prefix,
                },
            },
        )


def test_only_the_data_bucket_sends_events_to_eventbridge(template: dict[str, Any]) -> None:
    notifications = [
        r for r in template["Resources"].values() if r["Type"] == "Custom::S3BucketNotifications"
    ]
    assert len(notifications) == 1
    assert notifications[0]["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {}
    }


def test_every_bucket_policy_denies_requests_without_tls(template: dict[str, Any]) -> None:
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy"]
    assert len(policies) == 3
    for policy in policies:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            and s["Action"] == "s3:*"
            for s in statements
        )


def test_access_log_bucket_uses_s3_managed_keys_and_expires_logs(cdk_template: Template) -> None:
    cdk_template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "LifecycleConfiguration": {
                "Rules": [Match.object_like({"ExpirationInDays": 365, "Status": "Enabled"})]
            },
        },
    )
