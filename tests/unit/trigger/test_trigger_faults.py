"""The trigger handler when AWS fails: retryable errors re-raise, the rest are parked."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import ANY, Stubber

from project.run_parameters import parse_declarations
from stacks.trigger.handler.aws_errors import is_retryable
from stacks.trigger.handler.handler import TriggerConfig, handle
from testsupport.definitions import event as event_fixture
from testsupport.lambda_logs import lambda_json

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

PIPELINE = "house-price-mlops-pipeline"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/failed-events"
CONFIG = TriggerConfig(
    pipeline_name=PIPELINE,
    data_bucket="house-price-data",
    raw_data_prefix="data/raw/",
    parameters=parse_declarations(
        [{"Name": "InputData", "Type": "String"}, {"Name": "MaxDepth", "Type": "Integer"}]
    ),
    failed_events_queue_url=QUEUE_URL,
)
START_PARAMS = {
    "PipelineName": PIPELINE,
    "PipelineExecutionDisplayName": ANY,
    "PipelineExecutionDescription": ANY,
    "PipelineParameters": [
        {"Name": "InputData", "Value": "s3://house-price-data/data/raw/house_data.csv"}
    ],
    "ClientRequestToken": ANY,
}


class RecordingQueue:
    """Stands in for the SQS client: records what the handler parks."""

    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[dict[str, str]] = []
        self.error = error

    def send_message(self, **kwargs: str) -> Mapping[str, Any]:
        """Record the message, or fail like SQS would."""
        if self.error is not None:
            raise self.error
        self.sent.append(kwargs)
        return {"MessageId": str(len(self.sent))}


def s3_event() -> dict[str, Any]:
    """The sample S3 Object Created event."""
    event: dict[str, Any] = event_fixture("s3_object_created")
    return event


def error_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The ERROR-level log records so far, as Lambda's JSON log format prints them."""
    return [line for line in lambda_json(caplog.records) if line["level"] == "ERROR"]


@pytest.fixture
def sagemaker() -> Iterator[tuple[SageMakerClient, Stubber]]:
    """A SageMaker client whose answers the test scripts; no request leaves the process."""
    client = boto3.client(
        "sagemaker",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
        ("ResourceLimitExceeded", 400),
        ("ConflictException", 400),
    ],
)
def test_retryable_errors_are_logged_and_re_raised(
    sagemaker: tuple[SageMakerClient, Stubber],
    caplog: pytest.LogCaptureFixture,
    code: str,
    status: int,
) -> None:
    client, stubber = sagemaker
    stubber.add_client_error(
        "start_pipeline_execution",
        service_error_code=code,
        service_message="try later",
        http_status_code=status,
        expected_params=START_PARAMS,
    )
    queue = RecordingQueue()

    with pytest.raises(ClientError) as raised:
        handle(s3_event(), "req-1", config=CONFIG, sagemaker=client, queue=queue)

    assert raised.value.response["Error"]["Code"] == code
    assert queue.sent == []
    (line,) = error_lines(caplog)
    assert line["message"] == "Retryable AWS error; raising so the invocation is retried"
    assert line["error_code"] == code
    assert line["errorType"] == type(raised.value).__name__
    assert line["key"] == "data/raw/house_data.csv"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ValidationException", 400),
        ("AccessDeniedException", 400),
        ("ResourceNotFound", 400),
    ],
)
def test_non_retryable_errors_are_rejected_and_parked_with_the_reason(
    sagemaker: tuple[SageMakerClient, Stubber],
    caplog: pytest.LogCaptureFixture,
    code: str,
    status: int,
) -> None:
    client, stubber = sagemaker
    stubber.add_client_error(
        "start_pipeline_execution",
        service_error_code=code,
        service_message=f"{code} says no",
        http_status_code=status,
        expected_params=START_PARAMS,
    )
    queue = RecordingQueue()
    event = s3_event()

    result = handle(event, "req-1", config=CONFIG, sagemaker=client, queue=queue)

    assert result["status"] == "rejected"
    assert result["error_code"] == code
    assert f"{code} says no" in result["reason"]
    (message,) = queue.sent
    assert message["QueueUrl"] == QUEUE_URL
    body = json.loads(message["MessageBody"])
    assert body["event"] == event
    assert body["error_code"] == code
    assert body["request_id"] == "req-1"
    (line,) = error_lines(caplog)
    assert line["message"] == "Event rejected; it will not be retried"
    assert line["error_code"] == code
    assert f"{code} says no" in line["reason"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("not an object", "the event must be a JSON object, got str"),
        ({}, "not an S3, schedule or manual event"),
        ({"source": "aws.s3", "detail-type": "Object Deleted"}, "unsupported event"),
        (
            {**s3_event(), "detail": {"bucket": {"name": "b"}, "object": {"key": "k"}}},
            "detail.object.size must be a non-negative integer",
        ),
        ({"parameters": ["MaxDepth", 5]}, "'parameters' must be an object"),
        ({"parameters": {}, "pipeline": "other"}, "unexpected keys: pipeline"),
    ],
)
def test_malformed_events_are_rejected_without_calling_sagemaker(
    sagemaker: tuple[SageMakerClient, Stubber],
    caplog: pytest.LogCaptureFixture,
    event: object,
    message: str,
) -> None:
    client, _ = sagemaker  # no responses queued: any call would fail the test
    queue = RecordingQueue()

    result = handle(event, "req-1", config=CONFIG, sagemaker=client, queue=queue)

    assert result["status"] == "rejected"
    assert result["error_code"] == "MalformedEvent"
    assert message in result["reason"]
    assert json.loads(queue.sent[0]["MessageBody"])["event"] == event
    (line,) = error_lines(caplog)
    assert message in line["reason"]


