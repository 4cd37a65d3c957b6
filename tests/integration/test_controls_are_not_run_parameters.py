"""No run can register an Approved model, move the quality gate or choose its champion.

Approval, the RMSE threshold and the champion tolerance are deploy-time settings written into
the definition as literals (project/controls.py). Every way a run is started refuses them as
unknown parameters, and refuses a ChampionModelData of the run's own choosing (the starter sets
it from the registry, project/champion.py), before anything starts: `run-local --param`, a
manual event to the trigger Lambda (through project/run_parameters.py, with the declarations
the deployed function carries) and `execute --param` against the deployed pipeline. What a run
registers is PendingManualApproval (tests/integration/test_run_local.py::
test_first_run_succeeds_and_registers runs it end to end).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

from pipeline_definition import cli
from project.settings import project_settings
from stacks.trigger.handler.handler import TriggerConfig, handle
from testsupport.definitions import SHIPPED_DEFINITION, shipped_definition, shipped_definition_text

pytestmark = pytest.mark.integration

REGION = "us-east-1"
PIPELINE = project_settings({}).pipeline_name
TEMPLATE = SHIPPED_DEFINITION.parent / "test_template_matches_snapshot.json"
# Each way a run could ask for an approved model, or for a gate that passes anything.
CONTROL_OVERRIDES = [
    ("ModelApprovalStatus", "Approved"),
    ("RmseThreshold", "1e300"),
    ("ChampionTolerance", "1"),
]
# (name, value, what the refusal says): the controls, and a champion chosen by the run.
REFUSALS = [
    *[(name, value, f"unknown parameter {name}") for name, value in CONTROL_OVERRIDES],
    ("ChampionModelData", "s3://mine/model.tar.gz", "ChampionModelData is not a run's to choose"),
]


def trigger_environment() -> dict[str, str]:
    """The deployed trigger function's environment, from the template snapshot."""
    template = json.loads(TEMPLATE.read_text())
    (variables,) = [
        resource["Properties"]["Environment"]["Variables"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and "PIPELINE_PARAMETERS"
        in resource["Properties"].get("Environment", {}).get("Variables", {})
    ]
    # Deploy-time references (queue URL, bucket names) become plain strings here.
    return {name: value if isinstance(value, str) else name for name, value in variables.items()}


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A mocked account holding the pipeline as deployed and the failed-events queue."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "PIPELINE_NAME", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        sagemaker.create_pipeline(
            PipelineName=PIPELINE,
            PipelineDefinition=shipped_definition_text(),
            RoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/pipeline",
            ClientRequestToken="create-house-price-pipeline-0000000001",
        )
        queue_url = sqs.create_queue(QueueName="failed-events")["QueueUrl"]
        yield {"sagemaker": sagemaker, "sqs": sqs, "queue_url": queue_url}


def executions() -> dict[str, Any]:
    """Every execution the mocked pipeline has recorded."""
    return dict(
        sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].pipelines[PIPELINE].pipeline_executions
    )


def test_the_definition_declares_no_control_and_registers_pending_approval() -> None:
    definition = shipped_definition()
    declared = {parameter["Name"] for parameter in definition["Parameters"]}
    assert not declared & {name for name, _ in CONTROL_OVERRIDES}
    (gate,) = [step for step in definition["Steps"] if step["Name"] == "CheckQuality"]
    (register,) = gate["Arguments"]["IfSteps"]
    assert register["Arguments"]["ModelApprovalStatus"] == "PendingManualApproval"


@pytest.mark.parametrize(("name", "value", "message"), REFUSALS)
def test_run_local_refuses_the_control_and_registers_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, value: str, message: str
) -> None:
    workdir = tmp_path / "run"

    code = cli.main(["run-local", "--workdir", str(workdir), "--param", f"{name}={value}"])

    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert not (workdir / "registry").exists()
    assert not list((workdir / "executions").glob("*/execution.json"))


@pytest.mark.parametrize(("name", "value", "message"), REFUSALS)
def test_a_manual_trigger_event_with_the_control_is_rejected_and_starts_nothing(
    account: dict[str, Any], name: str, value: str, message: str
) -> None:
    environment = trigger_environment()
    environment["FAILED_EVENTS_QUEUE_URL"] = account["queue_url"]
    config = TriggerConfig.from_environ(environment)
    event = {"parameters": {"InputData": "s3://data/data/raw/x.csv", name: value}}

    result = handle(
        event, "req-1", config=config, sagemaker=account["sagemaker"], queue=account["sqs"]
    )

    assert result["status"] == "rejected"
    assert message in result["reason"]
    assert executions() == {}


@pytest.mark.parametrize(("name", "value", "message"), REFUSALS)
def test_execute_refuses_the_control_and_starts_nothing(
    account: dict[str, Any], capsys: pytest.CaptureFixture[str], name: str, value: str, message: str
) -> None:
    code = cli.main(["execute", "--param", f"{name}={value}"])

    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert executions() == {}
