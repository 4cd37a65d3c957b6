"""Pure parts of operating the pipeline: backoff, outcome, tables, client setup, errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from rich.console import Console

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.client import aws_errors, explain, sagemaker_client
from pipeline_definition.operations.display import plain_table, print_executions
from pipeline_definition.operations.executions import (
    Execution,
    Step,
    check_display_name,
    format_duration,
    pipeline_name_from_arn,
)
from pipeline_definition.operations.monitor import (
    MonitorResult,
    PollSchedule,
    exit_code,
    summary,
)

ARN = "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/house-price-mlops-pipeline/execution/abc"
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_backoff_grows_by_half_and_stops_at_the_cap() -> None:
    schedule = PollSchedule(initial=5.0)

    assert [schedule.delay(n) for n in range(8)] == [
        5.0,
        7.5,
        11.25,
        16.875,
        25.3125,
        37.96875,
        56.953125,
        60.0,
    ]
    assert schedule.delay(10_000) == 60.0
    assert PollSchedule(initial=90.0).delay(3) == 90.0


def _result(
    status: str, *, timed_out: bool = False, steps: list[Step] | None = None
) -> MonitorResult:
    execution = Execution(
        arn=ARN,
        status=status,
        started=T0,
        last_modified=T0 + timedelta(minutes=42, seconds=10),
        failure_reason="Step failure: One or multiple steps failed."
        if status == "Failed"
        else None,
    )
    return MonitorResult(execution, steps or [], timed_out=timed_out, elapsed=1200.0)


def test_success_exits_zero_with_the_run_time() -> None:
    result = _result("Succeeded")

    assert exit_code(result) == 0
    assert summary(result, status_command="st") == [f"Succeeded in 42m 10s: {ARN}"]


def test_failure_exits_one_with_the_execution_and_step_reasons() -> None:
    steps = [
        Step("ProcessData", "Succeeded"),
        Step("TrainModel", "Failed", failure_reason="AlgorithmError: out of memory"),
        Step("EvaluateModel", "Stopped"),
    ]
    result = _result("Failed", steps=steps)

    assert exit_code(result) == 1
    assert summary(result, status_command="st") == [
        f"Execution Failed: {ARN}",
        "Reason: Step failure: One or multiple steps failed.",
        "Step TrainModel Failed: AlgorithmError: out of memory",
        "Step EvaluateModel Stopped: no reason given",
    ]


@pytest.mark.parametrize("status", ["Stopped", "CompletedWithFailures"])
def test_stopped_and_partial_runs_exit_one(status: str) -> None:
    assert exit_code(_result(status)) == 1


def test_timeout_exits_three_and_says_how_to_check_later() -> None:
    result = _result("Executing", timed_out=True)

    assert exit_code(result) == 3
    assert summary(result, status_command="python -m pipeline_definition status") == [
        "Timed out after 1200s: the execution is still Executing and keeps running.",
        f"Check it with: python -m pipeline_definition status {ARN} --watch",
    ]


def test_plain_tables_align_columns_without_decoration() -> None:
    assert plain_table(("A", "Status"), [["long-name", "ok"], ["x", "Failed"]]) == (
        "A          Status\nlong-name  ok\nx          Failed"
    )


def test_execution_list_prints_plain_text_when_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=80)
    running = Execution(ARN, "Executing", started=T0)

    print_executions(console, [running], T0 + timedelta(hours=1, seconds=5))

    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["Execution", "ARN", "Status", "Started", "Duration"]
    assert lines[1].split() == [ARN, "Executing", "2026-11-27", "08:00:00Z", "1h", "00m", "05s"]


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59, "59s"), (61, "1m 01s"), (3725, "1h 02m 05s")]
)
def test_durations_read_naturally(seconds: int, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text


def test_execution_arns_name_their_pipeline() -> None:
    assert pipeline_name_from_arn(ARN) == "house-price-mlops-pipeline"
    with pytest.raises(OperationError, match="is not a pipeline execution ARN"):
        pipeline_name_from_arn("arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p")


@pytest.mark.parametrize("name", ["-leading", "under_score", "x" * 83])
def test_display_names_follow_the_api_pattern(name: str) -> None:
    with pytest.raises(OperationError, match="--display-name"):
        check_display_name(name)


def test_region_precedence_ends_with_the_app_region(tmp_path: Path) -> None:
    isolated = {
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        for name, value in isolated.items():
            patch.setenv(name, value)
        fallback = sagemaker_client(profile=None, region=None, fallback_region="eu-west-1")
        from_env = sagemaker_client(
            profile=None,
            region=None,
            fallback_region="eu-west-1",
            environ={"AWS_REGION": "us-west-2"},
        )
        explicit = sagemaker_client(
            profile=None, region="ap-south-1", fallback_region="eu-west-1", environ={}
        )
        with pytest.raises(OperationError, match="AWS profile not found"):
            sagemaker_client(profile="missing", region=None, fallback_region="eu-west-1")

    assert fallback.meta.region_name == "eu-west-1"
    assert from_env.meta.region_name == "us-west-2"
    assert explicit.meta.region_name == "ap-south-1"


def test_errors_become_one_line_of_advice() -> None:
    not_found = ClientError(
        {"Error": {"Code": "ResourceNotFound", "Message": "Pipeline 'x' does not exist."}},
        "DescribePipeline",
    )
    html = ClientError({"Error": {"Code": "500", "Message": "<!doctype html>\n<p>x"}}, "Op")

    assert explain(NoCredentialsError()).startswith("no AWS credentials found")
    assert explain(not_found, pipeline_name="x", region="eu-west-1") == (
        "pipeline 'x' not found in eu-west-1: deploy it with `cdk deploy`, or pass "
        "--pipeline-name / --region for another one"
    )
    assert explain(html) == "500: the endpoint answered with an HTML error page"
    with pytest.raises(OperationError, match="cannot reach"), aws_errors(region="eu-west-1"):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
