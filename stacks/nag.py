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

# The wildcard actions of a CDK read-write grant on a bucket encrypted with a KMS key.
READ_WRITE_GRANT_ACTIONS = (
    "s3:GetObject*",
    "s3:GetBucket*",
    "s3:List*",
    "s3:DeleteObject*",
    "s3:Abort*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
)

# Reasons for the wildcard actions that CDK's bucket and key grants emit.
GRANT_ACTION_REASONS = {
    "s3:GetObject*": "CDK bucket grant: object reads (versions, ACL, tags), only on the objects "
    "the same statement names",
    "s3:GetBucket*": "CDK bucket grant: bucket metadata reads, only on the bucket the same "
    "statement names",
    "s3:List*": "CDK bucket grant: listing, only the bucket the same statement names "
    "(S3Prefix inputs need it)",
    "s3:DeleteObject*": "CDK bucket grant: overwriting and deleting, only the objects the same "
    "statement names",
    "s3:Abort*": "CDK bucket grant: aborting multipart uploads, only on the objects the same "
    "statement names",
    "kms:ReEncrypt*": "CDK key grant: re-encryption with the stack's own key only",
    "kms:GenerateDataKey*": "CDK key grant: data keys from the stack's own key only",
}


def grant_action_findings(actions: tuple[str, ...]) -> dict[str, str]:
    """Finding ids and reasons for the named grant-generated wildcard actions."""
    return {wildcard_action(action): GRANT_ACTION_REASONS[action] for action in actions}
