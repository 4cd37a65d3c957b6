"""Typed, frozen settings for the app, built once from `cdk.json` context and the environment.

Context keys come from `cdk.json` (or `-c key=value`); the seed's environment variables
override them so existing shell habits keep working. `app.py` builds the settings once for
`cdk synth`; the command-line tools build them the same way with `project_settings`. Nothing
else reads context or `os.environ` for settings.

Values are checked with the libraries that know the rules: regions against the SageMaker
endpoints that botocore ships (offline), the role ARN with `botocore.utils.ArnParser`, cron
schedules with `aws-cron-expression-validator`. They are imported only when a value needs them,
so commands that read settings stay quick. A region must also be one where CloudFormation can
create the stack's SageMaker resources (`SUPPORTED_REGIONS`, kept honest by a test against
cfn-lint's per-region schemas, which the app itself never imports).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from project.controls import (
    DEFAULT_CHAMPION_TOLERANCE,
    DEFAULT_MODEL_APPROVAL_STATUS,
    DEFAULT_RMSE_THRESHOLD,
    approval_status_problem,
    champion_tolerance_problem,
    rmse_threshold_problem,
)
from project.paths import CDK_JSON, SAMPLE_DATA

PIPELINE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
PIPELINE_NAME_MAX_LENGTH = 256
# S3 bucket naming rules (general purpose buckets): 3-63 chars, lowercase letters, digits,
# dots and hyphens, starting and ending with a letter or digit.
BUCKET_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IP_ADDRESS_PATTERN = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
# IAM role names and paths: letters, digits and +=,.@_- (paths add /), at most 512 in all.
ROLE_RESOURCE_PATTERN = re.compile(r"^role/[\w+=,.@/-]{1,512}$")
ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
PROJECT_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
PREFIX_PATTERN = re.compile(r"^([A-Za-z0-9!_.*'()-]+/)+$")
# EventBridge rate expressions: the unit is singular for 1 and plural above.
RATE_PATTERN = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|hour|day)(?P<plural>s?)\)$")
CRON_PATTERN = re.compile(r"^cron\((?P<fields>.*)\)$")
# An address SNS can send to: one @, no spaces or control characters, a dot in the domain.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
EMAIL_MAX_LENGTH = 254
# SageMaker entity names (CreateModelPackageGroup's ModelPackageGroupName).
MODEL_PACKAGE_GROUP_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

DEFAULT_PROJECT_NAME = "house-price"
DEFAULT_REGION = "us-east-1"
DEFAULT_RAW_DATA_PREFIX = "data/raw/"
# Where the stack ships the embedded sample in the data bucket: outside every raw prefix the
# settings accept, so the deployment itself never starts a run.
SAMPLE_DATA_PREFIX = "data/sample/"
SAMPLE_DATA_KEY = f"{SAMPLE_DATA_PREFIX}{SAMPLE_DATA.name}"

# Regions whose CloudFormation offers both AWS::SageMaker::Pipeline and
# AWS::SageMaker::ModelPackageGroup and where botocore knows SageMaker. A test compares this
# list with cfn-lint's per-region resource schemas and botocore's endpoints; cn-north-1,
# cn-northwest-1, us-gov-east-1, ap-south-2, ap-southeast-4, ap-southeast-6 and ap-east-2 lack
# the Model Package Group resource.
SUPPORTED_REGIONS = frozenset(
    [
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-isoe-west-1",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eusc-de-east-1",
        "il-central-1",
        "me-central-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-gov-west-1",
        "us-iso-east-1",
        "us-isob-east-1",
        "us-isof-east-1",
        "us-isof-south-1",
        "us-west-1",
        "us-west-2",
    ]
)

# (context key, environment variable) for each setting; the environment wins.
SOURCES: dict[str, tuple[str, str | None]] = {
    "project_name": ("projectName", "PROJECT_NAME"),
    "pipeline_name": ("pipelineName", "PIPELINE_NAME"),
    "region": ("region", "AWS_REGION"),
    "account": ("account", "CDK_DEFAULT_ACCOUNT"),
    "existing_bucket_name": ("s3Bucket", "S3_BUCKET"),
    "existing_role_arn": ("sagemakerRoleArn", "SAGEMAKER_ROLE_ARN"),
    "raw_data_prefix": ("rawDataPrefix", "RAW_DATA_PREFIX"),
    "trigger_schedule": ("triggerSchedule", "TRIGGER_SCHEDULE"),
    "skip_if_running": ("skipIfRunning", "SKIP_IF_RUNNING"),
    "existing_model_package_group": (
        "existingModelPackageGroup",
        "EXISTING_MODEL_PACKAGE_GROUP",
    ),
    "trigger_reserved_concurrency": (
        "triggerReservedConcurrency",
        "TRIGGER_RESERVED_CONCURRENCY",
    ),
    # Controls (project/controls.py): written into the definition, never run parameters.
    "model_approval_status": ("modelApprovalStatus", "MODEL_APPROVAL_STATUS"),
    "rmse_threshold": ("rmseThreshold", "RMSE_THRESHOLD"),
    "champion_tolerance": ("championTolerance", "CHAMPION_TOLERANCE"),
    "notification_email": ("notificationEmail", "NOTIFICATION_EMAIL"),
}


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the setting and its source."""

    def __init__(self, setting: str, message: str) -> None:
        context_key, env_var = SOURCES[setting]
        origin = f"context '{context_key}'" + (f" / env {env_var}" if env_var else "")
        super().__init__(f"Invalid setting {setting} ({origin}): {message}")
        self.setting = setting


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about its deployment, validated."""

    project_name: str
    pipeline_name: str
    region: str
    account: str | None
    existing_bucket_name: str | None
    existing_role_arn: str | None
    raw_data_prefix: str
    trigger_schedule: str | None
    skip_if_running: bool
    existing_model_package_group: str | None = None
    trigger_reserved_concurrency: int | None = None
    model_approval_status: str = DEFAULT_MODEL_APPROVAL_STATUS
    rmse_threshold: float = DEFAULT_RMSE_THRESHOLD
    champion_tolerance: float = DEFAULT_CHAMPION_TOLERANCE
    notification_email: str | None = None

    @property
    def stack_name(self) -> str:
        """The CloudFormation stack name."""
        return f"{self.project_name}-ml-pipeline"

    @property
    def model_package_group_name(self) -> str:
        """The Model Registry group the pipeline registers into (adopted or created)."""
        return self.existing_model_package_group or f"{self.project_name}-models"

    @property
    def adopts_model_package_group(self) -> bool:
        """Whether the group exists already, so the stack grants on it without creating it."""
        return self.existing_model_package_group is not None

    @property
    def sample_data_key(self) -> str:
        """The data-bucket key the stack ships the embedded sample to (InputData's default)."""
        return SAMPLE_DATA_KEY


def _raw(setting: str, context: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    context_key, env_var = SOURCES[setting]
    if env_var and environ.get(env_var, "").strip():
        return environ[env_var].strip()
    value = context.get(context_key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


def _project_name_problem(name: str) -> str | None:
    if PROJECT_NAME_PATTERN.match(name):
        return None
    return f"{name!r} must be 3-32 lowercase letters, digits or hyphens, starting with a letter"


def _account_problem(account: str) -> str | None:
    if ACCOUNT_PATTERN.match(account):
        return None
    return f"{account!r} is not a 12-digit AWS account id"


def validate_pipeline_name(name: str) -> None:
    """Raise SettingsError when `name` is not a valid SageMaker pipeline name."""
    if len(name) > PIPELINE_NAME_MAX_LENGTH:
        raise SettingsError(
            "pipeline_name",
            f"{len(name)} characters; SageMaker allows at most {PIPELINE_NAME_MAX_LENGTH}",
        )
    if not PIPELINE_NAME_PATTERN.match(name):
        raise SettingsError(
            "pipeline_name",
            f"{name!r} must match {PIPELINE_NAME_PATTERN.pattern} "
            "(letters, digits and single or repeated hyphens between them)",
        )


def schedule_problem(expression: str) -> str | None:
    """Why `expression` is not an EventBridge `cron(...)` or `rate(...)` schedule, or None."""
    cron = CRON_PATTERN.match(expression)
    if cron:
        from aws_cron_expression_validator.validator import (  # noqa: PLC0415
            AWSCronExpressionValidator,
        )

        try:
            AWSCronExpressionValidator.validate(cron["fields"])
        except ValueError as error:
            return f"{expression!r} is not a valid EventBridge cron expression: {error}"
        return None
    rate = RATE_PATTERN.match(expression)
    if rate is None:
        return (
            f"{expression!r} must be an EventBridge expression such as cron(0 6 ? * MON *) "
            "or rate(1 day)"
        )
    value, unit = int(rate["value"]), rate["unit"]
    if value < 1:
        return f"{expression!r}: the rate must be at least 1 {unit}"
    if (value == 1) == bool(rate["plural"]):
        wanted = unit if value == 1 else f"{unit}s"
        return f"{expression!r}: EventBridge wants rate({value} {wanted})"
    return None


@cache
def sagemaker_regions() -> frozenset[str]:
    """Every region where botocore's endpoint data lists SageMaker, in every partition."""
    import botocore.session  # noqa: PLC0415

    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("sagemaker", partition)
    )


def region_problem(region: str) -> str | None:
    """Why the stack cannot be deployed to `region`, or None."""
    if region not in sagemaker_regions():
        return (
            f"{region!r} is not a region where SageMaker is available; botocore knows "
            f"{', '.join(sorted(sagemaker_regions()))}"
        )
    if region not in SUPPORTED_REGIONS:
        return (
            f"{region!r} is not a supported region: CloudFormation's resource schemas for "
            f"{region} lack AWS::SageMaker::Pipeline or AWS::SageMaker::ModelPackageGroup, "
            f"which this stack creates; supported: {', '.join(sorted(SUPPORTED_REGIONS))}"
        )
    return None


def raw_data_prefix_problem(prefix: str) -> str | None:
    """Why `prefix` cannot be the trigger's raw-data prefix, or None."""
    if not PREFIX_PATTERN.match(prefix):
        return f"{prefix!r} must be a key prefix such as data/raw/ (no leading slash, ends with /)"
    if SAMPLE_DATA_KEY.startswith(prefix):
        return (
            f"{prefix!r} holds {SAMPLE_DATA_KEY}, where the stack ships the sample data, so "
            "every deploy would start a run; choose a prefix such as data/raw/"
        )
    return None


def model_package_group_problem(name: str) -> str | None:
    """Why `name` is not a Model Package Group name, or None."""
    if MODEL_PACKAGE_GROUP_PATTERN.match(name):
        return None
    return (
        f"{name!r} is not a Model Package Group name: 1-63 letters, digits and hyphens, "
        "starting and ending with a letter or digit"
    )


def reserved_concurrency_problem(raw: str) -> str | None:
    """Why `raw` is not a reserved concurrency for the trigger, or None."""
    if raw.isdigit() and int(raw) >= 1:
        return None
    return (
        f"{raw!r} must be a whole number of at least 1 (leave it unset to reserve nothing; "
        "0 would stop the trigger from ever running)"
    )


def email_problem(address: str) -> str | None:
    """Why `address` cannot receive the alarm topic's email, or None."""
    if len(address) <= EMAIL_MAX_LENGTH and EMAIL_PATTERN.match(address) and address.isprintable():
        return None
    return (
        f"{address!r} is not an email address (name@example.com, at most {EMAIL_MAX_LENGTH} "
        "characters, no spaces)"
    )


def role_arn_problem(arn: str) -> str | None:
    """Why `arn` is not an IAM role ARN, or None."""
    from botocore.utils import ArnParser, InvalidArnException  # noqa: PLC0415

    shape = "arn:<partition>:iam::<12-digit account>:role/<path and name>"
    try:
        parts = ArnParser().parse_arn(arn)
    except InvalidArnException:
        return f"{arn!r} is not an ARN ({shape})"
    if parts["service"] != "iam" or not ROLE_RESOURCE_PATTERN.match(parts["resource"]):
        return f"{arn!r} is not an IAM role ARN ({shape})"
    if not ACCOUNT_PATTERN.match(parts["account"]) or parts["region"]:
        return f"{arn!r} is not an IAM role ARN ({shape})"
    return None


def validate_bucket_name(name: str) -> None:
    """Raise SettingsError when `name` is not a valid S3 bucket name."""
    problems = []
    if not BUCKET_NAME_PATTERN.match(name):
        problems.append(
            "3-63 lowercase letters, digits, dots or hyphens, alphanumeric at both ends"
        )
    if ".." in name or ".-" in name or "-." in name:
        problems.append("no adjacent dots or dot-hyphen pairs")
    if IP_ADDRESS_PATTERN.match(name):
        problems.append("not formatted as an IP address")
    if name.startswith(("xn--", "sthree-")) or name.endswith(("-s3alias", "--ol-s3")):
        problems.append("no reserved prefix or suffix")
    if problems:
        raise SettingsError(
            "existing_bucket_name", f"{name!r} is not a valid bucket name: " + "; ".join(problems)
        )


def _check(setting: str, value: str | None, problem_of: Callable[[str], str | None]) -> None:
    """Raise SettingsError with the checker's reason when a set value is invalid."""
    problem = problem_of(value) if value is not None else None
    if problem:
        raise SettingsError(setting, problem)


def _parse_bool(setting: str, raw: str | None) -> bool:
    if raw is None:
        return False
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(setting, f"{raw!r} is not a boolean (true/false)")


def load_settings(context: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    """Build and validate the settings; raise SettingsError naming the first bad setting."""
    raw = {setting: _raw(setting, context, environ) for setting in SOURCES}
    project_name = raw["project_name"] or DEFAULT_PROJECT_NAME
    _check("project_name", project_name, _project_name_problem)
    pipeline_name = raw["pipeline_name"] or f"{project_name}-mlops-pipeline"
    validate_pipeline_name(pipeline_name)
    region = raw["region"] or DEFAULT_REGION
    prefix = raw["raw_data_prefix"] or DEFAULT_RAW_DATA_PREFIX
    checks: dict[str, tuple[str | None, Callable[[str], str | None]]] = {
        "region": (region, region_problem),
        "account": (raw["account"], _account_problem),
        "existing_role_arn": (raw["existing_role_arn"], role_arn_problem),
        "raw_data_prefix": (prefix, raw_data_prefix_problem),
        "trigger_schedule": (raw["trigger_schedule"], schedule_problem),
        "existing_model_package_group": (
            raw["existing_model_package_group"],
            model_package_group_problem,
        ),
        "trigger_reserved_concurrency": (
            raw["trigger_reserved_concurrency"],
            reserved_concurrency_problem,
        ),
        "model_approval_status": (raw["model_approval_status"], approval_status_problem),
        "rmse_threshold": (raw["rmse_threshold"], rmse_threshold_problem),
        "champion_tolerance": (raw["champion_tolerance"], champion_tolerance_problem),
        "notification_email": (raw["notification_email"], email_problem),
    }
    for setting, (value, problem_of) in checks.items():
        _check(setting, value, problem_of)
    bucket = raw["existing_bucket_name"]
    if bucket is not None:
        validate_bucket_name(bucket)
    concurrency = raw["trigger_reserved_concurrency"]
    threshold = raw["rmse_threshold"]
    tolerance = raw["champion_tolerance"]
    return Settings(
        project_name=project_name,
        pipeline_name=pipeline_name,
        region=region,
        account=raw["account"],
        existing_bucket_name=bucket,
        existing_role_arn=raw["existing_role_arn"],
        raw_data_prefix=prefix,
        trigger_schedule=raw["trigger_schedule"],
        skip_if_running=_parse_bool("skip_if_running", raw["skip_if_running"]),
        existing_model_package_group=raw["existing_model_package_group"],
        trigger_reserved_concurrency=int(concurrency) if concurrency is not None else None,
        model_approval_status=raw["model_approval_status"] or DEFAULT_MODEL_APPROVAL_STATUS,
        rmse_threshold=float(threshold) if threshold is not None else DEFAULT_RMSE_THRESHOLD,
        champion_tolerance=(
            float(tolerance) if tolerance is not None else DEFAULT_CHAMPION_TOLERANCE
        ),
        notification_email=raw["notification_email"],
    )


def cdk_context(cdk_json: Path = CDK_JSON) -> dict[str, Any]:
    """The `context` object of `cdk.json` (empty when the file has none)."""
    context = json.loads(cdk_json.read_text()).get("context", {})
    if not isinstance(context, dict):
        raise ValueError(f"{cdk_json}: 'context' must be an object")
    return context


def project_settings(environ: Mapping[str, str], cdk_json: Path = CDK_JSON) -> Settings:
    """Settings exactly as `app.py` builds them for `cdk synth`."""
    return load_settings(cdk_context(cdk_json), environ)
