"""A moto account for the trigger handler: the pipeline created from the shipped definition and
a failed-events queue, with helpers to run `handle` and read what it did."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

from project.run_parameters import definition_parameters
from stacks.trigger.handler.handler import TriggerConfig, handle
from testsupport.definitions import event as event_fixture
from testsupport.definitions import shipped_definition_text

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

REGION = "us-east-1"
PIPELINE = "house-price-mlops-pipeline"
DATA_BUCKET = "house-price-data"
GROUP = "house-price-models"
MODELS = "s3://artifact-bucket/models/"
ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/pipeline"
DEFINITION = shipped_definition_text()
SPECS = definition_parameters(json.loads(DEFINITION))


def s3_event(**object_fields: Any) -> dict[str, Any]:
    """The sample S3 Object Created event with some object fields replaced."""
    event: dict[str, Any] = event_fixture("s3_object_created")
    event["detail"]["object"].update(object_fields)
    return event


class Aws:
    """Clients on moto with the pipeline created from the rendered definition."""

    def __init__(self) -> None:
        self.sagemaker: SageMakerClient = boto3.client("sagemaker", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.sagemaker.create_pipeline(
            PipelineName=PIPELINE,
            PipelineDefinition=DEFINITION,
            RoleArn=ROLE_ARN,
            ClientRequestToken="create-house-price-pipeline-0000000001",
        )
        self.queue_url = self.sqs.create_queue(QueueName="failed-events")["QueueUrl"]
        self.config = TriggerConfig(
            pipeline_name=PIPELINE,
            data_bucket=DATA_BUCKET,
            raw_data_prefix="data/raw/",
            parameters=SPECS,
            failed_events_queue_url=self.queue_url,
        )

    def handle(self, event: object, request_id: str = "req-1", **config: Any) -> dict[str, Any]:
        """Run the handler with this account's clients."""
        settings = TriggerConfig(**{**self.config.__dict__, **config})
        return handle(event, request_id, config=settings, sagemaker=self.sagemaker, queue=self.sqs)

    def register(self, url: str, status: str) -> str:
        """A model package version of the group with this model archive and status."""
        groups = self.sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
        if not groups:
            self.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        return self.sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,  # type: ignore[arg-type]
            InferenceSpecification={
                "Containers": [{"Image": "xgboost:3.2-0", "ModelDataUrl": url}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]

    def started_parameters(self) -> dict[str, str]:
        """The parameters of the one execution started so far."""
        (execution,) = self.executions().values()
        return {p["Name"]: p["Value"] for p in execution.pipeline_parameters}

    def executions(self) -> dict[str, Any]:
        """What moto recorded for each execution, by ARN."""
        backend = sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION]
        return dict(backend.pipelines[PIPELINE].pipeline_executions)

    def mark_executing(self, execution_arn: str) -> None:
        """moto finishes executions at once; make one still running."""
        self.executions()[execution_arn].pipeline_execution_status = "Executing"

    def parked(self) -> list[dict[str, Any]]:
        """Messages parked in the failed-events queue (all of them, then gone)."""
        messages: list[dict[str, Any]] = []
        while True:
            response = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            batch = response.get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


def mocked_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A fresh mocked account (moto): test credentials, the champion lookup's environment, no
    endpoint override."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "MODEL_PACKAGE_GROUP_NAME": GROUP,
        "CHAMPION_MODELS_PREFIX": MODELS,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield Aws()
