"""Data storage: the KMS key, the data and artifact buckets, and their access logs.

Layout (one place to change it):

| location | holds |
| --- | --- |
| data bucket `data/raw/` | raw CSV files; a new object here starts a run |
| data bucket `processed/<execution>/ProcessData/` | splits, quarantine, report, transform |
| artifact bucket `code/` | the scripts and SDK drivers the definition refers to |
| artifact bucket `models/<execution>/` | `model.tar.gz` from TrainModel |
| artifact bucket `evaluation/<execution>/` | `evaluation.json` and plots |
| access-log bucket | server access logs of both buckets |

With an existing bucket (`S3_BUCKET`), that bucket plays both data roles under the same prefixes
and the stack neither creates nor changes it.

Default encryption covers only uploads that ask for nothing. So that nothing lands in the data
or artifact bucket under another key (or none), their policies refuse `s3:PutObject` that asks
for another encryption, another KMS key, or SSE-KMS without naming a key (which would use the
account's `aws/s3` key). Uploads that name the stack's key, by ARN or id, and uploads that name
none pass: the two BucketDeployments and SageMaker's job outputs name it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.checkov import CDK_HELPER_FUNCTION_SKIPS, skip_checks
from stacks.nag import LAMBDA_BASIC_EXECUTION_FINDING

ACCESS_LOG_RETENTION = Duration.days(365)
NONCURRENT_VERSION_RETENTION = Duration.days(90)
KMS_KEY_ID_CONDITION = "s3:x-amz-server-side-encryption-aws-kms-key-id"
NOTIFICATIONS_HANDLER_ID = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"


class DataStorage(Construct):
    """The KMS key and the buckets the pipeline reads and writes."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project_name: str,
        existing_bucket_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"{project_name}: encrypts pipeline data, models and job volumes",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.data_bucket: s3.IBucket
        self.artifact_bucket: s3.IBucket
        self.access_log_bucket: s3.Bucket | None = None
        if existing_bucket_name:
            existing = s3.Bucket.from_bucket_name(self, "ExistingBucket", existing_bucket_name)
            self.data_bucket = existing
            self.artifact_bucket = existing
            return

        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access log delivery supports only S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=ACCESS_LOG_RETENTION,
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
        )
        no_self_logging = "This is the access-log bucket; logging it into itself would loop."
        Validations.of(self.access_log_bucket).acknowledge(
            Acknowledgment(id="AwsSolutions-S1", reason=no_self_logging)
        )
        skip_checks(self.access_log_bucket, {"CKV_AWS_18": no_self_logging})
        # Raw data keeps every version; old versions of code and models expire.
        self.data_bucket = self._bucket("Data", "data", event_bridge=True, lifecycle_rules=[])
        self._acknowledge_notifications_handler()
        self.artifact_bucket = self._bucket(
            "Artifacts",
            "artifacts",
            event_bridge=False,
            lifecycle_rules=[
                s3.LifecycleRule(noncurrent_version_expiration=NONCURRENT_VERSION_RETENTION)
            ],
        )

    def _require_stack_key(self, bucket: s3.Bucket) -> None:
        """Refuse uploads encrypted otherwise than with the stack's key (see the docstring)."""
        refusals: dict[str, dict[str, Any]] = {
            "DenyEncryptionOtherThanKms": {
                "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
            },
            "DenyKmsKeysOtherThanTheStackKey": {
                "StringNotEqualsIfExists": {
                    KMS_KEY_ID_CONDITION: [self.key.key_arn, self.key.key_id]
                }
            },
            "DenyKmsWithoutAKey": {
                "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                "Null": {KMS_KEY_ID_CONDITION: "true"},
            },
        }
        for sid, conditions in refusals.items():
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[bucket.arn_for_objects("*")],
                    conditions=conditions,
                )
            )

    def _bucket(
        self,
        construct_id: str,
        log_prefix: str,
        *,
        event_bridge: bool,
        lifecycle_rules: list[s3.LifecycleRule],
    ) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=f"{log_prefix}/",
            event_bridge_enabled=event_bridge,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=lifecycle_rules,
        )
        self._require_stack_key(bucket)
        return bucket

    def _acknowledge_notifications_handler(self) -> None:
        # event_bridge_enabled adds CDK's singleton that turns on the bucket's EventBridge
        # notifications at deploy time; it is created at stack level under this fixed id.
        handler = Stack.of(self).node.try_find_child(NOTIFICATIONS_HANDLER_ID)
        if handler is None:
            return
        skip_checks(handler, CDK_HELPER_FUNCTION_SKIPS)
        Validations.of(handler.node.find_child("Role")).acknowledge(
            Acknowledgment(
                id=LAMBDA_BASIC_EXECUTION_FINDING,
                reason="CDK's bucket-notifications handler (code and role settings are "
                "aws-cdk-lib's): the managed policy lets it create and write any log group of the "
                "account, which only this deploy-time function, invoked by CloudFormation, uses.",
            )
        )