def test_a_network_failure_is_retryable(
    sagemaker: tuple[SageMakerClient, Stubber],
) -> None:
    client, stubber = sagemaker
    stubber.deactivate()

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com")

    client.meta.events.register("before-send.sagemaker.StartPipelineExecution", unreachable)

    with pytest.raises(EndpointConnectionError):
        handle(s3_event(), "req-1", config=CONFIG, sagemaker=client, queue=RecordingQueue())
    stubber.activate()


def test_when_parking_fails_the_error_goes_to_lambda_retries(
    sagemaker: tuple[SageMakerClient, Stubber], caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = sagemaker
    queue = RecordingQueue(
        ClientError(
            {"Error": {"Code": "KMS.AccessDeniedException", "Message": "no key"}}, "SendMessage"
        )
    )

    with pytest.raises(ClientError):
        handle({}, "req-1", config=CONFIG, sagemaker=client, queue=queue)

    messages = [line["message"] for line in error_lines(caplog)]
    assert messages == [
        "Event rejected; it will not be retried",
        "Could not park the rejected event",
    ]


def test_a_throttled_skip_check_is_retryable(
    sagemaker: tuple[SageMakerClient, Stubber],
) -> None:
    client, stubber = sagemaker
    stubber.add_client_error("list_pipeline_executions", service_error_code="ThrottlingException")
    config = TriggerConfig(**{**CONFIG.__dict__, "skip_if_running": True})

    with pytest.raises(ClientError):
        handle(s3_event(), "req-1", config=config, sagemaker=client, queue=RecordingQueue())


def test_without_a_queue_a_rejection_is_only_logged(
    sagemaker: tuple[SageMakerClient, Stubber],
) -> None:
    client, _ = sagemaker
    config = TriggerConfig(**{**CONFIG.__dict__, "failed_events_queue_url": None})

    result = handle({}, "req-1", config=config, sagemaker=client, queue=None)

    assert result["status"] == "rejected"
    assert result["parked"] is False


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("Throttling", 400, True),
        ("TooManyRequestsException", 429, True),
        ("SomethingNew", 502, True),
        ("UnrecognizedClientException", 400, False),
        ("SomethingNew", 400, False),
    ],
)
def test_error_classification(code: str, status: int, retryable: bool) -> None:
    response: Any = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    error = ClientError(response, "Op")

    assert is_retryable(error) is retryable
