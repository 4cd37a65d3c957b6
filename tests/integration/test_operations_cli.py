"""The operations CLI against a moto server on loopback, and --monitor on scripted runs."""

from __future__ import annotations

import argparse
import io
import json
import re
import runpy
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import ANY, Stubber
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends
from rich.console import Console

from pipeline_definition import cli
from pipeline_definition.commands import CommandError, execute, status
from project.champion import champion_target
from project.paths import PROJECT_ROOT
from project.settings import project_settings
from testsupport.definitions import shipped_definition_text
from testsupport.moto_account import reset_moto_account

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

pytestmark = pytest.mark.integration


DEFINITION = shipped_definition_text()
REGION = "us-east-1"
PIPELINE = project_settings({}).pipeline_name
ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/pipeline"
EXECUTION_ARN = (
    f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:pipeline/{PIPELINE}/execution/run1"
)
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
TOKEN_LINE = re.compile(r"ClientRequestToken ([0-9a-f]{32})\)")
ARN_LINE = re.compile(r"Execution ARN: (arn:\S+)")


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SageMakerClient:
    """A clean moto account with the pipeline created from the rendered definition."""
    reset_moto_account(moto_endpoint, monkeypatch, tmp_path, REGION)
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_pipeline(
        PipelineName=PIPELINE,
        PipelineDefinition=DEFINITION,
        RoleArn=ROLE_ARN,
        ClientRequestToken="create-house-price-pipeline-0000000001",
    )
    return client


def recorded_executions() -> dict[str, Any]:
    """What the moto server recorded (it runs in this process)."""
    return dict(
        sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].pipelines[PIPELINE].pipeline_executions
    )


def test_execute_starts_a_run_and_prints_its_token_and_arn(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        ["execute", "--param", "MaxDepth=6", "--param", "Eta=0.1", "--display-name", "by-hand-1"]
    )

    out = capsys.readouterr().out
    assert code == 0
    token_match = TOKEN_LINE.search(out)
    arn_match = ARN_LINE.search(out)
    assert token_match and arn_match
    execution_arn = arn_match[1]
    assert f"Follow it with: python -m pipeline_definition status {execution_arn} --watch" in out
    parameters = aws.list_pipeline_parameters_for_execution(PipelineExecutionArn=execution_arn)
    assert {p["Name"]: p["Value"] for p in parameters["PipelineParameters"]} == {
        "Eta": "0.1",
        "MaxDepth": "6",
    }
    recorded = recorded_executions()[execution_arn]
    assert recorded.client_request_token == token_match[1]
    assert recorded.pipeline_execution_display_name == "by-hand-1"


def test_execute_reuses_a_given_token(aws: SageMakerClient) -> None:
    token = "retry-of-a-start-that-timed-out-0001"

    assert cli.main(["execute", "--client-request-token", token]) == 0

    (recorded,) = recorded_executions().values()
    assert recorded.client_request_token == token


