"""The Model Registry group that RegisterModel adds versions to: created here, or adopted.

The group has a fixed name and outlives the stack, so a group that already exists (made by the
seed's scripts, or retained by an earlier `cdk destroy`) cannot be created again: CloudFormation
fails with "already exists". Adopting it creates nothing; the grants name the group either way.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct


def model_package_arns(scope: Construct, group_name: str) -> tuple[str, str]:
    """The ARNs of the group and of every model package version in it."""
    stack = Stack.of(scope)

    def arn(resource: str, name: str) -> str:
        return stack.format_arn(
            service="sagemaker",
            resource=resource,
            resource_name=name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    return arn("model-package-group", group_name), arn("model-package", f"{group_name}/*")


class ModelRegistry(Construct):
    """A Model Package Group, retained with the models registered in it, or an existing one."""

    def __init__(
        self, scope: Construct, construct_id: str, *, group_name: str, adopt: bool = False
    ) -> None:
        super().__init__(scope, construct_id)
        self.group_name = group_name
        self.group: sagemaker.CfnModelPackageGroup | None = None
        if adopt:
            return
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=group_name,
            model_package_group_description="House-price models registered by the pipeline",
        )
        # Registered model versions are records worth keeping after the stack is gone.
        self.group.apply_removal_policy(RemovalPolicy.RETAIN)
