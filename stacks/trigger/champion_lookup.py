"""What the trigger's champion lookup needs from the stack: its environment and its permissions."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from project.champion import CHAMPION_MODEL_DATA, models_prefix
from project.run_parameters import ParameterSpec
from stacks.model_registry import model_package_arns
from stacks.trigger.handler.champion import GROUP_VARIABLE, PREFIX_VARIABLE


def champion_environment(
    parameters: Sequence[ParameterSpec], group_name: str | None, artifact_bucket: s3.IBucket | None
) -> dict[str, str]:
    """The lookup's environment when the pipeline compares with a champion, else nothing."""
    if not any(spec.name == CHAMPION_MODEL_DATA for spec in parameters):
        return {}
    if group_name is None or artifact_bucket is None:
        raise ValueError(
            f"parameters declare {CHAMPION_MODEL_DATA}: the champion lookup needs "
            "model_package_group_name and artifact_bucket"
        )
    return {
        GROUP_VARIABLE: group_name,
        PREFIX_VARIABLE: models_prefix(artifact_bucket.bucket_name),
    }


def allow_champion_lookup(scope: Construct, role: iam.IRole, group_name: str) -> str:
    """Let `role` find the newest Approved version of the group; the versions' ARN pattern.

    ListModelPackages has no resource-level permissions; DescribeModelPackage is limited to the
    group's versions.
    """
    _, packages = model_package_arns(scope, group_name)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ListModelPackages",
            actions=["sagemaker:ListModelPackages"],
            resources=["*"],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="DescribeThisGroupsModelPackages",
            actions=["sagemaker:DescribeModelPackage"],
            resources=[packages],
        )
    )
    return packages
