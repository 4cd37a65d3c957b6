"""The trigger handler against moto: what it starts, with which parameters and token."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest

from project.run_parameters import CLIENT_TOKEN_MAX_LENGTH, CLIENT_TOKEN_MIN_LENGTH, encode_specs
from stacks.trigger.handler import handler
from stacks.trigger.handler.champion import ChampionConfigurationError
from stacks.trigger.handler.handler import ConfigurationError, TriggerConfig
from stacks.trigger.handler.tokens import manual_token, object_token, scheduled_token
from testsupport.definitions import event as event_fixture
from testsupport.lambda_logs import lambda_json
from testsupport.trigger_account import GROUP, MODELS, PIPELINE, REGION, SPECS, Aws, s3_event


def log_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The log records so far, as Lambda's JSON log format prints them."""
    return lambda_json(caplog.records)


def test_new_csv_starts_a_run_on_that_object_with_the_derived_token(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    event = s3_event()
    result = aws.handle(event)

    expected_token = object_token(
        PIPELINE,
        "house-price-data",
        "data/raw/house_data.csv",
        "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
        "00617F08299329D189",
    )
    assert result["status"] == "started"
    assert result["token"] == expected_token
    assert CLIENT_TOKEN_MIN_LENGTH <= len(expected_token) <= CLIENT_TOKEN_MAX_LENGTH
    (execution,) = aws.executions().values()
    assert execution.arn == result["execution_arn"]
    assert execution.client_request_token == expected_token
    assert execution.pipeline_parameters == [
        {"Name": "InputData", "Value": "s3://house-price-data/data/raw/house_data.csv"},
        {"Name": "InputVersion", "Value": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"},
    ]
    assert execution.pipeline_execution_display_name == f"object-{expected_token[:16]}"
    assert "s3://house-price-data/data/raw/house_data.csv" in (
        execution.pipeline_execution_description
    )
    started = [
        line for line in log_lines(caplog) if line["message"] == "Pipeline execution started"
    ]
    assert started == [
        {
            **started[0],
            "level": "INFO",
            "pipeline": PIPELINE,
            "bucket": "house-price-data",
            "key": "data/raw/house_data.csv",
            "token": expected_token,
            "execution_arn": result["execution_arn"],
            "input_data": "s3://house-price-data/data/raw/house_data.csv",
        }
    ]


def test_a_redelivered_event_sends_the_identical_token(aws: Aws) -> None:
    first = aws.handle(s3_event(), request_id="req-1")
    again = aws.handle(s3_event(), request_id="req-2")

    assert first["token"] == again["token"]
    # moto does not deduplicate tokens: both calls reach it, with the same token.
    tokens = {execution.client_request_token for execution in aws.executions().values()}
    assert tokens == {first["token"]}


def test_a_new_version_of_the_same_key_is_a_new_run(aws: Aws) -> None:
    first = aws.handle(s3_event())
    second = aws.handle(s3_event(**{"version-id": "v2", "sequencer": "00617F0829932AAAAA"}))

    assert first["token"] != second["token"]


def test_a_new_version_reaches_the_cache_key_through_input_version(aws: Aws) -> None:
    """Same key, new version: InputData is equal, InputVersion is not, so nothing is reused."""
    first = aws.handle(s3_event())
    second = aws.handle(s3_event(**{"version-id": "v2", "sequencer": "00617F0829932AAAAA"}))

    assert first["parameters"]["InputData"] == second["parameters"]["InputData"]
    assert first["parameters"]["InputVersion"] == "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"
    assert second["parameters"]["InputVersion"] == "v2"


@pytest.mark.parametrize(
    ("fields", "version"),
    [
        ({"version-id": None}, "b1946ac92492d2347c6235b4d2611184"),
        ({"version-id": "null", "etag": '"0a1b2c"'}, "0a1b2c"),
        ({"version-id": None, "etag": None}, None),
    ],
)
def test_an_unversioned_object_is_told_apart_by_its_etag(
    aws: Aws, fields: dict[str, Any], version: str | None
) -> None:
    event = s3_event()
    for name, value in fields.items():
        if value is None:
            del event["detail"]["object"][name]
        else:
            event["detail"]["object"][name] = value

    result = aws.handle(event)

    assert result["status"] == "started"
    assert result["parameters"].get("InputVersion") == version


def test_a_pipeline_without_input_version_gets_input_data_alone(aws: Aws) -> None:
    specs = {name: spec for name, spec in SPECS.items() if name != "InputVersion"}

    result = aws.handle(s3_event(), parameters=specs)

    assert result["parameters"] == {"InputData": "s3://house-price-data/data/raw/house_data.csv"}


def test_gzipped_csv_starts_a_run(aws: Aws) -> None:
    result = aws.handle(s3_event(key="data/raw/2026/11/sales.csv.gz"))

    assert result["status"] == "started"
    (execution,) = aws.executions().values()
    assert execution.pipeline_parameters[0]["Value"] == (
        "s3://house-price-data/data/raw/2026/11/sales.csv.gz"
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"key": "data/processed/house_data.csv"}, "outside the raw data prefix data/raw/"),
        ({"key": "data/raw/notes.txt"}, "does not end with .csv or .csv.gz"),
        ({"key": "data/raw/house_data.csv.bak"}, "does not end with .csv or .csv.gz"),
        ({"size": 0}, "object is empty (0 bytes)"),
    ],
)
def test_objects_that_cannot_start_a_run_are_ignored_with_the_reason(
    aws: Aws, caplog: pytest.LogCaptureFixture, fields: dict[str, Any], reason: str
) -> None:
    result = aws.handle(s3_event(**fields))

    assert result["status"] == "ignored"
    assert reason in result["reason"]
    assert aws.executions() == {}
    assert aws.parked() == []
    (line,) = [line for line in log_lines(caplog) if line["message"] == "Object ignored"]
    assert reason in line["reason"]
    assert line["key"] == s3_event(**fields)["detail"]["object"]["key"]


