"""The batch flow's configuration and Lambda's entry point for a batch from the queue."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from project.run_parameters import encode_specs, parse_declarations
from stacks.trigger.handler import handler
from stacks.trigger.handler.config import ConfigurationError, TriggerConfig
from stacks.trigger.handler.records import is_queue_event
from testsupport.trigger_account import (
    DATA_BUCKET,
    MANIFESTS,
    PIPELINE,
    REGION,
    SPECS,
    Aws,
    new_object,
)

BASE = {
    "PIPELINE_NAME": PIPELINE,
    "DATA_BUCKET_NAME": DATA_BUCKET,
    "RAW_DATA_PREFIX": "data/raw/",
    "PIPELINE_PARAMETERS": encode_specs(SPECS.values()),
}


def test_the_batch_settings_come_from_the_environment() -> None:
    config = TriggerConfig.from_environ(
        {
            **BASE,
            "MANIFESTS_LOCATION": MANIFESTS,
            "NEW_DATA_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/new-data",
            "RETRY_DELAY_SECONDS": "30",
            "MAX_RETRY_DELAY_SECONDS": "600",
        }
    )

    assert config.manifests_location == MANIFESTS
    assert config.new_data_queue_url is not None
    assert (config.retry_delay_seconds, config.max_retry_delay_seconds) == (30, 600)
    defaults = TriggerConfig.from_environ(BASE)
    assert (defaults.retry_delay_seconds, defaults.max_retry_delay_seconds) == (60, 900)
    assert defaults.manifests_location is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"MANIFESTS_LOCATION": "s3://bucket/manifests"}, "must be s3://bucket/prefix/"),
        ({"MANIFESTS_LOCATION": "bucket/manifests/"}, "must be s3://bucket/prefix/"),
        ({"RETRY_DELAY_SECONDS": "-1"}, "RETRY_DELAY_SECONDS must be a whole number"),
        ({"MAX_RETRY_DELAY_SECONDS": "43201"}, "up to 43200"),
    ],
)
def test_a_bad_batch_setting_is_a_configuration_error(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TriggerConfig.from_environ({**BASE, **extra})


def test_only_records_from_sqs_are_a_batch() -> None:
    record = {"eventSource": "aws:sqs", "messageId": "m", "receiptHandle": "r", "body": "{}"}
    assert is_queue_event({"Records": [record]})
    assert not is_queue_event({"Records": []})
    assert not is_queue_event({"Records": [{**record, "eventSource": "aws:s3"}]})
    assert not is_queue_event(new_object("data/raw/a.csv"))
    assert not is_queue_event([record])


def test_a_batch_without_a_manifests_location_raises_so_the_batch_returns(aws: Aws) -> None:
    """A deployment problem: raised (the error alarm fires), the messages stay in the queue."""
    aws.send(new_object("data/raw/a.csv"))
    source = aws.source(manifests_location=None)

    source.poll_once()

    assert source.errors == [
        "ConfigurationError: MANIFESTS_LOCATION is not set: the batch flow writes manifests"
    ]
    assert aws.executions() == {}
    assert aws.queued() == 1


def test_a_pipeline_that_takes_no_manifest_is_a_configuration_error(aws: Aws) -> None:
    aws.send(new_object("data/raw/a.csv"))
    specs = parse_declarations([{"Name": "InputData", "Type": "String"}])
    source = aws.source(parameters=specs)

    source.poll_once()

    assert source.errors == [
        "ConfigurationError: the pipeline must declare InputDataType with ManifestFile for "
        "batched starts"
    ]


def test_lambda_handler_runs_a_queue_batch_and_answers_the_messages_to_retry(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        **BASE,
        "FAILED_EVENTS_QUEUE_URL": aws.queue_url,
        "MANIFESTS_LOCATION": MANIFESTS,
        "NEW_DATA_QUEUE_URL": aws.new_data_url,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    aws.send(new_object("data/raw/2026/a.csv", 1), new_object("data/raw/2026/b.csv", 2))
    answers: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any], request_id: str) -> dict[str, Any]:
        context = SimpleNamespace(
            aws_request_id=request_id, get_remaining_time_in_millis=lambda: 100_000
        )
        answers.append(handler.lambda_handler(event, context))
        return answers[-1]

    handler.reset()
    try:
        source = aws.source()
        source.handler = invoke
        source.poll_once()
    finally:
        handler.reset()

    assert answers == [{"batchItemFailures": []}]
    (execution,) = aws.executions().values()
    assert aws.manifest_keys(execution) == [
        f"s3://{DATA_BUCKET}/data/raw/2026/a.csv",
        f"s3://{DATA_BUCKET}/data/raw/2026/b.csv",
    ]
