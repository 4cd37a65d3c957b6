"""A customer-managed policy for whoever deploys a registered model.

TrainModel writes `model.tar.gz` below `models/` in the artifact bucket, encrypted with the
stack's key, and RegisterModel records that URI in the model package. SageMaker reads the
archive with the execution role given to CreateModel (hosting and batch transform alike), so
that role needs to read the object and decrypt it with this key; the key policy lets IAM
policies of the account grant that. Attach this policy to the role that hosts the model (and
to a person or pipeline that inspects the package). The container image is AWS's own XGBoost
image, not a resource of this stack: pulling it, and writing logs and metrics, stay with the
hosting role's own policies, as for any SageMaker model.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.model_registry import model_package_arns
from stacks.nag import acknowledge, wildcard_resource

MODELS_PREFIX = "models/*"


class ModelDeployerPolicy(Construct):
    """A managed policy that reads the registered models: package, archive and key."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        artifact_bucket: s3.IBucket,
        key: kms.IKey,
        group_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        group, packages = model_package_arns(self, group_name)
        models = artifact_bucket.arn_for_objects(MODELS_PREFIX)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Read the models registered in {group_name}: the model package, "
            "its model.tar.gz and the key it is encrypted with",
            statements=[
                iam.PolicyStatement(
                    sid="ReadModelArchives",
                    actions=["s3:GetObject"],
                    resources=[models],
                ),
                iam.PolicyStatement(
                    sid="DecryptModelArchives",
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                ),
                iam.PolicyStatement(
                    sid="DescribeRegisteredModels",
                    actions=[
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                    ],
                    resources=[group, packages],
                ),
            ],
        )
        acknowledge(
            self.policy,
            {
                wildcard_resource(self, models): "each execution writes its model.tar.gz "
                "below models/<execution id>/; nothing else in the bucket is readable",
                wildcard_resource(self, packages): "each registration is a new version of "
                "this group's model package",
            },
        )