def test_manual_event_starts_a_run_with_validated_parameters(aws: Aws) -> None:
    event = {
        "parameters": {
            "InputData": "s3://house-price-data/data/raw/2026.csv",
            "MaxDepth": 6,
            "Eta": "0.1",
            "TrainingInstanceType": "ml.m5.xlarge",
        }
    }
    result = aws.handle(event, request_id="c0ffee00-1111-2222-3333-444455556666")

    assert result["status"] == "started"
    expected = {
        "Eta": "0.1",
        "InputData": "s3://house-price-data/data/raw/2026.csv",
        "MaxDepth": "6",
        "TrainingInstanceType": "ml.m5.xlarge",
    }
    (execution,) = aws.executions().values()
    assert {p["Name"]: p["Value"] for p in execution.pipeline_parameters} == expected
    assert execution.client_request_token == manual_token(
        PIPELINE, expected, "c0ffee00-1111-2222-3333-444455556666"
    )


def test_manual_retries_share_a_token_new_invocations_do_not(aws: Aws) -> None:
    event = {"parameters": {"MaxDepth": "5"}}
    first = aws.handle(event, request_id="request-a")
    retry = aws.handle(copy.deepcopy(event), request_id="request-a")
    new = aws.handle(copy.deepcopy(event), request_id="request-b")

    assert first["token"] == retry["token"] != new["token"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"MaxDeph": 5}, "unknown parameter MaxDeph (did you mean MaxDepth?)"),
        ({"ModelApprovalStatus": "Approved"}, "unknown parameter ModelApprovalStatus"),
        ({"MaxDepth": "deep"}, "MaxDepth is an Integer parameter; 'deep' is not an integer"),
        ({"Eta": True}, "Eta is a Float parameter; True is not a finite number"),
        ({"InputData": 42}, "InputData is a String parameter; 42 is not a string"),
        (
            {"TrainingInstanceType": "ml.g5.xlarge"},
            "TrainingInstanceType must be one of the 38 values the pipeline allows",
        ),
    ],
)
def test_bad_manual_parameters_are_rejected_and_parked(
    aws: Aws, caplog: pytest.LogCaptureFixture, parameters: dict[str, Any], message: str
) -> None:
    event = {"parameters": parameters}
    result = aws.handle(event)

    assert result["status"] == "rejected"
    assert result["error_code"] == "InvalidParameters"
    assert message in result["reason"]
    assert result["parked"] is True
    assert aws.executions() == {}
    (parked,) = aws.parked()
    assert parked["event"] == event
    assert message in parked["reason"]
    (line,) = [line for line in log_lines(caplog) if line["level"] == "ERROR"]
    assert line["message"] == "Event rejected; it will not be retried"
    assert message in line["reason"]


