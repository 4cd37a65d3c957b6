"""The queue's flow against moto: one run per folder of a batch, over a manifest of its objects.

Messages go through the new-data queue and the event source (`testsupport.queue_source`) as
Lambda delivers them; moto's SageMaker answers as the service does at its quota
(`testsupport.sagemaker_quota`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stacks.trigger.handler.backoff import aligned_delay, retry_delay
from stacks.trigger.handler.batch import BatchClients, handle_batch
from stacks.trigger.handler.tokens import objects_token
from testsupport.definitions import event as event_fixture
from testsupport.lambda_logs import lambda_json
from testsupport.sagemaker_quota import ExecutionQuota
from testsupport.trigger_account import (
    DATA_BUCKET,
    MANIFESTS,
    MAX_RECEIVES,
    PIPELINE,
    REGION,
    Aws,
    new_object,
)

FOLDER = "data/raw/2026/01/"
OTHER_FOLDER = "data/raw/2026/02/"


@pytest.fixture
def quota(aws: Aws) -> Iterator[ExecutionQuota]:
    """StartPipelineExecution as SageMaker answers it: one run per token, at most 2 Executing."""
    with ExecutionQuota(REGION, PIPELINE, limit=2).installed() as installed:
        yield installed


def parameters(execution: Any) -> dict[str, str]:
    """An execution's parameters by name."""
    return {p["Name"]: p["Value"] for p in execution.pipeline_parameters}


def uris(*keys: str) -> list[str]:
    """The S3 URIs of data-bucket keys."""
    return [f"s3://{DATA_BUCKET}/{key}" for key in keys]


def test_a_burst_in_one_folder_is_one_run_over_exactly_those_objects(
    aws: Aws, quota: ExecutionQuota, caplog: pytest.LogCaptureFixture
) -> None:
    keys = [f"{FOLDER}sales-{n:02}.csv" for n in range(12)]
    aws.send(*(new_object(key, n) for n, key in enumerate(keys)))

    assert aws.source().poll_once() == 12

    (execution,) = aws.executions().values()
    started = parameters(execution)
    token = objects_token(
        PIPELINE, DATA_BUCKET, [(key, f"v{n}", f"{n:018X}") for n, key in enumerate(keys)]
    )
    assert started == {
        "InputData": f"{MANIFESTS}{token}.manifest",
        "InputDataType": "ManifestFile",
        "InputVersion": token,
    }
    assert execution.client_request_token == token
    assert aws.manifest_keys(execution) == uris(*keys)
    assert "12 new object(s) under s3://house-price-data/data/raw/2026/01/" in (
        execution.pipeline_execution_description
    )
    assert aws.queued() == 0
    lookups = [
        line for line in lambda_json(caplog.records) if line["message"] == "Champion looked up"
    ]
    assert len(lookups) == 1
    assert lookups[0]["folder"] == f"s3://{DATA_BUCKET}/{FOLDER}"


def test_a_redelivered_batch_starts_nothing_new(aws: Aws, quota: ExecutionQuota) -> None:
    """The whole batch again (Lambda's timeout, a crash): the same set, the same token."""
    events = [new_object(f"{FOLDER}a.csv", 1), new_object(f"{FOLDER}b.csv", 2)]
    aws.send(*events)
    aws.source().poll_once()
    aws.send(*reversed(events))

    aws.source().poll_once()

    assert len(aws.executions()) == 1
    assert quota.duplicates == 1
    assert aws.queued() == 0


def test_a_redelivered_batch_is_skipped_while_its_run_executes(aws: Aws) -> None:
    events = [new_object(f"{FOLDER}a.csv", 1), new_object(f"{FOLDER}b.csv", 2)]
    aws.send(*events)
    aws.source().poll_once()
    (running,) = aws.executions()
    aws.mark_executing(running)
    aws.send(*events)

    answer = aws.source(skip_if_running=True).poll_once()

    assert answer == 2
    assert list(aws.executions()) == [running]
    assert aws.queued() == 0


