"""The Model Registry group that RegisterModel adds versions to."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct


class ModelRegistry(Construct):
    """A Model Package Group, retained with the models registered in it."""

    def __init__(self, scope: Construct, construct_id: str, *, group_name: str) -> None:
        super().__init__(scope, construct_id)
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=group_name,
            model_package_group_description="House-price models registered by the pipeline",
        )
        # Registered model versions are records worth keeping after the stack is gone.
        self.group.apply_removal_policy(RemovalPolicy.RETAIN)
        self.group_name = group_name
