"""The SageMaker pipeline: its definition rendered by the SDK, its code, and what it may do.

At synth the construct renders the definition offline (see `pipeline_definition.build.render`),
ships the staged code to the artifact bucket and the embedded sample data to the data bucket (at
the key InputData defaults to, outside the trigger's raw prefix, so deploying starts no run), and
emits an `AWS::SageMaker::Pipeline` whose body is the rendered JSON with its `${...}` placeholders
resolved by `Fn::Sub`. The pipeline is created only once both deployments are in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from pipeline_definition.build.config import PipelineConfig
from pipeline_definition.build.instance_types import (
    PROCESSING_INSTANCE_TYPES,
    TRAINING_INSTANCE_TYPES,
)
from pipeline_definition.build.render import RenderedDefinition, render_definition
from pipeline_definition.check.validate import format_issues, validate_definition
from pipeline_definition.model import placeholders
from pipeline_definition.model.expressions import image_uris_in, repository_arns
from project.paths import SAMPLE_DATA
from stacks.deployments import ScopedDeployments
from stacks.model_registry import model_package_arns
from stacks.nag import acknowledge, wildcard_resource


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
        self.deployments = ScopedDeployments(
            self,
            "Deployments",
            staging_dir=self.rendered.staging_dir,
            artifact_bucket=artifact_bucket,
            sample_data=sample_data,
            sample_key=config.sample_data_key,
            data_bucket=data_bucket,
            key=key,
        )
        self.code = self.deployments.code
        self.sample_data = self.deployments.sample_data

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

        self._allow_running(role, config, key)

    def _job_conditions(self, instance_types: tuple[str, ...], key: kms.IKey) -> dict[str, Any]:
        """What every job the pipeline creates must request: allowed instance types only, no
        network, encrypted traffic, volumes and outputs under the stack's key."""
        return {
            "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": list(instance_types)},
            # ForAllValues holds for an empty set too: the key must be in the request.
            "Null": {"sagemaker:InstanceTypes": "false"},
            "Bool": {
                "sagemaker:NetworkIsolation": "true",
                "sagemaker:InterContainerTrafficEncryption": "true",
            },
            "ArnEquals": {
                "sagemaker:VolumeKmsKey": key.key_arn,
                "sagemaker:OutputKmsKey": key.key_arn,
            },
        }

    def _allow_running(self, role: iam.IRole, config: PipelineConfig, key: kms.IKey) -> None:
        stack = Stack.of(self)

        def arn(resource: str, name: str) -> str:
            return stack.format_arn(
                service="sagemaker",
                resource=resource,
                resource_name=name,
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )

        # Pipelines name the jobs they start "pipelines-<execution>-<step>-<suffix>".
        processing_jobs = arn("processing-job", "pipelines-*")
        training_jobs = arn("training-job", "pipelines-*")
        # By name: the group may be created by this stack or adopted from an earlier one.
        group, model_packages = model_package_arns(self, config.model_package_group_name)
        statements = [
            iam.PolicyStatement(
                sid="CreateProcessingJobsWithinLimits",
                actions=["sagemaker:CreateProcessingJob"],
                resources=[processing_jobs],
                conditions=self._job_conditions(PROCESSING_INSTANCE_TYPES, key),
            ),
            iam.PolicyStatement(
                sid="CreateTrainingJobsWithinLimits",
                actions=["sagemaker:CreateTrainingJob"],
                resources=[training_jobs],
                conditions=self._job_conditions(TRAINING_INSTANCE_TYPES, key),
            ),
            iam.PolicyStatement(
                sid="TrackPipelineJobs",
                actions=[
                    "sagemaker:AddTags",
                    "sagemaker:DescribeProcessingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:StopTrainingJob",
                ],
                resources=[processing_jobs, training_jobs],
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
            job_names = (
                "SageMaker Pipelines names each job pipelines-<execution id>-<step>-<suffix>; "
                "creating one also requires the allowed instance types, network isolation, "
                "encrypted inter-container traffic and the stack key on volumes and outputs "
                "(conditions of the Create statements)"
            )
            acknowledge(
                role.node.find_child("DefaultPolicy"),
                {
                    wildcard_resource(self, processing_jobs): job_names,
                    wildcard_resource(self, training_jobs): job_names,
                    wildcard_resource(self, model_packages): "each registration is a new "
                    "version of this group's model package",
                },
            )
