"""Settings: defaults, context, environment overrides and a clear error per invalid value."""

from __future__ import annotations

import pytest

from project.paths import SAMPLE_DATA
from project.settings import (
    SUPPORTED_REGIONS,
    Settings,
    SettingsError,
    cdk_context,
    load_settings,
    project_settings,
)


def test_defaults_follow_the_seed_conventions() -> None:
    settings = load_settings({}, {})
    assert settings == Settings(
        project_name="house-price",
        pipeline_name="house-price-mlops-pipeline",
        region="us-east-1",
        account=None,
        existing_bucket_name=None,
        existing_role_arn=None,
        raw_data_prefix="data/raw/",
        trigger_schedule=None,
        skip_if_running=False,
        existing_model_package_group=None,
        trigger_reserved_concurrency=None,
    )
    assert settings.model_package_group_name == "house-price-models"
    assert not settings.adopts_model_package_group
    assert settings.stack_name == "house-price-ml-pipeline"


def test_sample_key_lies_outside_the_raw_prefix_so_deploying_starts_no_run() -> None:
    settings = load_settings({}, {})
    assert settings.sample_data_key == f"data/sample/{SAMPLE_DATA.name}"
    assert not settings.sample_data_key.startswith(settings.raw_data_prefix)


@pytest.mark.parametrize("prefix", ["data/", "data/sample/"])
def test_a_raw_prefix_holding_the_sample_is_refused(prefix: str) -> None:
    with pytest.raises(SettingsError, match="where the stack ships the sample data") as error:
        load_settings({"rawDataPrefix": prefix}, {})
    assert error.value.setting == "raw_data_prefix"


def test_an_existing_model_package_group_is_adopted_by_name() -> None:
    settings = load_settings({"existingModelPackageGroup": "SeedModels"}, {})
    assert settings.adopts_model_package_group
    assert settings.model_package_group_name == "SeedModels"
    from_env = load_settings({}, {"EXISTING_MODEL_PACKAGE_GROUP": "house-price-models"})
    assert from_env.model_package_group_name == "house-price-models"


def test_the_alarm_email_is_optional_and_read_from_context_or_environment() -> None:
    assert load_settings({}, {}).notification_email is None
    settings = load_settings({"notificationEmail": "ml-ops@example.com"}, {})
    assert settings.notification_email == "ml-ops@example.com"
    from_env = load_settings({}, {"NOTIFICATION_EMAIL": " team+alarms@example.co.uk "})
    assert from_env.notification_email == "team+alarms@example.co.uk"


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("25", 25)])
def test_reserved_concurrency_is_opt_in(raw: str, expected: int) -> None:
    assert load_settings({}, {}).trigger_reserved_concurrency is None
    settings = load_settings({"triggerReservedConcurrency": raw}, {})
    assert settings.trigger_reserved_concurrency == expected
    from_env = load_settings({}, {"TRIGGER_RESERVED_CONCURRENCY": raw})
    assert from_env.trigger_reserved_concurrency == expected


def test_controls_default_to_manual_approval_and_the_documented_threshold() -> None:
    settings = load_settings({}, {})
    assert (settings.model_approval_status, settings.rmse_threshold) == (
        "PendingManualApproval",
        0.15,
    )


def test_controls_come_from_context_and_the_environment_wins() -> None:
    settings = load_settings({"modelApprovalStatus": "Approved", "rmseThreshold": 0.2}, {})
    assert (settings.model_approval_status, settings.rmse_threshold) == ("Approved", 0.2)
    overridden = load_settings(
        {"modelApprovalStatus": "Approved", "rmseThreshold": 0.2},
        {"MODEL_APPROVAL_STATUS": "PendingManualApproval", "RMSE_THRESHOLD": "0.125"},
    )
    assert (overridden.model_approval_status, overridden.rmse_threshold) == (
        "PendingManualApproval",
        0.125,
    )


def test_the_shipped_cdk_json_states_every_control() -> None:
    context = cdk_context()
    assert (
        context["modelApprovalStatus"],
        context["rmseThreshold"],
        context["championTolerance"],
    ) == ("PendingManualApproval", 0.15, 0.005)
    assert project_settings({}) == load_settings({}, {})


def test_champion_tolerance_defaults_and_comes_from_context_or_the_environment() -> None:
    assert load_settings({}, {}).champion_tolerance == 0.005
    assert load_settings({"championTolerance": 0}, {}).champion_tolerance == 0.0
    overridden = load_settings({"championTolerance": 0.01}, {"CHAMPION_TOLERANCE": "0.02"})
    assert overridden.champion_tolerance == 0.02


def test_pipeline_name_defaults_to_the_project_name() -> None:
    assert load_settings({"projectName": "churn"}, {}).pipeline_name == "churn-mlops-pipeline"