def test_scheduled_event_starts_a_run_with_the_defaults(aws: Aws) -> None:
    event = event_fixture("scheduled_event")
    result = aws.handle(event)

    assert result["status"] == "started"
    (execution,) = aws.executions().values()
    assert execution.pipeline_parameters == []
    assert execution.client_request_token == scheduled_token(
        PIPELINE, "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"
    )


def test_skip_if_running_skips_only_a_run_of_the_same_version(aws: Aws) -> None:
    first = aws.handle(s3_event())
    aws.mark_executing(first["execution_arn"])

    redelivered = aws.handle(s3_event(), request_id="req-2", skip_if_running=True)
    other = aws.handle(s3_event(key="data/raw/other.csv"), skip_if_running=True)

    assert redelivered["status"] == "skipped"
    assert redelivered["execution_arn"] == first["execution_arn"]
    assert "same InputData and InputVersion" in redelivered["reason"]
    assert other["status"] == "started"
    assert len(aws.executions()) == 2


def test_a_new_version_uploaded_during_a_run_starts_its_own_run(aws: Aws) -> None:
    """The running job may have read the old bytes already: skipping v2 would lose it."""
    first = aws.handle(s3_event())
    aws.mark_executing(first["execution_arn"])

    second = aws.handle(
        s3_event(**{"version-id": "v2", "sequencer": "00617F0829932AAAAA"}),
        skip_if_running=True,
    )

    assert second["status"] == "started"
    assert second["parameters"]["InputVersion"] == "v2"
    assert second["execution_arn"] != first["execution_arn"]
    assert aws.parked() == []


def test_skip_if_running_compares_default_runs_through_the_definition(aws: Aws) -> None:
    scheduled = event_fixture("scheduled_event")
    first = aws.handle(scheduled)
    aws.executions()[first["execution_arn"]].pipeline_execution_status = "Executing"

    again = aws.handle({**scheduled, "id": "another-event-id"}, skip_if_running=True)
    explicit_default = aws.handle(
        {"parameters": {"InputData": "s3://${DataBucket}/data/sample/house_data.csv"}},
        skip_if_running=True,
    )

    assert again["status"] == "skipped"
    assert explicit_default["status"] == "skipped"


