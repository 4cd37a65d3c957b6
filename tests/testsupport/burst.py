"""Bursts of new objects against a moto server on loopback, through the trigger, at the quota.

One round sets up a fresh account on the server (buckets, the NewData queue dead-lettering into
FailedEvents, the pipeline from the shipped definition), puts SageMaker's concurrent-execution
quota in front of StartPipelineExecution (`sagemaker_quota`), lets executions finish as their
drawn durations pass, sends the events in bursts as the EventBridge rule would, and runs the
function as Lambda would:

- `batched`: the queue's flow, through an event source with a batching window and at most
  `pollers` invocations at once (`queue_source`, `handler/batch.py`);
- `per_event`: the flow before the queue, as the baseline: Lambda invokes the function once per
  event (asynchronously, `async_workers` at once), retries a raised error twice (after
  `async_retry_delays`), then the event goes to FailedEvents.

The round ends when the queue is empty (every message deleted or dead-lettered), or at the time
limit. Time is compressed: runs last seconds, not minutes.
"""

from __future__ import annotations

import datetime
import heapq
import json
import logging
import os
import random
import statistics
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, cast

import boto3
import moto.core.utils as moto_utils
import moto.sqs.models as sqs_models
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from moto.server import ThreadedMotoServer

from project.manifests import parse_manifest
from project.run_parameters import definition_parameters
from stacks.trigger.handler.batch import BatchClients, handle_batch
from stacks.trigger.handler.champion import GROUP_VARIABLE, PREFIX_VARIABLE
from stacks.trigger.handler.config import TriggerConfig
from stacks.trigger.handler.handler import handle
from stacks.trigger.handler.logs import LOGGER_NAME
from testsupport.definitions import shipped_definition_text
from testsupport.queue_source import EventSource
from testsupport.sagemaker_quota import ExecutionQuota

REGION = "us-east-1"
PIPELINE = "house-price-mlops-pipeline"
DATA_BUCKET = "house-price-data"
ARTIFACT_BUCKET = "house-price-artifacts"
ROLE_ARN = "arn:aws:iam::123456789012:role/pipeline"
GROUP = "house-price-models"
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=32)
SEND_BATCH = 10


@dataclass(frozen=True)
class BurstPlan:
    """What one round sends and how the account and the function behave."""

    events: int = 1000
    bursts: int = 10
    folders: int = 8
    burst_interval: float = 0.5
    run_seconds: tuple[float, float] = (2.0, 4.0)
    quota: int = 20
    window: float = 1.0
    batch_size: int = 1000
    pollers: int = 2
    retry_delay: int = 1
    max_retry_delay: int = 4
    max_receives: int = 24
    visibility_timeout: int = 30
    async_workers: int = 8
    async_retry_delays: tuple[float, float] = (1.0, 2.0)
    time_limit: float = 180.0
    seed: int = 1


@dataclass
class BurstResult:
    """What became of a round's events."""

    mode: str
    events: int
    executions: int = 0
    in_one_run: int = 0
    in_no_run: int = 0
    in_several_runs: int = 0
    dead_letters: int = 0
    refused: int = 0
    max_executing: int = 0
    invocations: int = 0
    handed_back: int = 0
    drained: bool = False
    drain_seconds: float = 0.0
    cpu_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def objects_per_run(self) -> float:
        """How many objects one execution read, on average."""
        return self.in_one_run / self.executions if self.executions else 0.0


def _unix_time(dt: datetime.datetime | None = None) -> float:
    return time.time() if dt is None else moto_utils.unix_time(dt)


def _unix_time_millis(dt: datetime.datetime | None = None) -> float:
    return time.time() * 1000.0 if dt is None else moto_utils.unix_time_millis(dt)


CLOCK_SHIMS = {"unix_time": _unix_time, "unix_time_millis": _unix_time_millis}


