"""Shipping the staged code and the embedded sample with CDK's BucketDeployment, narrowly.

`BucketDeployment` grants its handler read, write and delete on the whole destination bucket
(and the key) whatever `destination_key_prefix` says. Here both deployments run as one role of
our own, handed to them without policy updates, that may only:

- read the two asset objects in the CDK bootstrap bucket (`s3:GetObject` on their keys);
- list the two buckets, only for the prefixes it syncs (`code/`, the sample's folder);
- put objects below `code/` of the artifact bucket and at the sample's key, nothing else, with
  a data key from the stack's key (`kms:GenerateDataKey`, and `kms:Decrypt` for multipart
  uploads); it never deletes (`prune=False`, `retain_on_delete=True`);
- write its own log group.

Both send the key's ARN as the SSE-KMS key id, which the buckets' policies require.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct, IConstruct

from pipeline_definition.build.staging import CODE_PREFIX
from stacks.checkov import CDK_HELPER_FUNCTION_SKIPS, skip_checks
from stacks.log_groups import encrypted_log_group
from stacks.nag import acknowledge, wildcard_resource

MEMORY_LIMIT_MB = 512
# CDK creates the deployments' handler once per stack under this id (plus a settings hash).
HANDLER_ID_PREFIX = "Custom::CDKBucketDeployment"


class ScopedDeployments(Construct):
    """The code deployment (artifact bucket, `code/`) and the sample deployment (its one key)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        staging_dir: Path,
        artifact_bucket: s3.IBucket,
        sample_data: Path,
        sample_key: str,
        data_bucket: s3.IBucket,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        sample_prefix, name = posixpath.split(sample_key)
        if name != sample_data.name:
            raise ValueError(
                f"the sample key {sample_key!r} must end with the file name {sample_data.name!r}"
            )
        self.log_group = encrypted_log_group(self, "Logs", key, purpose="code-deployment")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Ships the pipeline code below code/ and the sample data (no deletes)",
        )
        self.code_asset = s3_assets.Asset(self, "CodeAsset", path=str(staging_dir / CODE_PREFIX))
        # The folder asset holds the one file: everything else in its folder is excluded.
        self.sample_asset = s3_assets.Asset(
            self, "SampleAsset", path=str(sample_data.parent), exclude=["*", f"!{name}"]
        )
        self.code_prefix = f"{CODE_PREFIX}/"
        self.sample_prefix = f"{sample_prefix}/"
        self.code = self._deploy("Code", self.code_asset, artifact_bucket, self.code_prefix, key)
        self.sample_data = self._deploy(
            "SampleData", self.sample_asset, data_bucket, self.sample_prefix, key
        )
        self._allow(artifact_bucket, data_bucket, sample_key, key)
        self._acknowledge_handler()

    def _deploy(
        self,
        construct_id: str,
        asset: s3_assets.Asset,
        bucket: s3.IBucket,
        prefix: str,
        key: kms.IKey,
    ) -> s3deploy.BucketDeployment:
        return s3deploy.BucketDeployment(
            self,
            construct_id,
            sources=[s3deploy.Source.bucket(asset.bucket, asset.s3_object_key)],
            destination_bucket=bucket,
            destination_key_prefix=prefix,
            # Keys are content hashes (code) or the user's neighbours (sample): never delete.
            prune=False,
            retain_on_delete=True,
            server_side_encryption=s3deploy.ServerSideEncryption.AWS_KMS,
            server_side_encryption_aws_kms_key_id=key.key_arn,
            # CDK's grants on the whole bucket land nowhere: `_allow` grants what is needed.
            role=self.role.without_policy_updates(),
            log_group=self.log_group,
            memory_limit=MEMORY_LIMIT_MB,
        )

    def _allow(
        self, artifact_bucket: s3.IBucket, data_bucket: s3.IBucket, sample_key: str, key: kms.IKey
    ) -> None:
        statements = [
            iam.PolicyStatement(
                sid="ReadTheTwoAssets",
                actions=["s3:GetObject"],
                resources=[
                    self.code_asset.bucket.arn_for_objects(self.code_asset.s3_object_key),
                    self.sample_asset.bucket.arn_for_objects(self.sample_asset.s3_object_key),
                ],
            ),
            iam.PolicyStatement(
                sid="ListOnlyTheSyncedPrefixes",
                actions=["s3:ListBucket"],
                resources=list(dict.fromkeys([artifact_bucket.bucket_arn, data_bucket.bucket_arn])),
                conditions={
                    "StringLike": {"s3:prefix": [f"{self.code_prefix}*", f"{self.sample_prefix}*"]}
                },
            ),
            iam.PolicyStatement(
                sid="PutCodeAndTheSample",
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[
                    artifact_bucket.arn_for_objects(f"{self.code_prefix}*"),
                    data_bucket.arn_for_objects(sample_key),
                ],
            ),
            iam.PolicyStatement(
                sid="EncryptWithTheStackKey",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[key.key_arn],
            ),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)
        self.log_group.grant_write(self.role)
        acknowledge(
            self.role.node.find_child("DefaultPolicy"),
            {
                wildcard_resource(self, artifact_bucket.arn_for_objects(f"{self.code_prefix}*")): (
                    "puts the content-hashed code bundles below code/ (code/<bundle>/<hash>/...); "
                    "no delete, and nothing outside code/"
                ),
            },
        )

    def _acknowledge_handler(self) -> None:
        """CDK's singleton handler (at stack level): its settings are aws-cdk-lib's."""
        for function in Stack.of(self).node.children:
            if function.node.id.startswith(HANDLER_ID_PREFIX):
                self._acknowledge_function(function)

    @staticmethod
    def _acknowledge_function(function: IConstruct) -> None:
        skip_checks(
            function,
            {
                **CDK_HELPER_FUNCTION_SKIPS,
                "CKV_AWS_173": "CDK-managed handler; its environment holds no secrets, only "
                "settings aws-cdk-lib writes",
            },
        )
        managed = "CDK's BucketDeployment handler, a singleton whose settings aws-cdk-lib owns"
        acknowledge(
            function,
            {
                "AwsSolutions-L1": f"{managed}; its runtime follows aws-cdk-lib releases.",
                "Serverless-LambdaDLQ": f"{managed}; CloudFormation reports its failures.",
                "Serverless-LambdaLatestVersion": f"{managed}; its runtime follows aws-cdk-lib.",
                "Serverless-LambdaTracing": f"{managed}; a one-shot copy needs no tracing.",
            },
        )