def test_the_seed_entry_point_maps_to_execute(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["execute_pipeline.py", "--param", "NumRound=50"])

    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(PROJECT_ROOT / "execute_pipeline.py"), run_name="__main__")

    assert exited.value.code == 0
    assert "Execution ARN: arn:aws:sagemaker" in capsys.readouterr().out
    (recorded,) = recorded_executions().values()
    assert recorded.pipeline_parameters == [{"Name": "NumRound", "Value": "50"}]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--param", "MaxDeph=6"], "unknown parameter MaxDeph (did you mean MaxDepth?)"),
        (
            ["--param", "MaxDepth=deep"],
            "MaxDepth is an Integer parameter; 'deep' is not an integer",
        ),
        (["--param", "ModelApprovalStatus=Approved"], "unknown parameter ModelApprovalStatus"),
        (
            ["--param", "ProcessingInstanceType=ml.m5d.large"],
            "ProcessingInstanceType must be one of the 38 values the pipeline allows "
            "(closest: ml.m5.large",
        ),
        (["--pipeline-name", "nope"], "pipeline 'nope' not found in us-east-1"),
        (["--display-name", "not_valid"], "--display-name 'not_valid'"),
        (["--client-request-token", "short"], "--client-request-token must be 32-128"),
    ],
)
def test_execute_refuses_bad_input_with_exit_code_2(
    aws: SageMakerClient,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    code = cli.main(["execute", *arguments])

    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert recorded_executions() == {}


def test_an_unknown_parameter_lists_the_valid_ones_with_types(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["execute", "--param", "Depth=3"])

    err = capsys.readouterr().err
    for line in ("  MaxDepth (Integer, default 4)", "  Eta (Float, default 0.03)"):
        assert line in err


def started_parameters(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The parameters of the execution `execute` just started (from the ARN it printed)."""
    arn = ARN_LINE.search(capsys.readouterr().out)
    assert arn, "no execution started"
    recorded = recorded_executions()[arn[1]]
    return {p["Name"]: p["Value"] for p in recorded.pipeline_parameters}


@pytest.fixture
def s3(aws: SageMakerClient) -> S3Client:
    """S3 on the same moto server, with a versioned and an unversioned data bucket."""
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket="versioned-data")
    client.put_bucket_versioning(
        Bucket="versioned-data", VersioningConfiguration={"Status": "Enabled"}
    )
    client.create_bucket(Bucket="plain-data")
    return client


def test_execute_passes_the_object_version_so_a_reupload_is_a_cache_miss(
    s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new version of the same key gets another InputVersion: ProcessData's Environment
    differs, so SageMaker's cache (which compares arguments, never data) runs it again."""
    uri = "s3://versioned-data/data/raw/sales.csv"
    first = s3.put_object(Bucket="versioned-data", Key="data/raw/sales.csv", Body=b"v1")

    assert cli.main(["execute", "--param", f"InputData={uri}"]) == 0
    before = started_parameters(capsys)
    second = s3.put_object(Bucket="versioned-data", Key="data/raw/sales.csv", Body=b"v2")
    assert cli.main(["execute", "--param", f"InputData={uri}"]) == 0
    after = started_parameters(capsys)

    assert before == {"InputData": uri, "InputVersion": first["VersionId"]}
    assert after == {"InputData": uri, "InputVersion": second["VersionId"]}
    assert first["VersionId"] != second["VersionId"]


def test_execute_uses_the_etag_without_versioning_and_a_digest_for_a_folder(
    s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    put = s3.put_object(Bucket="plain-data", Key="raw/a.csv", Body=b"rows")
    assert cli.main(["execute", "--param", "InputData=s3://plain-data/raw/a.csv"]) == 0
    assert started_parameters(capsys)["InputVersion"] == put["ETag"].strip('"')

    assert cli.main(["execute", "--param", "InputData=s3://plain-data/raw/"]) == 0
    folder_before = started_parameters(capsys)["InputVersion"]
    s3.put_object(Bucket="plain-data", Key="raw/b.csv", Body=b"more rows")
    assert cli.main(["execute", "--param", "InputData=s3://plain-data/raw/"]) == 0
    folder_after = started_parameters(capsys)["InputVersion"]

    assert len(folder_before) == 32
    assert folder_before != folder_after


def test_execute_keeps_a_given_version_and_refuses_an_absent_object(
    s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = "s3://plain-data/raw/missing.csv"

    code = cli.main(["execute", "--param", f"InputData={absent}"])
    err = capsys.readouterr().err
    given = cli.main(
        ["execute", "--param", f"InputData={absent}", "--param", "InputVersion=by-hand"]
    )

    assert code == 2
    assert f"InputData {absent}: no such object; upload it first" in err
    assert given == 0
    assert started_parameters(capsys)["InputVersion"] == "by-hand"


def _register(client: SageMakerClient, url: str, status: str) -> None:
    group, _ = champion_target(json.loads(DEFINITION)) or ("", "")
    if not client.list_model_package_groups()["ModelPackageGroupSummaryList"]:
        client.create_model_package_group(ModelPackageGroupName=group)
    client.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus=status,  # type: ignore[arg-type]
        InferenceSpecification={
            "Containers": [{"Image": "xgboost:3.2-0", "ModelDataUrl": url}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )


def test_execute_passes_the_newest_approved_model_as_the_champion(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    _, prefix = champion_target(json.loads(DEFINITION)) or ("", "")
    _register(aws, f"{prefix}run-1/model.tar.gz", "Approved")
    _register(aws, f"{prefix}run-2/model.tar.gz", "PendingManualApproval")

    assert cli.main(["execute", "--param", "MaxDepth=5"]) == 0
    out = capsys.readouterr().out
    arn = ARN_LINE.search(out)
    assert arn
    parameters = {p["Name"]: p["Value"] for p in recorded_executions()[arn[1]].pipeline_parameters}

    assert parameters == {"MaxDepth": "5", "ChampionModelData": f"{prefix}run-1/model.tar.gz"}
    assert f"ChampionModelData: champion house-price-models version 1 ({prefix}run-1/" in out


def test_execute_without_an_approved_version_passes_no_champion(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["execute"]) == 0
    out = capsys.readouterr().out

    assert "ChampionModelData: no champion (no Approved version in house-price-models)" in out
    (recorded,) = recorded_executions().values()
    assert recorded.pipeline_parameters == []


def test_execute_refuses_a_champion_chosen_by_hand(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["execute", "--param", "ChampionModelData=s3://mine/model.tar.gz"])

    assert code == 2
    assert "--param: ChampionModelData is not a run's to choose" in capsys.readouterr().err
    assert recorded_executions() == {}


def test_missing_credentials_and_unreachable_endpoints_exit_2(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.delenv("AWS_ACCESS_KEY_ID")
        patch.delenv("AWS_SECRET_ACCESS_KEY")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        no_credentials = cli.main(["list"])
        no_credentials_err = capsys.readouterr().err
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port}")
    unreachable = cli.main(["list"])
    unreachable_err = capsys.readouterr().err

    assert no_credentials == 2
    assert "no AWS credentials found" in no_credentials_err
    assert unreachable == 2
    assert f"cannot reach http://127.0.0.1:{closed_port}" in unreachable_err


def test_list_shows_recent_executions_newest_first(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    arns = [
        aws.start_pipeline_execution(
            PipelineName=PIPELINE, ClientRequestToken=f"list-test-token-{n:020d}"
        )["PipelineExecutionArn"]
        for n in range(3)
    ]
    for offset, arn in enumerate(arns):  # moto stamps them within the same second
        recorded_executions()[arn].start_time = T0 + timedelta(minutes=offset)

    code = cli.main(["list", "--limit", "2"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].split() == ["Execution", "ARN", "Status", "Started", "Duration"]
    assert [line.split()[0] for line in lines[1:]] == [arns[2], arns[1]]
    assert lines[1].split()[1:4] == ["Succeeded", "2026-11-27", "08:02:00Z"]


def test_list_says_when_there_is_nothing_yet(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["list", "--pipeline-name", PIPELINE]) == 0
    assert f"No executions of {PIPELINE} in us-east-1 yet." in capsys.readouterr().out


def test_status_shows_the_execution_and_its_parameters(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = aws.start_pipeline_execution(
        PipelineName=PIPELINE,
        PipelineParameters=[{"Name": "MaxDepth", "Value": "7"}],
        PipelineExecutionDisplayName="status-test",
        ClientRequestToken="status-test-token-000000000000001",
    )["PipelineExecutionArn"]

    code = cli.main(["status", arn])

    out = capsys.readouterr().out
    assert code == 0
    assert f"Execution: {arn}" in out
    assert "Status:    Succeeded" in out
    assert "Name:      status-test" in out
    assert re.search(r"^MaxDepth\s+7$", out, re.MULTILINE)
    # moto does not implement ListPipelineExecutionSteps; the rest of the report stands.
    assert "Steps unavailable:" in out


def test_status_of_a_missing_execution_says_the_execution_is_missing(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["status", EXECUTION_ARN])

    err = capsys.readouterr().err
    assert code == 2
    assert f"error: execution {EXECUTION_ARN} not found: pipeline {PIPELINE} exists" in err
    assert "pipeline_definition list" in err
    assert f"pipeline '{PIPELINE}' not found" not in err


def test_status_of_an_execution_of_a_missing_pipeline_says_the_pipeline_is_missing(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    other = EXECUTION_ARN.replace(f"pipeline/{PIPELINE}/", "pipeline/no-such-pipeline/")

    code = cli.main(["status", other])

    assert code == 2
    assert "pipeline 'no-such-pipeline' not found in us-east-1" in capsys.readouterr().err


# --- --monitor on scripted runs: a Stubber answers, a fake clock never sleeps ---------------


class FakeClock:
    """Monotonic time that advances only when the monitor sleeps."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """Seconds since the start."""
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        """Advance instead of waiting."""
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def now(self) -> datetime:
        """The wall clock matching the monotonic time."""
        return T0 + timedelta(seconds=self.elapsed)


class Script:
    """A stubbed client and the answers it gives, in order."""

    def __init__(self) -> None:
        self.client: SageMakerClient = boto3.client(
            "sagemaker",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url="http://127.0.0.1:9",  # never reached: the Stubber answers first
            config=Config(retries={"max_attempts": 1}),
        )
        self.stubber = Stubber(self.client)

    def start(self, parameters: list[dict[str, str]]) -> None:
        """Answer DescribePipeline, the champion lookup (no Approved version) and
        StartPipelineExecution."""
        self.stubber.add_response(
            "describe_pipeline",
            {"PipelineName": PIPELINE, "PipelineDefinition": DEFINITION},
            {"PipelineName": PIPELINE},
        )
        self.stubber.add_response("list_model_packages", {"ModelPackageSummaryList": []}, None)
        self.stubber.add_response(
            "start_pipeline_execution",
            {"PipelineExecutionArn": EXECUTION_ARN},
            {
                "PipelineName": PIPELINE,
                "PipelineParameters": parameters,
                "ClientRequestToken": ANY,
            },
        )

    def poll(
        self, status: str, steps: list[tuple[str, str, str | None]], reason: str | None
    ) -> None:
        """Answer one DescribePipelineExecution and ListPipelineExecutionSteps."""
        finished = status in {"Succeeded", "Failed", "Stopped"}
        described: dict[str, Any] = {
            "PipelineExecutionArn": EXECUTION_ARN,
            "PipelineExecutionStatus": status,
            "CreationTime": T0,
            "LastModifiedTime": T0 + timedelta(minutes=30) if finished else T0,
        }
        if reason:
            described["FailureReason"] = reason
        self.stubber.add_response(
            "describe_pipeline_execution", described, {"PipelineExecutionArn": EXECUTION_ARN}
        )
        listed = []
        for index, (name, step_status, step_reason) in enumerate(steps):
            step: dict[str, Any] = {
                "StepName": name,
                "StepStatus": step_status,
                "StartTime": T0 + timedelta(minutes=5 * index),
            }
            if step_status in {"Succeeded", "Failed"}:
                step["EndTime"] = T0 + timedelta(minutes=5 * index + 4)
            if step_reason:
                step["FailureReason"] = step_reason
            listed.append(step)
        self.stubber.add_response(
            "list_pipeline_execution_steps",
            {"PipelineExecutionSteps": listed},
            {"PipelineExecutionArn": EXECUTION_ARN, "SortOrder": "Ascending"},
        )


def run_command(
    module: Any, argv: list[str], script: Script, clock: FakeClock, *, terminal: bool = False
) -> tuple[int, str]:
    """Parse `argv` as the CLI would and run the command on the stubbed client."""
    parser = cli.build_parser(argv[0])
    args: argparse.Namespace = parser.parse_args(argv)
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=160, soft_wrap=True)
    with script.stubber:
        try:
            code = module.run(args, client=script.client, clock=clock, console=console, environ={})
        except CommandError as error:
            code = error.exit_code
            out.write(f"error: {error}\n")
        script.stubber.assert_no_pending_responses()
    return code, out.getvalue()


def test_monitor_follows_a_run_to_success(capsys: pytest.CaptureFixture[str]) -> None:
    script = Script()
    script.start([{"Name": "MaxDepth", "Value": "6"}])
    script.poll("Executing", [("ProcessData", "Executing", None)], None)
    script.poll(
        "Executing", [("ProcessData", "Succeeded", None), ("TrainModel", "Executing", None)], None
    )
    script.poll(
        "Succeeded",
        [
            ("ProcessData", "Succeeded", None),
            ("TrainModel", "Succeeded", None),
            ("EvaluateModel", "Succeeded", None),
            ("CheckQuality", "Succeeded", None),
        ],
        None,
    )
    clock = FakeClock()

    code, out = run_command(
        execute, ["execute", "--param", "MaxDepth=6", "--monitor"], script, clock
    )

    assert code == 0
    assert clock.sleeps == [5.0, 7.5]
    assert f"Succeeded in 30m 00s: {EXECUTION_ARN}" in out
    assert "Executing - ProcessData: Executing" in out
    assert "Executing - ProcessData: Succeeded, TrainModel: Executing" in out
    assert re.search(r"^CheckQuality\s+Succeeded\s+2026-11-27 08:15:00Z\s+4m 00s$", out, re.M)


def test_monitor_reports_the_failure_reasons_and_exits_1() -> None:
    script = Script()
    script.start([])
    script.poll(
        "Executing", [("ProcessData", "Succeeded", None), ("TrainModel", "Executing", None)], None
    )
    script.poll(
        "Failed",
        [
            ("ProcessData", "Succeeded", None),
            ("TrainModel", "Failed", "AlgorithmError: XGBoost ran out of memory"),
        ],
        "Step failure: One or multiple steps failed.",
    )
    clock = FakeClock()

    code, out = run_command(
        execute, ["execute", "--monitor", "--poll-interval", "2"], script, clock
    )

    assert code == 1
    assert clock.sleeps == [2.0]
    assert f"Execution Failed: {EXECUTION_ARN}" in out
    assert "Reason: Step failure: One or multiple steps failed." in out
    assert "Step TrainModel Failed: AlgorithmError: XGBoost ran out of memory" in out
    assert re.search(
        r"^TrainModel\s+Failed\s+.*AlgorithmError: XGBoost ran out of memory$", out, re.M
    )


def test_monitor_gives_up_at_the_timeout_and_exits_3() -> None:
    script = Script()
    script.start([])
    for _ in range(4):
        script.poll("Executing", [("ProcessData", "Executing", None)], None)
    clock = FakeClock()

    code, out = run_command(
        execute, ["execute", "--monitor", "--timeout", "20", "--poll-interval", "5"], script, clock
    )

    assert code == 3
    assert clock.sleeps == [5.0, 7.5, 7.5]
    assert "Timed out after 20s: the execution is still Executing and keeps running." in out
    assert f"Check it with: python -m pipeline_definition status {EXECUTION_ARN} --watch" in out


def test_status_watch_follows_a_running_execution_until_stopped() -> None:
    script = Script()
    script.stubber.add_response(
        "describe_pipeline_execution",
        {
            "PipelineExecutionArn": EXECUTION_ARN,
            "PipelineExecutionStatus": "Executing",
            "CreationTime": T0,
        },
        {"PipelineExecutionArn": EXECUTION_ARN},
    )
    script.stubber.add_response(
        "list_pipeline_parameters_for_execution",
        {"PipelineParameters": [{"Name": "InputData", "Value": "s3://b/data/raw/x.csv"}]},
        {"PipelineExecutionArn": EXECUTION_ARN},
    )
    script.poll("Stopping", [("ProcessData", "Stopping", None)], None)
    script.poll("Stopped", [("ProcessData", "Stopped", "Stopped by user")], None)
    clock = FakeClock()

    code, out = run_command(status, ["status", EXECUTION_ARN, "--watch"], script, clock)

    assert code == 1
    assert "Status:    Executing" in out
    assert re.search(r"^InputData\s+s3://b/data/raw/x.csv$", out, re.M)
    assert "Step ProcessData Stopped: Stopped by user" in out


def test_monitor_on_a_terminal_draws_a_live_step_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich draws no control sequences for TERM=dumb, whatever force_terminal says.
    monkeypatch.setenv("TERM", "xterm-256color")
    script = Script()
    script.start([])
    script.poll("Succeeded", [("ProcessData", "Succeeded", None)], None)

    code, out = run_command(execute, ["execute", "--monitor"], script, FakeClock(), terminal=True)

    assert code == 0
    assert "ProcessData" in out
    assert "Failure reason" in out  # the table header, drawn by rich
    assert "\x1b[" in out  # terminal control sequences: the live display was used
