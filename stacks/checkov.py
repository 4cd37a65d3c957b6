"""Checkov skips, written where the resource is made so each one carries its reason.

Checkov reads `Metadata.checkov.skip` on a CloudFormation resource; nothing else is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnResource
from constructs import IConstruct


def skip_checks(construct: IConstruct, reasons: Mapping[str, str]) -> None:
    """Skip the given checkov checks on the construct's CloudFormation resource."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to annotate")
    existing = resource.get_metadata("checkov") or {}
    skips = [*existing.get("skip", []), *({"id": i, "comment": r} for i, r in reasons.items())]
    resource.add_metadata("checkov", {"skip": skips})


# CDK-managed helper functions (bucket notifications, bucket deployment) run only during
# deployments, as CloudFormation custom resources.
CDK_HELPER_FUNCTION_SKIPS = {
    "CKV_AWS_116": "CDK-managed deploy-time custom resource handler; CloudFormation reports "
    "its failures, a DLQ would hold nothing actionable",
    "CKV_AWS_117": "CDK-managed deploy-time handler that only calls S3; no VPC resources to reach",
    "CKV_AWS_115": "CDK-managed deploy-time handler invoked once per deployment by CloudFormation",
}