class Server:
    """A moto server on 127.0.0.1, reset before each round.

    moto's SQS reads the clock through datetime arithmetic for every message on every call, so a
    queue of 1,000 messages takes about a second per ReceiveMessage; while the server runs, its
    SQS reads the same clock from `time.time()` instead (the same value, ten times faster).
    """

    def __init__(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def __enter__(self) -> Server:
        # One line per request would drown what the round reports.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        for name, function in CLOCK_SHIMS.items():
            setattr(sqs_models, name, function)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(self, *_: object) -> None:
        self.server.stop()
        for name in CLOCK_SHIMS:
            setattr(sqs_models, name, getattr(moto_utils, name))

    def reset(self) -> None:
        """Forget every resource of the previous round."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def client(self, service: str) -> Any:
        """A client of the server, as the function would hold one."""
        # boto3's stubs type each service's client apart; the round uses three.
        return cast(Any, boto3).client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=CLIENT_CONFIG,
        )


@dataclass
class _Account:
    server: Server
    plan: BurstPlan
    sqs: Any = None
    s3: Any = None
    sagemaker: Any = None
    failed_url: str = ""
    new_data_url: str = ""

    def create(self) -> None:
        self.sqs, self.s3 = self.server.client("sqs"), self.server.client("s3")
        self.sagemaker = self.server.client("sagemaker")
        for bucket in (DATA_BUCKET, ARTIFACT_BUCKET):
            self.s3.create_bucket(Bucket=bucket)
        self.failed_url = self.sqs.create_queue(QueueName="failed-events")["QueueUrl"]
        failed_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.failed_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": failed_arn, "maxReceiveCount": self.plan.max_receives}
        self.new_data_url = self.sqs.create_queue(
            QueueName="new-data",
            Attributes={
                "VisibilityTimeout": str(self.plan.visibility_timeout),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        self.sagemaker.create_pipeline(
            PipelineName=PIPELINE,
            PipelineDefinition=shipped_definition_text(),
            RoleArn=ROLE_ARN,
            ClientRequestToken="create-house-price-pipeline-0000000001",
        )

    def config(self) -> TriggerConfig:
        return TriggerConfig(
            pipeline_name=PIPELINE,
            data_bucket=DATA_BUCKET,
            raw_data_prefix="data/raw/",
            parameters=definition_parameters(json.loads(shipped_definition_text())),
            failed_events_queue_url=self.failed_url,
            manifests_location=f"s3://{ARTIFACT_BUCKET}/manifests/",
            new_data_queue_url=self.new_data_url,
            retry_delay_seconds=self.plan.retry_delay,
            max_retry_delay_seconds=self.plan.max_retry_delay,
        )

    def count(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())


def burst_events(plan: BurstPlan) -> list[list[dict[str, Any]]]:
    """The events, burst by burst: each a new object in one of the folders."""
    rng = random.Random(plan.seed)
    per_burst = plan.events // plan.bursts
    bursts = []
    for burst in range(plan.bursts):
        events = []
        for n in range(per_burst):
            index = burst * per_burst + n
            key = f"data/raw/store-{rng.randrange(plan.folders):02}/sales-{index:05}.csv"
            events.append(_event(key, index))
        bursts.append(events)
    return bursts


def _event(key: str, index: int) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"event-{index:05}",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-30T06:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{DATA_BUCKET}"],
        "detail": {
            "bucket": {"name": DATA_BUCKET},
            "object": {
                "key": key,
                "size": 1024,
                "etag": f"{index:032x}",
                "version-id": f"version-{index:05}",
                "sequencer": f"{index:018X}",
            },
            "reason": "PutObject",
        },
    }


class _Finisher(threading.Thread):
    """Ends executions as their time comes, and notes the most that ran at once."""

    def __init__(self, quota: ExecutionQuota, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.quota, self.stop, self.max_executing = quota, stop, 0

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.quota.finish_due()
            self.max_executing = max(self.max_executing, len(self.quota.executing()))


def _send(account: _Account, bursts: list[list[dict[str, Any]]], interval: float) -> None:
    for number, events in enumerate(bursts):
        if number:
            time.sleep(interval)
        for start in range(0, len(events), SEND_BATCH):
            account.sqs.send_message_batch(
                QueueUrl=account.new_data_url,
                Entries=[
                    {"Id": str(i), "MessageBody": json.dumps(event)}
                    for i, event in enumerate(events[start : start + SEND_BATCH])
                ],
            )


def _run_batched(account: _Account, plan: BurstPlan, result: BurstResult) -> None:
    config = account.config()
    clients = BatchClients(sagemaker=account.sagemaker, s3=account.s3, queue=account.sqs)
    source = EventSource(
        account.sqs,
        account.new_data_url,
        lambda event, request_id: handle_batch(
            event, request_id, config=config, clients=clients, remaining_ms=lambda: 100_000
        ),
        batch_size=plan.batch_size,
        window=plan.window,
        region=REGION,
    )
    stop = threading.Event()
    threads = source.run(plan.pollers, stop)
    started = time.monotonic()
    _send(account, burst_events(plan), plan.burst_interval)
    while time.monotonic() - started < plan.time_limit:
        if account.count(account.new_data_url) == 0:
            result.drained = True
            break
        time.sleep(0.1)
    result.drain_seconds = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    result.invocations, result.handed_back = source.invocations, source.handed_back
    result.errors.extend(source.errors)


class _AsyncInvocations:
    """Lambda's asynchronous invocations: `workers` at once, a raised error retried after each
    delay in turn (the event waits in Lambda's queue, not in a worker), then FailedEvents."""

    def __init__(self, account: _Account, plan: BurstPlan) -> None:
        self.account, self.plan, self.config = account, plan, account.config()
        self.pending: list[tuple[float, int, dict[str, Any], int]] = []
        self.order = 0
        self.busy = 0
        self.condition = threading.Condition()

    def submit(self, event: dict[str, Any], attempt: int = 0, delay: float = 0.0) -> None:
        """Queue an invocation, due after `delay` seconds."""
        with self.condition:
            self.order += 1
            heapq.heappush(self.pending, (time.monotonic() + delay, self.order, event, attempt))
            self.condition.notify()

    def _next(self, stop: threading.Event) -> tuple[dict[str, Any], int] | None:
        with self.condition:
            while not stop.is_set():
                if self.pending and self.pending[0][0] <= time.monotonic():
                    _, _, event, attempt = heapq.heappop(self.pending)
                    self.busy += 1
                    return event, attempt
                wait = self.pending[0][0] - time.monotonic() if self.pending else 0.1
                self.condition.wait(max(wait, 0.001))
            return None

    def _invoke(self, event: dict[str, Any], attempt: int) -> None:
        account = self.account
        try:
            handle(
                event,
                f"async-{event['id']}",
                config=self.config,
                sagemaker=account.sagemaker,
                queue=account.sqs,
            )
        except (ClientError, BotoCoreError) as error:
            delays = self.plan.async_retry_delays
            if attempt < len(delays):
                self.submit(event, attempt + 1, delays[attempt])
            else:
                body = json.dumps({"error": str(error)[:200], "event": event})
                account.sqs.send_message(QueueUrl=account.failed_url, MessageBody=body)

    def work(self, stop: threading.Event) -> None:
        """One worker: invoke what is due until `stop`."""
        while (item := self._next(stop)) is not None:
            try:
                self._invoke(*item)
            finally:
                with self.condition:
                    self.busy -= 1
                    self.condition.notify_all()

    def idle(self) -> bool:
        """True when nothing waits and nothing runs."""
        with self.condition:
            return not self.pending and self.busy == 0


def _run_per_event(account: _Account, plan: BurstPlan, result: BurstResult) -> None:
    invocations = _AsyncInvocations(account, plan)
    stop = threading.Event()
    workers = [
        threading.Thread(target=invocations.work, args=(stop,), daemon=True)
        for _ in range(plan.async_workers)
    ]
    for worker in workers:
        worker.start()
    started = time.monotonic()
    for number, events in enumerate(burst_events(plan)):
        if number:
            time.sleep(plan.burst_interval)
        for event in events:
            invocations.submit(event)
    while time.monotonic() - started < plan.time_limit and not invocations.idle():
        time.sleep(0.05)
    result.drained = invocations.idle()
    result.drain_seconds = time.monotonic() - started
    stop.set()
    with invocations.condition:
        invocations.condition.notify_all()
    for worker in workers:
        worker.join(timeout=30)
    result.invocations = invocations.order


def _tally(account: _Account, plan: BurstPlan, quota: ExecutionQuota, result: BurstResult) -> None:
    runs: Counter[str] = Counter()
    for execution in quota.executions().values():
        values = {p["Name"]: p["Value"] for p in execution.pipeline_parameters}
        uri = values["InputData"]
        if values.get("InputDataType") == "ManifestFile":
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            body = account.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            runs.update(parse_manifest(body).uris)
        else:
            runs[uri] += 1
    expected = [
        f"s3://{DATA_BUCKET}/{event['detail']['object']['key']}"
        for events in burst_events(plan)
        for event in events
    ]
    result.executions = len(quota.executions())
    result.in_one_run = sum(1 for uri in expected if runs[uri] == 1)
    result.in_no_run = sum(1 for uri in expected if runs[uri] == 0)
    result.in_several_runs = sum(1 for uri in expected if runs[uri] > 1)
    result.dead_letters = account.count(account.failed_url)
    result.refused = quota.refused


@contextmanager
def _champion_environment() -> Iterator[None]:
    """The champion lookup's environment, as the construct sets it on the function."""
    values = {GROUP_VARIABLE: GROUP, PREFIX_VARIABLE: f"s3://{ARTIFACT_BUCKET}/models/"}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_round(server: Server, plan: BurstPlan, mode: str) -> BurstResult:
    """One round on a fresh account; `mode` is `batched` or `per_event`.

    The function's log lines are dropped for the round (thousands of refused starts would
    otherwise be formatted, tracebacks and all, and counted as CPU time of the flow).
    """
    trigger_log = logging.getLogger(LOGGER_NAME)
    level = trigger_log.level
    trigger_log.setLevel(logging.CRITICAL)
    try:
        with _champion_environment():
            return _round(server, plan, mode)
    finally:
        trigger_log.setLevel(level)


def _round(server: Server, plan: BurstPlan, mode: str) -> BurstResult:
    server.reset()
    account = _Account(server, plan)
    account.create()
    rng = random.Random(plan.seed)
    quota = ExecutionQuota(
        REGION, PIPELINE, limit=plan.quota, duration=lambda: rng.uniform(*plan.run_seconds)
    )
    result = BurstResult(mode=mode, events=plan.events)
    stop = threading.Event()
    finisher = _Finisher(quota, stop)
    cpu = time.process_time()
    with quota.installed():
        finisher.start()
        try:
            (_run_batched if mode == "batched" else _run_per_event)(account, plan, result)
        finally:
            stop.set()
            finisher.join(timeout=10)
        result.cpu_seconds = time.process_time() - cpu
        result.max_executing = finisher.max_executing
        _tally(account, plan, quota, result)
    return result


def median_of(results: list[BurstResult], name: str) -> float:
    """The median of one figure over rounds."""
    return float(statistics.median(getattr(r, name) for r in results))


def plan_for_round(plan: BurstPlan, number: int) -> BurstPlan:
    """The plan of round `number` (its own seed)."""
    return replace(plan, seed=plan.seed + number)
