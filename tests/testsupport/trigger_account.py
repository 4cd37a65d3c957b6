"""A moto account for the trigger handler: the pipeline created from the shipped definition, a
failed-events queue, the new-data queue (which dead-letters into it) and the artifact bucket the
manifests go to, with helpers to run `handle` or a batch and read what they did."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

from project.manifests import parse_manifest
from project.run_parameters import definition_parameters
from stacks.trigger.handler.batch import BatchClients, handle_batch
from stacks.trigger.handler.handler import TriggerConfig, handle
from testsupport.definitions import event as event_fixture
from testsupport.definitions import shipped_definition_text
from testsupport.queue_source import EventSource

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

REGION = "us-east-1"
PIPELINE = "house-price-mlops-pipeline"
DATA_BUCKET = "house-price-data"
GROUP = "house-price-models"
ARTIFACT_BUCKET = "artifact-bucket"
MODELS = f"s3://{ARTIFACT_BUCKET}/models/"
MANIFESTS = f"s3://{ARTIFACT_BUCKET}/manifests/"
# Receives before SQS moves a message of the new-data queue to the failed-events queue.
MAX_RECEIVES = 5
# The event source's batching window in these tests: what is queued arrives as one batch.
BATCHING_WINDOW = 0.2
ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/pipeline"
DEFINITION = shipped_definition_text()
SPECS = definition_parameters(json.loads(DEFINITION))


def s3_event(**object_fields: Any) -> dict[str, Any]:
    """The sample S3 Object Created event with some object fields replaced."""
    event: dict[str, Any] = event_fixture("s3_object_created")
    event["detail"]["object"].update(object_fields)
    return event


def new_object(key: str, n: int = 1) -> dict[str, Any]:
    """An Object Created event for `key`; `n` tells events (and versions) apart."""
    event = s3_event(key=key, **{"version-id": f"v{n}", "sequencer": f"{n:018X}"})
    event["id"] = f"event-{key}-{n}"
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
        failed_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.new_data_url = self.sqs.create_queue(
            QueueName="new-data",
            Attributes={
                "VisibilityTimeout": "30",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": failed_arn, "maxReceiveCount": MAX_RECEIVES}
                ),
            },
        )["QueueUrl"]
        self.s3 = boto3.client("s3", region_name=REGION)
        self.s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        self.config = TriggerConfig(
            pipeline_name=PIPELINE,
            data_bucket=DATA_BUCKET,
            raw_data_prefix="data/raw/",
            parameters=SPECS,
            failed_events_queue_url=self.queue_url,
            manifests_location=MANIFESTS,
            new_data_queue_url=self.new_data_url,
        )

    def handle(self, event: object, request_id: str = "req-1", **config: Any) -> dict[str, Any]:
        """Run the handler with this account's clients."""
        settings = TriggerConfig(**{**self.config.__dict__, **config})
        return handle(event, request_id, config=settings, sagemaker=self.sagemaker, queue=self.sqs)

    def handle_batch(
        self,
        event: dict[str, Any],
        request_id: str = "req-1",
        remaining_ms: Callable[[], int] | None = None,
        **config: Any,
    ) -> dict[str, Any]:
        """Run the batch flow with this account's clients."""
        settings = TriggerConfig(**{**self.config.__dict__, **config})
        clients = BatchClients(sagemaker=self.sagemaker, s3=self.s3, queue=self.sqs)
        return handle_batch(
            event, request_id, config=settings, clients=clients, remaining_ms=remaining_ms
        )

    def source(self, remaining_ms: Callable[[], int] | None = None, **config: Any) -> EventSource:
        """The event source mapping on the new-data queue, invoking the batch flow."""
        return EventSource(
            self.sqs,
            self.new_data_url,
            lambda event, request_id: self.handle_batch(event, request_id, remaining_ms, **config),
            window=BATCHING_WINDOW,
            region=REGION,
        )

    def send(self, *events: object) -> None:
        """Put events on the new-data queue, as the EventBridge rules do."""
        for event in events:
            self.sqs.send_message(QueueUrl=self.new_data_url, MessageBody=json.dumps(event))

    def queued(self) -> int:
        """Messages in the new-data queue, visible or not."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.new_data_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def manifest_keys(self, execution: Any) -> list[str]:
        """The object URIs an execution's manifest lists."""
        parameters = {p["Name"]: p["Value"] for p in execution.pipeline_parameters}
        bucket, _, key = parameters["InputData"].removeprefix("s3://").partition("/")
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        return parse_manifest(body).uris

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
