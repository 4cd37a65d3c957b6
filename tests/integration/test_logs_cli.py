"""Job logs from CloudWatch Logs: the `logs` command, and the failed step's log tail in
`status` and `execute --monitor`. CloudWatch Logs is the moto server; SageMaker is stubbed
(moto does not implement ListPipelineExecutionSteps, whose Metadata names the jobs)."""

from __future__ import annotations

import argparse
import io
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber
from rich.console import Console

from pipeline_definition import cli
from pipeline_definition.commands import CommandError, execute, logs, status
from pipeline_definition.operations.logs import Job, log_error_message
from project.settings import project_settings
from testsupport.moto_account import reset_moto_account

pytestmark = pytest.mark.integration

REGION = "us-east-1"
ACCOUNT = "123456789012"
PIPELINE = project_settings({}).pipeline_name
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{PIPELINE}/execution/run1abc"
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
PROCESSING = "/aws/sagemaker/ProcessingJobs"
TRAINING = "/aws/sagemaker/TrainingJobs"
# Streams carry the job's name as given; SageMaker's ARNs spell it in lower case.
PROCESS_JOB = "pipelines-run1abc-ProcessData-Ab12Cd"
TRAIN_JOB = "pipelines-run1abc-TrainModel-Xy34Zw"
LogsClient = Any
# Event times: recent (CloudWatch refuses events older than 14 days), fixed for the session.
BASE_MS = int(time.time() * 1000)


def job_arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"