def test_lambda_handler_reads_its_configuration_from_the_environment(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "PIPELINE_NAME": PIPELINE,
        "DATA_BUCKET_NAME": "house-price-data",
        "RAW_DATA_PREFIX": "data/raw/",
        "PIPELINE_PARAMETERS": encode_specs(SPECS.values()),
        "SKIP_IF_RUNNING": "false",
        "FAILED_EVENTS_QUEUE_URL": aws.queue_url,
        "AWS_REGION": REGION,  # what Lambda sets; botocore alone reads AWS_DEFAULT_REGION
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    handler.reset()
    try:
        result = handler.lambda_handler(s3_event(), SimpleNamespace(aws_request_id="r-1"))
        rejected = handler.lambda_handler({"nonsense": 1}, SimpleNamespace(aws_request_id="r-2"))
    finally:
        handler.reset()

    assert result["status"] == "started"
    assert rejected["status"] == "rejected"
    assert rejected["parked"] is True
    assert [m["request_id"] for m in aws.parked()] == ["r-2"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {},
            "missing environment variables: PIPELINE_NAME, DATA_BUCKET_NAME, RAW_DATA_PREFIX, "
            "PIPELINE_PARAMETERS",
        ),
        (
            {
                "PIPELINE_NAME": "p",
                "DATA_BUCKET_NAME": "b",
                "RAW_DATA_PREFIX": "data/raw/",
                "PIPELINE_PARAMETERS": "[]",
            },
            "PIPELINE_PARAMETERS: parameter declarations must be a non-empty JSON list",
        ),
        (
            {
                "PIPELINE_NAME": "p",
                "DATA_BUCKET_NAME": "b",
                "RAW_DATA_PREFIX": "data/raw/",
                "PIPELINE_PARAMETERS": '[{"Name": "MaxDepth", "Type": "Integer"}]',
            },
            "must declare InputData as a String",
        ),
        (
            {
                "PIPELINE_NAME": "p",
                "DATA_BUCKET_NAME": "b",
                "RAW_DATA_PREFIX": "data/raw/",
                "PIPELINE_PARAMETERS": '[{"Name": "InputData", "Type": "Text"}]',
            },
            "parameter InputData: type 'Text' is not one of",
        ),
    ],
)
def test_a_broken_environment_is_a_configuration_error(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TriggerConfig.from_environ(environ)


def test_configuration_from_the_environment() -> None:
    config = TriggerConfig.from_environ(
        {
            "PIPELINE_NAME": PIPELINE,
            "DATA_BUCKET_NAME": "house-price-data",
            "RAW_DATA_PREFIX": "data/raw/",
            "PIPELINE_PARAMETERS": encode_specs(SPECS.values()),
            "SKIP_IF_RUNNING": "TRUE",
        }
    )

    assert config.skip_if_running is True
    assert config.failed_events_queue_url is None
    assert config.parameters["NumRound"].type == "Integer"
    assert "ml.m5.large" in config.parameters["TrainingInstanceType"].enum_values


def test_without_an_approved_version_the_run_has_no_champion(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    aws.register(f"{MODELS}e1/model.tar.gz", "PendingManualApproval")

    result = aws.handle(s3_event())

    assert result["status"] == "started"
    assert "ChampionModelData" not in aws.started_parameters()
    (line,) = [x for x in log_lines(caplog) if x["message"] == "Champion looked up"]
    assert line["reason"] == f"no Approved version in {GROUP}"


def test_the_newest_approved_version_is_passed_as_the_champion(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    aws.register(f"{MODELS}e1/model.tar.gz", "Approved")
    newest = aws.register(f"{MODELS}e2/model.tar.gz", "Approved")
    aws.register(f"{MODELS}e3/model.tar.gz", "Rejected")

    result = aws.handle(s3_event())

    assert aws.started_parameters()["ChampionModelData"] == f"{MODELS}e2/model.tar.gz"
    assert result["parameters"]["ChampionModelData"] == f"{MODELS}e2/model.tar.gz"
    (line,) = [x for x in log_lines(caplog) if x["message"] == "Champion looked up"]
    assert line["champion"] == newest


def test_a_champion_this_pipeline_did_not_train_is_left_out_with_the_reason(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    aws.register("s3://seed-bucket/model.tar.gz", "Approved")

    aws.handle(s3_event())

    assert "ChampionModelData" not in aws.started_parameters()
    (line,) = [x for x in log_lines(caplog) if x["message"] == "Champion looked up"]
    assert "was not trained by this pipeline" in line["reason"]


def test_a_manual_event_cannot_choose_its_champion(aws: Aws) -> None:
    result = aws.handle({"parameters": {"ChampionModelData": f"{MODELS}mine/model.tar.gz"}})

    assert result["status"] == "rejected"
    assert result["error_code"] == "InvalidParameters"
    assert "ChampionModelData is not a run's to choose" in result["reason"]
    assert aws.executions() == {}


def test_a_champion_lookup_without_its_environment_is_a_deployment_error(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODEL_PACKAGE_GROUP_NAME")
    with pytest.raises(ChampionConfigurationError, match="MODEL_PACKAGE_GROUP_NAME"):
        aws.handle(s3_event())
    assert aws.executions() == {}
