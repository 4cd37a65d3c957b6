"""`--json` on execute, status and list, against the moto server: one JSON object on stdout
(failures included), every message on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID

from pipeline_definition import cli
from project.settings import project_settings
from testsupport.definitions import shipped_definition_text
from testsupport.moto_account import reset_moto_account

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

pytestmark = pytest.mark.integration

REGION = "us-east-1"
PIPELINE = project_settings({}).pipeline_name
EXECUTION_KEYS = {
    "pipeline_name",
    "region",
    "execution_arn",
    "display_name",
    "status",
    "started",
    "ended",
    "failure_reason",
    "parameters",
    "steps",
    "steps_error",
    "exit_code",
}


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SageMakerClient:
    """A clean moto account holding the shipped pipeline."""
    reset_moto_account(moto_endpoint, monkeypatch, tmp_path, REGION)
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_pipeline(
        PipelineName=PIPELINE,
        PipelineDefinition=shipped_definition_text(),
        RoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/pipeline",
        ClientRequestToken="create-house-price-pipeline-0000000001",
    )
    return client


def json_run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    """Run the CLI; (exit code, the one JSON object on stdout, stderr)."""
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1, captured.out
    return code, json.loads(lines[0]), captured.err


def test_execute_json_is_the_started_execution(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code, record, err = json_run(capsys, "execute", "--json", "--param", "MaxDepth=6")

    assert code == record["exit_code"] == 0
    assert EXECUTION_KEYS | {"client_request_token"} == set(record)
    assert record["execution_arn"].startswith(f"arn:aws:sagemaker:{REGION}:")
    assert record["parameters"] == {"MaxDepth": "6"}
    assert record["pipeline_name"] == PIPELINE
    assert record["status"]
    assert record["started"].endswith("Z")
    # moto does not list steps: the object says so instead of leaving them out.
    assert record["steps"] == []
    assert record["steps_error"]
    assert f"Execution ARN: {record['execution_arn']}" in err
    assert "Follow it with" not in err


def test_status_and_list_json(aws: SageMakerClient, capsys: pytest.CaptureFixture[str]) -> None:
    arn = aws.start_pipeline_execution(
        PipelineName=PIPELINE,
        PipelineParameters=[{"Name": "NumRound", "Value": "50"}],
        PipelineExecutionDisplayName="json-test",
        ClientRequestToken="json-test-token-00000000000000001",
    )["PipelineExecutionArn"]

    status_code, status, status_err = json_run(capsys, "status", arn, "--json")
    list_code, listed, _ = json_run(capsys, "list", "--json", "--limit", "5")

    assert status_code == list_code == 0
    assert set(status) == EXECUTION_KEYS
    assert (status["execution_arn"], status["display_name"]) == (arn, "json-test")
    assert status["parameters"] == {"NumRound": "50"}
    assert f"Execution: {arn}" in status_err
    assert listed["pipeline_name"] == PIPELINE
    assert [e["execution_arn"] for e in listed["executions"]] == [arn]
    assert set(listed["executions"][0]) == {
        "execution_arn",
        "display_name",
        "status",
        "started",
        "ended",
        "failure_reason",
    }


def test_json_errors_are_one_object_with_the_exit_code(
    aws: SageMakerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code, record, err = json_run(capsys, "execute", "--json", "--pipeline-name", "nope")

    assert code == record["exit_code"] == 2
    assert record["error"].startswith("pipeline 'nope' not found in us-east-1")
    assert err.startswith("error: pipeline 'nope' not found")