@pytest.fixture
def cloudwatch(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> LogsClient:
    """CloudWatch Logs on the moto server, emptied, with test credentials."""
    reset_moto_account(moto_endpoint, monkeypatch, tmp_path, REGION)
    return boto3.client("logs", region_name=REGION)


def write_log(client: LogsClient, group: str, stream: str, lines: list[str], at: int = 0) -> None:
    """Append `lines` to a stream (made with its group when missing), a millisecond apart
    from `at` milliseconds after the session's base time."""
    try:
        client.create_log_group(logGroupName=group)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    try:
        client.create_log_stream(logGroupName=group, logStreamName=stream)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    events = [{"timestamp": BASE_MS + at + i, "message": line} for i, line in enumerate(lines)]
    client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def step(
    name: str, status_: str, *, kind: str = "", job: str = "", reason: str | None = None
) -> dict[str, Any]:
    """One entry of ListPipelineExecutionSteps."""
    entry: dict[str, Any] = {"StepName": name, "StepStatus": status_, "StartTime": T0}
    if reason:
        entry["FailureReason"] = reason
    if kind:
        api_kind = {"processing-job": "ProcessingJob", "training-job": "TrainingJob"}[kind]
        entry["Metadata"] = {api_kind: {"Arn": job_arn(kind, job)}}
    return entry


FAILED_PROCESSING = step(
    "ProcessData",
    "Failed",
    kind="processing-job",
    job=PROCESS_JOB,
    reason="AlgorithmError: see the job logs",
)


class SageMaker:
    """A stubbed SageMaker client and the answers it gives, in order."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "sagemaker",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url="http://127.0.0.1:9",  # never reached: the Stubber answers first
            config=Config(retries={"max_attempts": 1}),
        )
        self.stubber = Stubber(self.client)

    def described(self, state: str = "Failed") -> None:
        """Answer DescribePipelineExecution."""
        answer: dict[str, Any] = {
            "PipelineExecutionArn": ARN,
            "PipelineExecutionStatus": state,
            "CreationTime": T0,
            "LastModifiedTime": T0 + timedelta(minutes=9),
        }
        if state == "Failed":
            answer["FailureReason"] = "Step failure: One or multiple steps failed."
        self.stubber.add_response(
            "describe_pipeline_execution", answer, {"PipelineExecutionArn": ARN}
        )

    def parameters(self) -> None:
        """Answer ListPipelineParametersForExecution."""
        self.stubber.add_response(
            "list_pipeline_parameters_for_execution",
            {"PipelineParameters": [{"Name": "MaxDepth", "Value": "6"}]},
            {"PipelineExecutionArn": ARN},
        )

    def steps(self, *entries: dict[str, Any]) -> None:
        """Answer ListPipelineExecutionSteps."""
        self.stubber.add_response(
            "list_pipeline_execution_steps",
            {"PipelineExecutionSteps": list(entries)},
            {"PipelineExecutionArn": ARN, "SortOrder": "Ascending"},
        )


class FakeClock:
    """Time that moves only when the command sleeps; `on_sleep` runs at each sleep."""

    def __init__(self, on_sleep: Callable[[int], None] | None = None) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))

    def now(self) -> datetime:
        return T0 + timedelta(minutes=10, seconds=self.elapsed)


def run(
    module: Any,
    argv: list[str],
    sagemaker: SageMaker,
    cloudwatch: LogsClient,
    clock: FakeClock | None = None,
) -> tuple[int, str]:
    """Run a command on the stubbed SageMaker and moto's CloudWatch Logs; (exit code, console)."""
    args: argparse.Namespace = cli.build_parser(argv[0]).parse_args(argv)
    out = io.StringIO()
    console = Console(file=out, width=200, soft_wrap=True)
    with sagemaker.stubber:
        try:
            code = module.run(
                args,
                client=sagemaker.client,
                clock=clock or FakeClock(),
                console=console,
                environ={},
                logs=cloudwatch,
            )
        except CommandError as error:
            code = error.exit_code
            out.write(f"error: {error}\n")
        sagemaker.stubber.assert_no_pending_responses()
    return code, out.getvalue()


def test_logs_prints_the_failed_steps_job_log_found_by_its_lower_case_arn(
    cloudwatch: LogsClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(cloudwatch, PROCESSING, f"{PROCESS_JOB}/algo-1-1700000000", ["start", "boom"])
    sagemaker = SageMaker()
    sagemaker.described()
    sagemaker.steps(FAILED_PROCESSING, step("TrainModel", "Stopped"))

    code, _ = run(logs, ["logs", ARN], sagemaker, cloudwatch)

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out == "start\nboom\n"
    assert f"ProcessData (Failed): ProcessingJob {PROCESS_JOB.lower()} in {PROCESSING}" in (
        captured.err
    )


def test_logs_of_a_named_step_merges_its_instances_streams_and_tails(
    cloudwatch: LogsClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(cloudwatch, TRAINING, f"{TRAIN_JOB}/algo-1-1700000000", ["a1"], at=0)
    write_log(cloudwatch, TRAINING, f"{TRAIN_JOB}/algo-2-1700000000", ["b1"], at=1)
    write_log(cloudwatch, TRAINING, f"{TRAIN_JOB}/algo-1-1700000000", ["a2"], at=2)
    train = step("TrainModel", "Succeeded", kind="training-job", job=TRAIN_JOB)
    answers = []
    for _ in range(2):
        sagemaker = SageMaker()
        sagemaker.described("Succeeded")
        sagemaker.steps(train)
        answers.append(sagemaker)

    whole, _ = run(logs, ["logs", ARN, "TrainModel"], answers[0], cloudwatch)
    every = capsys.readouterr().out.splitlines()
    tailed, _ = run(logs, ["logs", ARN, "TrainModel", "--tail", "2"], answers[1], cloudwatch)
    last = capsys.readouterr().out.splitlines()

    assert whole == tailed == 0
    assert every == [
        f"[{TRAIN_JOB}/algo-1-1700000000] a1",
        f"[{TRAIN_JOB}/algo-2-1700000000] b1",
        f"[{TRAIN_JOB}/algo-1-1700000000] a2",
    ]
    assert last == every[1:]


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (
            lambda client: None,
            f"error: log group {PROCESSING} does not exist in us-east-1: no ProcessingJob in "
            "this account and region has written a log there yet",
        ),
        (
            lambda client: write_log(client, PROCESSING, "pipelines-other-Job-1/algo-1", ["x"]),
            f"error: no log stream for job {PROCESS_JOB.lower()} in {PROCESSING} yet: the job "
            "has not written to its log (it may still be starting; --follow waits for it)",
        ),
    ],
    ids=["no log group", "no log stream"],
)
def test_a_missing_log_group_or_stream_is_one_line(
    cloudwatch: LogsClient,
    prepare: Callable[[LogsClient], None],
    message: str,
) -> None:
    prepare(cloudwatch)
    sagemaker = SageMaker()
    sagemaker.described()
    sagemaker.steps(FAILED_PROCESSING)

    code, out = run(logs, ["logs", ARN], sagemaker, cloudwatch)

    assert code == 2
    assert out == message + "\n"


@pytest.fixture
def denied(moto_endpoint: str, cloudwatch: LogsClient) -> Iterator[LogsClient]:
    """A CloudWatch Logs client of an IAM user with no policy, while moto enforces IAM."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="no-logs")
    key = iam.create_access_key(UserName="no-logs")["AccessKey"]

    def enforce(count: bytes) -> None:
        request = urllib.request.Request(
            f"{moto_endpoint}/moto-api/reset-auth",
            data=count,
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    enforce(b"0")
    try:
        yield boto3.client(
            "logs",
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
    finally:
        enforce(b"inf")


def test_access_denied_is_one_line_naming_the_permissions(denied: LogsClient) -> None:
    sagemaker = SageMaker()
    sagemaker.described()
    sagemaker.steps(FAILED_PROCESSING)

    code, out = run(logs, ["logs", ARN], sagemaker, denied)

    assert code == 2
    (line,) = out.splitlines()
    assert line.startswith(f"error: access denied reading {PROCESSING} (User: ")
    assert "is not authorized to perform: logs:DescribeLogStreams" in line
    assert line.endswith(
        "job logs need logs:DescribeLogStreams and logs:GetLogEvents on /aws/sagemaker/*"
    )


def test_access_denied_as_aws_words_it() -> None:
    error = ClientError(
        {
            "Error": {
                "Code": "AccessDeniedException",
                "Message": "User: arn:aws:sts::1:assumed-role/ops is not authorized to perform: "
                "logs:GetLogEvents",
            },
        },
        "GetLogEvents",
    )

    message = log_error_message(error, Job("TrainingJob", "arn:x:training-job/j"), REGION)

    assert message.startswith(f"access denied reading {TRAINING} (User: arn:aws:sts::1:")


@pytest.mark.parametrize(
    ("argv", "entries", "message"),
    [
        (
            ["logs", ARN, "Evaluate"],
            [FAILED_PROCESSING],
            "error: step Evaluate has not started in this execution (started: ProcessData)",
        ),
        (
            ["logs", ARN, "CheckQuality"],
            [step("CheckQuality", "Succeeded")],
            "error: step CheckQuality (Succeeded) ran no job, so it has no job log",
        ),
        (
            ["logs", ARN],
            [step("CheckInstanceLimits", "Succeeded")],
            "error: no step of this execution has run a job yet (started: CheckInstanceLimits)",
        ),
    ],
    ids=["unknown step", "no job", "no job step yet"],
)
def test_steps_without_a_job_log_say_why(
    cloudwatch: LogsClient, argv: list[str], entries: list[dict[str, Any]], message: str
) -> None:
    sagemaker = SageMaker()
    sagemaker.described()
    sagemaker.steps(*entries)

    code, out = run(logs, argv, sagemaker, cloudwatch)

    assert (code, out) == (2, message + "\n")


def test_tail_and_follow_are_refused_together(cloudwatch: LogsClient) -> None:
    code, out = run(logs, ["logs", ARN, "--follow", "--tail", "5"], SageMaker(), cloudwatch)

    assert (code, out) == (
        2,
        "error: --tail and --follow do not go together: --follow prints it all\n",
    )


def test_follow_waits_for_the_step_and_prints_until_it_ends(
    cloudwatch: LogsClient, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = f"{TRAIN_JOB}/algo-1-1700000000"
    executing = step("TrainModel", "Executing", kind="training-job", job=TRAIN_JOB)
    sagemaker = SageMaker()
    sagemaker.described("Executing")
    sagemaker.steps(step("ProcessData", "Succeeded"))  # TrainModel has not started
    sagemaker.described("Executing")
    sagemaker.steps(step("ProcessData", "Succeeded"), executing)  # no log group yet
    sagemaker.steps(step("ProcessData", "Succeeded"), executing)
    sagemaker.steps(
        step("ProcessData", "Succeeded"),
        step("TrainModel", "Succeeded", kind="training-job", job=TRAIN_JOB),
    )

    def job_writes(sleeps: int) -> None:
        if sleeps == 2:
            write_log(cloudwatch, TRAINING, stream, ["[0] train-rmse:0.4"], at=0)
        if sleeps == 3:
            write_log(cloudwatch, TRAINING, stream, ["[1] train-rmse:0.3", "done"], at=5)

    clock = FakeClock(job_writes)
    code, _ = run(
        logs,
        ["logs", ARN, "TrainModel", "--follow", "--poll-interval", "2"],
        sagemaker,
        cloudwatch,
        clock,
    )

    captured = capsys.readouterr()
    assert code == 0
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert captured.out == "[0] train-rmse:0.4\n[1] train-rmse:0.3\ndone\n"
    assert "TrainModel (Executing): TrainingJob" in captured.err


def test_follow_exits_1_when_the_step_fails_and_3_at_the_timeout(
    cloudwatch: LogsClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(cloudwatch, PROCESSING, f"{PROCESS_JOB}/algo-1-1700000000", ["boom"])
    failed = SageMaker()
    failed.described()
    failed.steps(FAILED_PROCESSING)
    running = SageMaker()
    running.described("Executing")
    executing = step("ProcessData", "Executing", kind="processing-job", job=PROCESS_JOB)
    for _ in range(3):
        running.steps(executing)

    failed_code, _ = run(logs, ["logs", ARN, "--follow"], failed, cloudwatch)
    failed_out = capsys.readouterr().out
    timeout_code, _ = run(
        logs, ["logs", ARN, "--follow", "--timeout", "10"], running, cloudwatch, FakeClock()
    )
    err = capsys.readouterr().err

    assert (failed_code, failed_out) == (1, "boom\n")
    assert timeout_code == 3
    assert "Timed out after 10s; the step keeps running." in err


def test_status_prints_the_failed_steps_reason_and_log_tail(cloudwatch: LogsClient) -> None:
    lines = [f"line {n}" for n in range(25)]
    write_log(cloudwatch, PROCESSING, f"{PROCESS_JOB}/algo-1-1700000000", lines)
    sagemaker = SageMaker()
    sagemaker.described()
    sagemaker.parameters()
    sagemaker.steps(FAILED_PROCESSING)

    code, out = run(status, ["status", ARN], sagemaker, cloudwatch)

    assert code == 0
    assert "ProcessData failed: AlgorithmError: see the job logs" in out
    assert f"  last 20 lines of {PROCESSING} {PROCESS_JOB}/algo-1-1700000000:" in out
    assert "  | line 5\n" in out and "  | line 24\n" in out and "  | line 4\n" not in out
    assert f"  the whole log: python -m pipeline_definition logs {ARN} ProcessData" in out


def test_status_without_log_access_still_reports_the_step(denied: LogsClient) -> None:
    sagemaker = SageMaker()
    sagemaker.described()
    sagemaker.parameters()
    sagemaker.steps(FAILED_PROCESSING)

    code, out = run(status, ["status", ARN], sagemaker, denied)

    assert code == 0
    assert "ProcessData failed: AlgorithmError: see the job logs" in out
    assert f"  log unavailable: access denied reading {PROCESSING} (User: " in out


def test_execute_monitor_ends_with_the_failed_steps_log(
    cloudwatch: LogsClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(cloudwatch, TRAINING, f"{TRAIN_JOB}/algo-1-1700000000", ["MemoryError"])
    sagemaker = SageMaker()
    sagemaker.stubber.add_response(
        "describe_pipeline",
        {"PipelineName": PIPELINE, "PipelineDefinition": json.dumps({"Parameters": []})},
        {"PipelineName": PIPELINE},
    )
    sagemaker.stubber.add_response(
        "start_pipeline_execution",
        {"PipelineExecutionArn": ARN},
        {"PipelineName": PIPELINE, "PipelineParameters": [], "ClientRequestToken": ANY},
    )
    sagemaker.described()
    failed = step(
        "TrainModel", "Failed", kind="training-job", job=TRAIN_JOB, reason="AlgorithmError: OOM"
    )
    sagemaker.steps(failed)

    code, out = run(execute, ["execute", "--monitor", "--json"], sagemaker, cloudwatch)

    record = json.loads(capsys.readouterr().out)
    assert code == 1
    assert "TrainModel failed: AlgorithmError: OOM" in out
    assert "  | MemoryError" in out
    assert record["exit_code"] == 1
    assert record["status"] == "Failed"
    (train,) = record["steps"]
    assert train["log"]["log_tail"] == ["MemoryError"]
    assert train["log"]["log_group"] == TRAINING