def test_environment_overrides_context() -> None:
    settings = load_settings(
        {"projectName": "from-context", "region": "eu-west-1", "pipelineName": "ctx"},
        {"PROJECT_NAME": "from-env", "AWS_REGION": "eu-central-1", "PIPELINE_NAME": "env-pipe"},
    )
    assert (settings.project_name, settings.region, settings.pipeline_name) == (
        "from-env",
        "eu-central-1",
        "env-pipe",
    )


def test_blank_environment_values_do_not_override() -> None:
    assert load_settings({"region": "eu-west-1"}, {"AWS_REGION": "  "}).region == "eu-west-1"


def test_existing_bucket_and_role_are_taken_from_the_environment() -> None:
    settings = load_settings(
        {},
        {
            "S3_BUCKET": "my-team.data-bucket",
            "SAGEMAKER_ROLE_ARN": "arn:aws:iam::123456789012:role/service-role/SageMaker",
        },
    )
    assert settings.existing_bucket_name == "my-team.data-bucket"
    assert settings.existing_role_arn == "arn:aws:iam::123456789012:role/service-role/SageMaker"


@pytest.mark.parametrize(
    ("environ", "setting", "fragment"),
    [
        ({"PIPELINE_NAME": "has_underscore"}, "pipeline_name", "must match"),
        ({"PIPELINE_NAME": "-leading-hyphen"}, "pipeline_name", "must match"),
        ({"PIPELINE_NAME": "trailing-hyphen-"}, "pipeline_name", "must match"),
        ({"PIPELINE_NAME": "a" * 257}, "pipeline_name", "257 characters"),
        ({"PROJECT_NAME": "Upper"}, "project_name", "lowercase"),
        ({"AWS_REGION": "moon-base-1a"}, "region", "not a region where SageMaker is available"),
        ({"AWS_REGION": "eu-west-9"}, "region", "'eu-west-9' is not a region where SageMaker"),
        ({"AWS_REGION": "cn-north-1"}, "region", "'cn-north-1' is not a supported region"),
        ({"AWS_REGION": "us-gov-east-1"}, "region", "AWS::SageMaker::ModelPackageGroup"),
        ({"CDK_DEFAULT_ACCOUNT": "12345"}, "account", "12-digit"),
        ({"S3_BUCKET": "Bad_Bucket"}, "existing_bucket_name", "not a valid bucket name"),
        ({"S3_BUCKET": "ab"}, "existing_bucket_name", "not a valid bucket name"),
        ({"S3_BUCKET": "my..bucket"}, "existing_bucket_name", "adjacent dots"),
        ({"S3_BUCKET": "192.168.1.1"}, "existing_bucket_name", "IP address"),
        ({"S3_BUCKET": "xn--bucket"}, "existing_bucket_name", "reserved"),
        ({"SAGEMAKER_ROLE_ARN": "arn:aws:iam::123:role/x"}, "existing_role_arn", "IAM role ARN"),
        ({"SAGEMAKER_ROLE_ARN": "arn:aws:iam::123456789012:user/x"}, "existing_role_arn", "ARN"),
        ({"SAGEMAKER_ROLE_ARN": "arn:aws:s3:::bucket/role/x"}, "existing_role_arn", "IAM role"),
        ({"SAGEMAKER_ROLE_ARN": "MyRole"}, "existing_role_arn", "is not an ARN"),
        ({"RAW_DATA_PREFIX": "/data/raw/"}, "raw_data_prefix", "no leading slash"),
        ({"RAW_DATA_PREFIX": "data/raw"}, "raw_data_prefix", "ends with /"),
        ({"TRIGGER_SCHEDULE": "every day"}, "trigger_schedule", "EventBridge expression"),
        (
            {"TRIGGER_SCHEDULE": "cron(0 6 * * MON *)"},
            "trigger_schedule",
            "One must be a question mark",
        ),
        ({"TRIGGER_SCHEDULE": "cron(61 6 ? * MON *)"}, "trigger_schedule", "minute value '61'"),
        ({"TRIGGER_SCHEDULE": "cron(0 6 ? * MON)"}, "trigger_schedule", "6 required"),
        ({"TRIGGER_SCHEDULE": "rate(1 days)"}, "trigger_schedule", "wants rate(1 day)"),
        ({"TRIGGER_SCHEDULE": "rate(2 hour)"}, "trigger_schedule", "wants rate(2 hours)"),
        ({"TRIGGER_SCHEDULE": "rate(0 minutes)"}, "trigger_schedule", "at least 1 minute"),
        ({"SKIP_IF_RUNNING": "maybe"}, "skip_if_running", "not a boolean"),
        (
            {"EXISTING_MODEL_PACKAGE_GROUP": "under_score"},
            "existing_model_package_group",
            "not a Model Package Group name",
        ),
        (
            {"EXISTING_MODEL_PACKAGE_GROUP": "a" * 64},
            "existing_model_package_group",
            "1-63 letters",
        ),
        ({"TRIGGER_RESERVED_CONCURRENCY": "0"}, "trigger_reserved_concurrency", "at least 1"),
        ({"TRIGGER_RESERVED_CONCURRENCY": "two"}, "trigger_reserved_concurrency", "whole number"),
        ({"MODEL_APPROVAL_STATUS": "Rejected"}, "model_approval_status", "PendingManualApproval"),
        ({"MODEL_APPROVAL_STATUS": "approved"}, "model_approval_status", "must be"),
        ({"RMSE_THRESHOLD": "1e300"}, "rmse_threshold", "at most 1"),
        ({"RMSE_THRESHOLD": "0"}, "rmse_threshold", "above 0"),
        ({"RMSE_THRESHOLD": "-0.1"}, "rmse_threshold", "above 0"),
        ({"RMSE_THRESHOLD": "nan"}, "rmse_threshold", "must be a number"),
        ({"RMSE_THRESHOLD": "inf"}, "rmse_threshold", "must be a number"),
        ({"RMSE_THRESHOLD": "0.15x"}, "rmse_threshold", "must be a number"),
        ({"CHAMPION_TOLERANCE": "-0.001"}, "champion_tolerance", "from 0 to 1"),
        ({"CHAMPION_TOLERANCE": "2"}, "champion_tolerance", "from 0 to 1"),
        ({"CHAMPION_TOLERANCE": "nan"}, "champion_tolerance", "must be a number"),
        ({"CHAMPION_TOLERANCE": "a bit"}, "champion_tolerance", "must be a number"),
        ({"NOTIFICATION_EMAIL": "ops"}, "notification_email", "not an email address"),
        ({"NOTIFICATION_EMAIL": "ops@localhost"}, "notification_email", "name@example.com"),
        ({"NOTIFICATION_EMAIL": "o ps@example.com"}, "notification_email", "no spaces"),
        ({"NOTIFICATION_EMAIL": "a@b@example.com"}, "notification_email", "not an email"),
        ({"NOTIFICATION_EMAIL": "ops@example.com\x1b[2J"}, "notification_email", "not an email"),
        (
            {"NOTIFICATION_EMAIL": "o" * 250 + "@example.com"},
            "notification_email",
            "at most 254",
        ),
    ],
)
def test_invalid_values_stop_with_a_message_naming_the_setting(
    environ: dict[str, str], setting: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({}, environ)
    assert error.value.setting == setting
    assert setting in str(error.value)
    assert fragment in str(error.value)


def test_error_names_both_the_context_key_and_the_environment_variable() -> None:
    with pytest.raises(SettingsError, match=r"context 'pipelineName' / env PIPELINE_NAME"):
        load_settings({"pipelineName": "bad name"}, {})


def test_longest_valid_pipeline_name_is_accepted() -> None:
    name = "a-" * 127 + "ab"
    assert len(name) == 256
    assert load_settings({}, {"PIPELINE_NAME": name}).pipeline_name == name


@pytest.mark.parametrize(
    "schedule",
    ["cron(0 6 ? * MON *)", "cron(0/15 * * * ? *)", "rate(1 day)", "rate(12 hours)"],
)
def test_schedule_expressions_are_accepted(schedule: str) -> None:
    assert load_settings({}, {"TRIGGER_SCHEDULE": schedule}).trigger_schedule == schedule


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("YES", True)])
def test_skip_if_running_parses_booleans(raw: str, expected: bool) -> None:
    assert load_settings({}, {"SKIP_IF_RUNNING": raw}).skip_if_running is expected


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "us-gov-west-1", "eusc-de-east-1"])
def test_regions_where_the_stack_can_be_created_are_accepted(region: str) -> None:
    assert region in SUPPORTED_REGIONS
    assert load_settings({}, {"AWS_REGION": region}).region == region


def test_an_unsupported_region_stops_at_settings_time_naming_the_region() -> None:
    # Before, cn-north-1 passed settings and synth failed late, in CloudFormation validation.
    with pytest.raises(SettingsError) as error:
        load_settings({"region": "cn-north-1"}, {})
    message = str(error.value)
    assert error.value.setting == "region"
    assert "'cn-north-1' is not a supported region" in message
    assert "context 'region' / env AWS_REGION" in message
    assert "us-east-1" in message  # the supported ones are listed


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/service-role/SageMaker",
        "arn:aws-cn:iam::123456789012:role/pipeline",
        "arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f_g-h",
    ],
)
def test_role_arns_in_every_partition_are_accepted(arn: str) -> None:
    assert load_settings({}, {"SAGEMAKER_ROLE_ARN": arn}).existing_role_arn == arn
