"""The SageMaker execution role: what the pipeline and its jobs run as.

Trusted by `sagemaker.amazonaws.com` only. It reads what runs read in the data bucket (the raw
prefix, the sample object and `processed/`) and writes `processed/`; it reads the shipped code
and writes and reads models and evaluation reports, without any delete (object versions under
`models/` and `evaluation/` cannot be removed by a run); it encrypts with the stack's key,
creates grants on it only for AWS resources (job volumes), and writes job logs. The pipeline
construct adds what running the pipeline needs (creating jobs within limits, registering
models, pulling its images). No managed policies are attached.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.nag import (
    READ_GRANT_ACTIONS,
    acknowledge,
    grant_action_findings,
    wildcard_action,
    wildcard_resource,
)

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
PROCESSED = "processed/*"
CODE = "code/*"
MODELS = "models/*"
EVALUATION = "evaluation/*"


class SageMakerExecutionRole(Construct):
    """The role SageMaker assumes for the pipeline and each of its jobs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_bucket: s3.IBucket,
        artifact_bucket: s3.IBucket,
        key: kms.IKey,
        raw_data_prefix: str,
        sample_data_key: str,
        existing_role_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.created = existing_role_arn is None
        self.role: iam.IRole
        if existing_role_arn:
            # The existing role keeps its own policies; grants below reach it through the
            # bucket and key policies, which this stack owns.
            self.role = iam.Role.from_role_arn(self, "Role", existing_role_arn, mutable=False)
        else:
            self.role = iam.Role(
                self,
                "Role",
                assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE),
                description="SageMaker pipeline and job execution role (no managed policies)",
            )
            self._allow_logs_and_metrics(self.role)

        self.data_reads = {
            data_bucket.arn_for_objects(f"{raw_data_prefix}*"): (
                "InputData names a file or folder below the raw prefix (what the trigger sends)"
            ),
            data_bucket.arn_for_objects(sample_data_key): "",
            data_bucket.arn_for_objects(PROCESSED): (
                "ProcessData writes (put only, no delete) and TrainModel and EvaluateModel read "
                "its per-execution outputs below processed/"
            ),
        }
        for pattern in (f"{raw_data_prefix}*", sample_data_key, PROCESSED):
            data_bucket.grant_read(self.role, pattern)
        data_bucket.grant_put(self.role, PROCESSED)
        artifact_bucket.grant_read(self.role, CODE)
        # Put and read, never delete: a run cannot remove a registered model's versions.
        for prefix in (MODELS, EVALUATION):
            artifact_bucket.grant_put(self.role, prefix)
            artifact_bucket.grant_read(self.role, prefix)
        key.grant_encrypt_decrypt(self.role)
        key.grant(self.role, "kms:DescribeKey")
        # SageMaker encrypts job volumes through grants it creates with the role, for itself.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="GrantsForJobVolumesOnly",
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        if isinstance(self.role, iam.Role):
            self._acknowledge_wildcards(self.role, data_bucket, artifact_bucket)

    @property
    def role_name(self) -> str:
        """The role's name (a token when the role is created here)."""
        return self.role.role_name

    def _log_groups_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws/sagemaker/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _allow_logs_and_metrics(self, role: iam.Role) -> None:
        log_groups = self._log_groups_arn()
        role.add_to_policy(
            iam.PolicyStatement(
                sid="JobLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[log_groups, f"{log_groups}:log-stream:*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="JobMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            )
        )

    def _acknowledge_wildcards(
        self, role: iam.Role, data_bucket: s3.IBucket, artifact_bucket: s3.IBucket
    ) -> None:
        policy = role.node.find_child("DefaultPolicy")
        log_groups = self._log_groups_arn()
        findings = grant_action_findings(READ_GRANT_ACTIONS)
        findings[wildcard_action("s3:Abort*")] = (
            "CDK put grant: aborting this role's own multipart uploads, only below processed/, "
            "models/ and evaluation/ (large outputs are uploaded in parts)"
        )
        resources = {
            **{arn: reason for arn, reason in self.data_reads.items() if reason},
            artifact_bucket.arn_for_objects(CODE): (
                "steps read their content-hashed code bundles below code/"
            ),
            artifact_bucket.arn_for_objects(MODELS): (
                "TrainModel writes (put only, no delete) and EvaluateModel reads "
                "per-execution models below models/"
            ),
            artifact_bucket.arn_for_objects(EVALUATION): (
                "EvaluateModel writes (put only, no delete) and RegisterModel reads reports "
                "below evaluation/"
            ),
            log_groups: "SageMaker creates one log group per job type below /aws/sagemaker/",
            f"{log_groups}:log-stream:*": "each job writes its own log streams",
            "*": (
                "cloudwatch:PutMetricData (limited to /aws/sagemaker/ namespaces by condition) and "
                "ecr:GetAuthorizationToken have no resource-level permissions"
            ),
        }
        for resource, reason in resources.items():
            findings[wildcard_resource(self, resource)] = reason
        acknowledge(policy, findings)