def test_a_batch_mixing_folders_starts_one_run_per_folder(aws: Aws, quota: ExecutionQuota) -> None:
    january = [f"{FOLDER}a.csv", f"{FOLDER}b.csv.gz"]
    february = [f"{OTHER_FOLDER}a.csv"]
    aws.send(new_object(january[0], 1), new_object(february[0], 2), new_object(january[1], 3))

    aws.source().poll_once()

    listed = sorted(aws.manifest_keys(e) for e in aws.executions().values())
    assert listed == [uris(*january), uris(*february)]
    tokens = {e.client_request_token for e in aws.executions().values()}
    assert len(tokens) == 2


def test_a_malformed_event_in_a_batch_is_parked_alone(aws: Aws, quota: ExecutionQuota) -> None:
    broken = new_object(f"{FOLDER}b.csv", 2)
    broken["detail"]["object"]["size"] = "large"
    aws.send(new_object(f"{FOLDER}a.csv", 1), broken, new_object(f"{FOLDER}c.csv", 3))
    aws.sqs.send_message(QueueUrl=aws.new_data_url, MessageBody="{not json")

    aws.source().poll_once()

    (execution,) = aws.executions().values()
    assert aws.manifest_keys(execution) == uris(f"{FOLDER}a.csv", f"{FOLDER}c.csv")
    parked = aws.parked()
    assert sorted(m["error_code"] for m in parked) == ["MalformedEvent", "MalformedMessage"]
    reasons = {m["error_code"]: m["reason"] for m in parked}
    assert "detail.object.size must be a non-negative integer" in reasons["MalformedEvent"]
    assert "the message body is not JSON" in reasons["MalformedMessage"]
    assert next(m for m in parked if m["error_code"] == "MalformedEvent")["event"] == broken
    assert aws.queued() == 0


def test_objects_from_another_bucket_or_outside_the_prefix_do_not_join_the_run(
    aws: Aws, quota: ExecutionQuota
) -> None:
    foreign = new_object(f"{FOLDER}x.csv", 2)
    foreign["detail"]["bucket"]["name"] = "someone-elses-bucket"
    aws.send(
        new_object(f"{FOLDER}a.csv", 1),
        foreign,
        new_object("data/other/b.csv", 3),
        new_object(f"{FOLDER}notes.txt", 4),
    )

    aws.source().poll_once()

    (execution,) = aws.executions().values()
    assert aws.manifest_keys(execution) == uris(f"{FOLDER}a.csv")
    assert [m["error_code"] for m in aws.parked()] == ["ForeignBucket"]
    assert aws.queued() == 0


def test_a_batch_arriving_while_a_run_on_its_folder_executes_starts_its_own_run(
    aws: Aws, quota: ExecutionQuota
) -> None:
    """The running job may have read its inputs already: the new objects get a run of their own
    that lists only them, with or without SKIP_IF_RUNNING."""
    aws.send(new_object(f"{FOLDER}a.csv", 1), new_object(f"{FOLDER}b.csv", 2))
    aws.source().poll_once()
    (first,) = quota.executing()
    aws.send(new_object(f"{FOLDER}c.csv", 3), new_object(f"{FOLDER}a.csv", 4))

    aws.source(skip_if_running=True).poll_once()

    second = next(e for arn, e in aws.executions().items() if arn != first)
    assert aws.manifest_keys(aws.executions()[first]) == uris(f"{FOLDER}a.csv", f"{FOLDER}b.csv")
    assert aws.manifest_keys(second) == uris(f"{FOLDER}a.csv", f"{FOLDER}c.csv")
    assert quota.executing() == [first, second.arn]


def test_at_the_quota_the_messages_go_back_delayed_and_start_once_a_slot_frees(
    aws: Aws, quota: ExecutionQuota, caplog: pytest.LogCaptureFixture
) -> None:
    """ResourceLimitExceeded: nothing fails, nothing is lost; the folder's messages return after
    the delay and coalesce with what arrived meanwhile."""
    aws.send(new_object("data/raw/x/a.csv", 1), new_object("data/raw/y/a.csv", 2))
    aws.source().poll_once()
    aws.send(new_object(f"{FOLDER}a.csv", 3), new_object(f"{OTHER_FOLDER}a.csv", 4))

    blocked = aws.source(retry_delay_seconds=0).poll_once()

    assert blocked == 2
    assert len(aws.executions()) == 2
    assert quota.refused == 1  # the first folder's start; the second is not tried
    assert aws.queued() == 2
    *_, handled = (
        line for line in lambda_json(caplog.records) if line["message"] == "Batch handled"
    )
    assert handled["stopped_by"] == "ResourceLimitExceeded"
    assert handled["handed_back"] == 2

    quota.finish(quota.executing()[0])
    aws.send(new_object(f"{FOLDER}b.csv", 5))
    aws.source(retry_delay_seconds=0).poll_once()

    assert aws.queued() == 1  # the quota allowed one more run: February waits
    newest = list(aws.executions().values())[-1]
    assert aws.manifest_keys(newest) == uris(f"{FOLDER}a.csv", f"{FOLDER}b.csv")


