"""The SageMaker pipeline: its definition rendered by the SDK, its code, and what it may do.

At synth the construct renders the definition offline (see `pipeline_definition.build.render`),
ships the staged code to the artifact bucket and the embedded sample data to the data bucket (at
the key InputData defaults to, outside the trigger's raw prefix, so deploying starts no run), and
emits an `AWS::SageMaker::Pipeline` whose body is the rendered JSON with its `${...}` placeholders
resolved by `Fn::Sub`. The pipeline is created only once both deployments are in place.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from aws_cdk import ArnFormat, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from pipeline_definition.build.config import PipelineConfig
from pipeline_definition.build.render import RenderedDefinition, render_definition
from pipeline_definition.check.validate import format_issues, validate_definition
from pipeline_definition.model import placeholders
from pipeline_definition.model.expressions import image_uris_in, repository_arns
from project.paths import SAMPLE_DATA
from stacks.checkov import CDK_HELPER_FUNCTION_SKIPS, skip_checks
from stacks.log_groups import encrypted_log_group
from stacks.model_registry import model_package_arns
from stacks.nag import (
    LAMBDA_BASIC_EXECUTION_FINDING,
    READ_WRITE_GRANT_ACTIONS,
    acknowledge,
    grant_action_findings,
    wildcard_resource,
)


class InvalidDefinitionError(ValueError):
    """The rendered definition would be rejected by SageMaker."""


class SageMakerPipeline(Construct):
    """Renders the definition and deploys it as an `AWS::SageMaker::Pipeline`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PipelineConfig,
        staging_dir: Path,
        role: iam.IRole,
        data_bucket: s3.IBucket,
        artifact_bucket: s3.IBucket,
        key: kms.IKey,
        render_cache_dir: Path | None = None,
        sample_data: Path = SAMPLE_DATA,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rendered: RenderedDefinition = render_definition(
            config, staging_dir, cache_dir=render_cache_dir
        )
        issues = validate_definition(self.rendered.definition)
        if issues:
            raise InvalidDefinitionError(
                f"the rendered definition of {config.pipeline_name} fails validation against "
                f"the SageMaker API model ({len(issues)} issue(s)):\n{format_issues(issues)}"
            )
        self.pipeline_name = config.pipeline_name
        code_asset = s3_assets.Asset(self, "CodeAsset", path=str(self.rendered.staging_dir))
        code_logs = encrypted_log_group(self, "CodeDeploymentLogs", key)
        self.code = s3deploy.BucketDeployment(
            self,
            "Code",
            sources=[s3deploy.Source.bucket(code_asset.bucket, code_asset.s3_object_key)],
            destination_bucket=artifact_bucket,
            # Keys are content hashes: old code stays for cached and running executions.
            prune=False,
            retain_on_delete=True,
            server_side_encryption=s3deploy.ServerSideEncryption.AWS_KMS,
            server_side_encryption_aws_kms_key_id=key.key_id,
            log_group=code_logs,
            memory_limit=512,
        )
        key.grant_encrypt_decrypt(self.code.handler_role)
        self.sample_data = self._ship_sample_data(
            sample_data, config.sample_data_key, data_bucket, key, code_logs
        )

        variables = {
            placeholders.ARTIFACT_BUCKET: artifact_bucket.bucket_name,
            placeholders.DATA_BUCKET: data_bucket.bucket_name,
            placeholders.KMS_KEY_ARN: key.key_arn,
            # The part of the ARN after ":role/", so that a role with a path keeps it.
            placeholders.ROLE_NAME: Fn.select(1, Fn.split(":role/", role.role_arn)),
        }
        self.pipeline = sagemaker.CfnPipeline(
            self,
            "Pipeline",
            pipeline_name=config.pipeline_name,
            role_arn=role.role_arn,
            pipeline_definition={
                "PipelineDefinitionBody": Fn.sub(self.rendered.body, variables),
            },
            pipeline_description="House-price model: process, train, evaluate, gate, register",
        )
        # The definition refers to code objects, and InputData's default to the sample object,
        # that the deployments put in place.
        self.pipeline.node.add_dependency(self.code, self.sample_data)

        self._allow_running(role, config)
        self._acknowledge_code_deployment(code_asset, artifact_bucket, data_bucket)

    def _ship_sample_data(
        self,
        sample_data: Path,
        sample_key: str,
        data_bucket: s3.IBucket,
        key: kms.IKey,
        log_group: logs.ILogGroup,
    ) -> s3deploy.BucketDeployment:
        """Deploy the sample file, alone, to `sample_key` in the data bucket."""
        prefix, name = posixpath.split(sample_key)
        if name != sample_data.name:
            raise ValueError(
                f"the sample key {sample_key!r} must end with the file name {sample_data.name!r}"
            )
        return s3deploy.BucketDeployment(
            self,
            "SampleData",
            # The folder asset holds the one file: everything else in its folder is excluded.
            sources=[
                s3deploy.Source.asset(
                    str(sample_data.parent), exclude=["*", f"!{sample_data.name}"]
                )
            ],
            destination_bucket=data_bucket,
            destination_key_prefix=f"{prefix}/",
            # Other objects near the sample are the user's: never delete them.
            prune=False,
            retain_on_delete=True,
            server_side_encryption=s3deploy.ServerSideEncryption.AWS_KMS,
            server_side_encryption_aws_kms_key_id=key.key_id,
            log_group=log_group,
            memory_limit=512,
        )

    def _allow_running(self, role: iam.IRole, config: PipelineConfig) -> None:
        stack = Stack.of(self)

        def arn(resource: str, name: str) -> str:
            return stack.format_arn(
                service="sagemaker",
                resource=resource,
                resource_name=name,
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )

        # Pipelines name the jobs they start "pipelines-<execution>-<step>-<suffix>".
        jobs = [arn("processing-job", "pipelines-*"), arn("training-job", "pipelines-*")]
        # By name: the group may be created by this stack or adopted from an earlier one.
        group, model_packages = model_package_arns(self, config.model_package_group_name)
        statements = [
            iam.PolicyStatement(
                sid="RunPipelineJobs",
                actions=[
                    "sagemaker:AddTags",
                    "sagemaker:CreateProcessingJob",
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:DescribeProcessingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:StopTrainingJob",
                ],
                resources=jobs,
            ),
            iam.PolicyStatement(
                sid="RegisterModels",
                actions=[
                    "sagemaker:CreateModelPackage",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:AddTags",
                ],
                resources=[group, model_packages],
            ),
            iam.PolicyStatement(
                sid="PassRoleToJobs",
                actions=["iam:PassRole"],
                resources=[role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="PullStepImages",
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                resources=repository_arns(
                    image_uris_in(self.rendered.definition), partition=stack.partition
                ),
            ),
            iam.PolicyStatement(
                sid="EcrLogin",
                actions=["ecr:GetAuthorizationToken"],
                resources=["*"],
            ),
        ]
        for statement in statements:
            role.add_to_principal_policy(statement)
        if isinstance(role, iam.Role):
            acknowledge(
                role.node.find_child("DefaultPolicy"),
                {
                    wildcard_resource(self, jobs[0]): "job names are generated per execution "
                    "and step",
                    wildcard_resource(self, jobs[1]): "job names are generated per execution "
                    "and step",
                    wildcard_resource(self, model_packages): "each registration is a new version",
                },
            )

    def _acknowledge_code_deployment(
        self, asset: s3_assets.Asset, bucket: s3.IBucket, data_bucket: s3.IBucket
    ) -> None:
        handler_role = self.code.handler_role
        handler = handler_role.node.scope
        assert handler is not None
        skip_checks(
            handler,
            {
                **CDK_HELPER_FUNCTION_SKIPS,
                "CKV_AWS_173": "CDK-managed handler; its environment holds no secrets, only "
                "settings aws-cdk-lib writes",
            },
        )
        managed = "CDK's BucketDeployment handler, a singleton whose settings aws-cdk-lib owns"
        acknowledge(
            handler,
            {
                "AwsSolutions-L1": f"{managed}; its runtime follows aws-cdk-lib releases.",
                "Serverless-LambdaDLQ": f"{managed}; CloudFormation reports its failures.",
                "Serverless-LambdaLatestVersion": f"{managed}; its runtime follows aws-cdk-lib.",
                "Serverless-LambdaTracing": f"{managed}; a one-shot copy needs no tracing.",
            },
        )
        acknowledge(
            handler_role,
            {LAMBDA_BASIC_EXECUTION_FINDING: f"{managed}; the policy only allows writing logs."},
        )
        findings = grant_action_findings(READ_WRITE_GRANT_ACTIONS)
        findings[wildcard_resource(self, asset.bucket.arn_for_objects("*"))] = (
            "reads the staged code asset from the CDK bootstrap bucket"
        )
        findings[wildcard_resource(self, bucket.arn_for_objects("*"))] = (
            "writes the code objects into the artifact bucket below code/"
        )
        # With S3_BUCKET one bucket plays both parts; then this repeats the finding above.
        findings.setdefault(
            wildcard_resource(self, data_bucket.arn_for_objects("*")),
            "writes the sample data into the data bucket below data/sample/",
        )
        acknowledge(handler_role.node.find_child("DefaultPolicy"), findings)
