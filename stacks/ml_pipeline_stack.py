"""The one stack: it composes the constructs and wires them with grants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from pipeline_definition.build.config import pipeline_config
from project.run_parameters import definition_parameters
from project.settings import Settings
from stacks.alarms import PipelineAlarms
from stacks.execution_role import SageMakerExecutionRole
from stacks.model_deployer import ModelDeployerPolicy
from stacks.model_registry import ModelRegistry
from stacks.sagemaker_pipeline import SageMakerPipeline
from stacks.storage import DataStorage
from stacks.trigger.construct import PipelineTrigger, pipeline_arns


class MlPipelineStack(Stack):
    """Buckets, key, role, model registry, the SageMaker pipeline, its trigger and alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        staging_dir: Path,
        render_cache_dir: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = DataStorage(
            self,
            "DataStorage",
            project_name=settings.project_name,
            existing_bucket_name=settings.existing_bucket_name,
        )
        execution_role = SageMakerExecutionRole(
            self,
            "ExecutionRole",
            data_bucket=storage.data_bucket,
            artifact_bucket=storage.artifact_bucket,
            key=storage.key,
            raw_data_prefix=settings.raw_data_prefix,
            sample_data_key=settings.sample_data_key,
            existing_role_arn=settings.existing_role_arn,
        )
        registry = ModelRegistry(
            self,
            "ModelRegistry",
            group_name=settings.model_package_group_name,
            adopt=settings.adopts_model_package_group,
        )
        pipeline = SageMakerPipeline(
            self,
            "Pipeline",
            config=pipeline_config(settings),
            staging_dir=staging_dir,
            render_cache_dir=render_cache_dir,
            role=execution_role.role,
            data_bucket=storage.data_bucket,
            artifact_bucket=storage.artifact_bucket,
            key=storage.key,
        )
        if registry.group is not None:
            pipeline.pipeline.node.add_dependency(registry.group)
        trigger = PipelineTrigger(
            self,
            "Trigger",
            data_bucket=storage.data_bucket,
            raw_data_prefix=settings.raw_data_prefix,
            pipeline_name=settings.pipeline_name,
            parameters=list(definition_parameters(pipeline.rendered.definition).values()),
            key=storage.key,
            schedule=settings.trigger_schedule,
            skip_if_running=settings.skip_if_running,
            reserved_concurrency=settings.trigger_reserved_concurrency,
            model_package_group_name=registry.group_name,
            artifact_bucket=storage.artifact_bucket,
        )
        # The rules go live only once the pipeline exists.
        trigger.node.add_dependency(pipeline.pipeline)
        alarms = PipelineAlarms(
            self,
            "Alarms",
            key=storage.key,
            pipeline_arns=pipeline_arns(self, settings.pipeline_name),
            queues={
                "UndeliveredEvents": trigger.undelivered_events,
                "FailedEvents": trigger.failed_events,
            },
            function=trigger.function,
            dead_letter_queue=trigger.undelivered_events,
            email=settings.notification_email,
        )
        deployer = ModelDeployerPolicy(
            self,
            "ModelDeployer",
            artifact_bucket=storage.artifact_bucket,
            key=storage.key,
            group_name=registry.group_name,
        )

        CfnOutput(self, "PipelineName", value=settings.pipeline_name)
        CfnOutput(self, "DataBucketName", value=storage.data_bucket.bucket_name)
        CfnOutput(
            self,
            "RawDataLocation",
            value=f"s3://{storage.data_bucket.bucket_name}/{settings.raw_data_prefix}",
        )
        CfnOutput(
            self,
            "SampleDataLocation",
            value=f"s3://{storage.data_bucket.bucket_name}/{settings.sample_data_key}",
        )
        CfnOutput(self, "ArtifactBucketName", value=storage.artifact_bucket.bucket_name)
        CfnOutput(self, "ModelPackageGroupName", value=registry.group_name)
        CfnOutput(self, "KmsKeyArn", value=storage.key.key_arn)
        CfnOutput(self, "ModelDeployerPolicyArn", value=deployer.policy.managed_policy_arn)
        CfnOutput(self, "ExecutionRoleArn", value=execution_role.role.role_arn)
        CfnOutput(self, "TriggerFunctionName", value=trigger.function.function_name)
        CfnOutput(self, "FailedEventsQueueUrl", value=trigger.failed_events.queue_url)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)