def test_handed_back_messages_reach_the_dead_letter_queue_after_the_last_receive(
    aws: Aws, quota: ExecutionQuota
) -> None:
    aws.send(new_object("data/raw/x/a.csv", 1), new_object("data/raw/y/a.csv", 2))
    aws.source().poll_once()
    waiting = new_object(f"{FOLDER}a.csv", 3)
    aws.send(waiting)

    for _ in range(MAX_RECEIVES):
        assert aws.source(retry_delay_seconds=0).poll_once() == 1
    assert aws.source(retry_delay_seconds=0).poll_once() == 0

    assert aws.queued() == 0
    (dead,) = aws.parked()  # the failed-events queue is the dead-letter queue
    assert dead == waiting


def test_the_delay_doubles_with_each_receive_up_to_the_cap(aws: Aws, quota: ExecutionQuota) -> None:
    config = aws.config
    delays = [retry_delay(n, config) for n in (1, 2, 3, 4, 5, 6, 40)]

    assert delays == [60, 120, 240, 480, 900, 900, 900]


def test_throttling_hands_back_the_folder_and_every_later_one(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    def throttled(**_: object) -> dict[str, Any]:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
            "StartPipelineExecution",
        )

    monkeypatch.setattr(aws.sagemaker, "start_pipeline_execution", throttled)
    aws.send(new_object(f"{FOLDER}a.csv", 1), new_object(f"{OTHER_FOLDER}a.csv", 2))
    source = aws.source()

    source.poll_once()

    assert source.handed_back == 2
    assert aws.parked() == []
    visible = aws.sqs.receive_message(QueueUrl=aws.new_data_url, MaxNumberOfMessages=10)
    assert "Messages" not in visible  # delayed by RETRY_DELAY_SECONDS, not back at once


