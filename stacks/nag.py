"""Acknowledging cdk-nag findings precisely: one finding, one construct, one reason.

cdk-nag 3 names each IAM wildcard finding after the flattened CloudFormation value
(`AwsSolutions-IAM5[Resource::<DataBucket.Arn>/processed/*]`). Computing those names from the
same tokens the grants used keeps acknowledgements correct when logical IDs change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def _flatten_function(node: dict[str, Any]) -> str | None:
    if "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return str(delimiter).join(flatten_cfn_reference(item) for item in items)
    if "Fn::Sub" in node:
        return flatten_cfn_reference(node["Fn::Sub"])
    if "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
    if "Fn::ImportValue" in node:
        return flatten_cfn_reference(node["Fn::ImportValue"])
    if "Ref" in node:
        return f"<{flatten_cfn_reference(node['Ref'])}>"
    return None


def flatten_cfn_reference(node: Any) -> str:
    """Flatten a resolved CloudFormation value the way cdk-nag names its findings."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    flattened = _flatten_function(node) if isinstance(node, dict) else None
    return flattened if flattened is not None else json.dumps(node, separators=(",", ":"))


def wildcard_resource(scope: IConstruct, resource: str) -> str:
    """The IAM5 finding id for a wildcard resource (a string that may hold tokens)."""
    return (
        f"AwsSolutions-IAM5[Resource::{flatten_cfn_reference(Stack.of(scope).resolve(resource))}]"
    )


def wildcard_action(action: str) -> str:
    """The IAM5 finding id for a wildcard action such as `s3:GetObject*`."""
    return f"AwsSolutions-IAM5[Action::{action}]"


def acknowledge(construct: IConstruct, findings: Mapping[str, str]) -> None:
    """Acknowledge each finding id on `construct` with its reason."""
    Validations.of(construct).acknowledge(
        *[Acknowledgment(id=finding, reason=reason) for finding, reason in findings.items()]
    )


# CDK's own Lambda handlers attach this managed policy to write their logs.
LAMBDA_BASIC_EXECUTION_FINDING = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]"
)

# The wildcard actions of CDK's read grant on a bucket encrypted with a KMS key (its key grant
# is the encrypt/decrypt one where the same role also writes).
READ_GRANT_ACTIONS = (
    "s3:GetObject*",
    "s3:GetBucket*",
    "s3:List*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
)

# Reasons for the wildcard actions that CDK's bucket and key grants emit.
GRANT_ACTION_REASONS = {
    "s3:GetObject*": "CDK bucket read grant: GetObject and its version, ACL, tagging and "
    "attributes reads, only on the object prefixes the same statement names",
    "s3:GetBucket*": "CDK bucket read grant: bucket metadata reads (location, versioning, "
    "policy status), only on the bucket the same statement names",
    "s3:List*": "CDK bucket read grant: listing the bucket the same statement names (S3Prefix "
    "inputs list by key prefix) and its multipart uploads",
    "kms:ReEncrypt*": "CDK encrypt/decrypt grant on the stack's key, the one key of this stack's "
    "buckets, queues, topic and log groups (no other key): S3 re-encrypts on copies",
    "kms:GenerateDataKey*": "CDK encrypt/decrypt grant on the stack's key, the one key of this "
    "stack's buckets, queues, topic and log groups (no other key): every SSE-KMS write asks "
    "for a data key",
}


def grant_action_findings(actions: tuple[str, ...]) -> dict[str, str]:
    """Finding ids and reasons for the named grant-generated wildcard actions."""
    return {wildcard_action(action): GRANT_ACTION_REASONS[action] for action in actions}