def test_a_refused_start_parks_the_folders_messages_with_the_reason(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    def invalid(**_: object) -> dict[str, Any]:
        raise ClientError(
            {"Error": {"Code": "ValidationException", "Message": "bad parameter"}},
            "StartPipelineExecution",
        )

    monkeypatch.setattr(aws.sagemaker, "start_pipeline_execution", invalid)
    aws.send(new_object(f"{FOLDER}a.csv", 1), new_object(f"{FOLDER}b.csv", 2))

    aws.source().poll_once()

    parked = aws.parked()
    assert [m["error_code"] for m in parked] == ["ValidationException"] * 2
    assert aws.queued() == 0


def test_messages_not_tried_before_the_deadline_go_back_at_once(
    aws: Aws, quota: ExecutionQuota
) -> None:
    """Too little time left to start: nothing is tried, the message is visible again at once."""
    aws.send(new_object(f"{FOLDER}a.csv", 1))
    source = aws.source(remaining_ms=lambda: 5_000)

    source.poll_once()

    assert source.handed_back == 1
    assert aws.executions() == {}
    again = aws.sqs.receive_message(QueueUrl=aws.new_data_url).get("Messages", [])
    assert len(again) == 1


def test_a_schedule_in_the_queue_starts_a_run_with_the_defaults(
    aws: Aws, quota: ExecutionQuota
) -> None:
    aws.send(event_fixture("scheduled_event"), new_object(f"{FOLDER}a.csv", 1))

    aws.source().poll_once()

    started = sorted(
        e.pipeline_execution_display_name.split("-")[0] for e in aws.executions().values()
    )
    assert started == ["objects", "schedule"]


def test_duplicate_events_and_versions_list_each_key_once(aws: Aws, quota: ExecutionQuota) -> None:
    """EventBridge may deliver an event twice; a key uploaded twice is one object to read."""
    first = new_object(f"{FOLDER}a.csv", 1)
    aws.send(first, first, new_object(f"{FOLDER}a.csv", 2), new_object(f"{FOLDER}b.csv", 3))

    aws.source().poll_once()

    (execution,) = aws.executions().values()
    assert aws.manifest_keys(execution) == uris(f"{FOLDER}a.csv", f"{FOLDER}b.csv")
    assert "2 new object(s) (3 versions)" in execution.pipeline_execution_description
    assert aws.queued() == 0


def test_the_champion_goes_with_every_run_of_a_batch(aws: Aws, quota: ExecutionQuota) -> None:
    model = "s3://artifact-bucket/models/run-1/TrainModel/model/output/model.tar.gz"
    aws.register(model, "Approved")
    aws.send(new_object(f"{FOLDER}a.csv", 1), new_object(f"{OTHER_FOLDER}a.csv", 2))

    aws.source().poll_once()

    champions = [parameters(e).get("ChampionModelData") for e in aws.executions().values()]
    assert champions == [model, model]


class RecordingQueue:
    """An SQS stand-in that records the delays the function sets."""

    def __init__(self) -> None:
        self.delays: dict[str, int] = {}

    def send_message(self, **kwargs: str) -> dict[str, Any]:
        raise AssertionError(f"nothing should be parked: {kwargs}")

    def change_message_visibility_batch(self, **kwargs: Any) -> dict[str, Any]:
        for entry in kwargs["Entries"]:
            self.delays[entry["ReceiptHandle"]] = entry["VisibilityTimeout"]
        return {"Successful": kwargs["Entries"], "Failed": []}


def record(event: dict[str, Any], n: int, receives: int, sent: int) -> dict[str, Any]:
    """A record as Lambda delivers it."""
    return {
        "messageId": f"m-{n}",
        "receiptHandle": f"r-{n}",
        "body": json.dumps(event),
        "attributes": {"ApproximateReceiveCount": str(receives), "SentTimestamp": str(sent)},
        "eventSource": "aws:sqs",
    }


def test_a_folders_messages_go_back_together_to_the_next_shared_boundary(
    aws: Aws,
) -> None:
    """The delay of the message received most often, ending on a multiple of itself, so what
    is handed back within one period returns at once and coalesces again."""
    queue = RecordingQueue()
    event = {
        "Records": [
            record(new_object(f"{FOLDER}a.csv", 1), 1, receives=1, sent=1_000),
            record(new_object(f"{FOLDER}b.csv", 2), 2, receives=3, sent=2_000),
        ]
    }
    with ExecutionQuota(REGION, PIPELINE, limit=0).installed():
        answer = handle_batch(
            event,
            "req-1",
            config=aws.config,
            clients=BatchClients(sagemaker=aws.sagemaker, s3=aws.s3, queue=queue),
            clock=lambda: 10_000.5,
        )

    assert [item["itemIdentifier"] for item in answer["batchItemFailures"]] == ["m-1", "m-2"]
    # Three receives: 240 s; the next multiple of 240 at least 240 s after 10,000 is 10,320.
    assert queue.delays == {"r-1": 320, "r-2": 320}


@pytest.mark.parametrize("now", [0.0, 59.9, 60.0, 1234.5, 86_399.0])
def test_aligned_delays_end_on_a_multiple_of_the_delay(aws: Aws, now: float) -> None:
    for receives in (1, 2, 5, 30):
        delay = retry_delay(receives, aws.config)
        aligned = aligned_delay(receives, aws.config, now)
        assert delay <= aligned < 2 * delay
        assert (int(now) + aligned) % delay == 0


def test_at_the_quota_the_folder_that_waited_longest_starts_first(aws: Aws) -> None:
    event = {
        "Records": [
            record(new_object(f"{FOLDER}new.csv", 1), 1, receives=1, sent=9_000),
            record(new_object(f"{OTHER_FOLDER}old.csv", 2), 2, receives=4, sent=1_000),
        ]
    }
    with ExecutionQuota(REGION, PIPELINE, limit=1).installed():
        answer = aws.handle_batch(event)

    (execution,) = aws.executions().values()
    assert aws.manifest_keys(execution) == uris(f"{OTHER_FOLDER}old.csv")
    assert answer["batchItemFailures"] == [{"itemIdentifier": "m-1"}]
