"""Executions and their steps, read from SageMaker into small typed values."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pipeline_definition.operations import OperationError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

SUCCEEDED = "Succeeded"
# The kinds of job a step's Metadata names whose log SageMaker writes to CloudWatch Logs.
JOB_KINDS = ("ProcessingJob", "TrainingJob", "TransformJob")
TERMINAL_STATUSES = frozenset({"Succeeded", "Failed", "Stopped", "CompletedWithFailures"})
DISPLAY_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$")
DESCRIPTION_MAX_LENGTH = 3072
# Pipeline names follow SageMaker's pattern, execution ids are letters and digits: nothing else
# (a path, a control character) passes for an ARN.
EXECUTION_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]*):\d{12}:"
    r"pipeline/(?P<pipeline>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255})/execution/[a-zA-Z0-9]{1,256}$"
)
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Execution:
    """One pipeline execution."""

    arn: str
    status: str
    display_name: str | None = None
    started: datetime | None = None
    last_modified: datetime | None = None
    failure_reason: str | None = None

    @property
    def finished(self) -> bool:
        """True once the execution can no longer change."""
        return self.status in TERMINAL_STATUSES

    @property
    def ended(self) -> datetime | None:
        """When a finished execution ended (its last modification)."""
        return self.last_modified if self.finished else None


@dataclass(frozen=True)
class Step:
    """One step of an execution, as far as it has run."""

    name: str
    status: str
    started: datetime | None = None
    ended: datetime | None = None
    failure_reason: str | None = None
    cache_hit: bool = False
    # The job the step ran (ListPipelineExecutionSteps' Metadata): its kind and ARN.
    job_kind: str | None = None
    job_arn: str | None = None

    @property
    def finished(self) -> bool:
        """True once the step can no longer change."""
        return self.status in TERMINAL_STATUSES


def step_job(metadata: Any) -> tuple[str, str] | tuple[None, None]:
    """(kind, ARN) of the job a step's Metadata names, (None, None) for other steps."""
    if not isinstance(metadata, Mapping):
        return None, None
    for kind in JOB_KINDS:
        job = metadata.get(kind)
        arn = job.get("Arn") if isinstance(job, Mapping) else None
        if isinstance(arn, str) and arn:
            return kind, arn
    return None, None


def answered(response: Mapping[str, Any], name: str, operation: str, kind: type = str) -> Any:
    """A field SageMaker always sends; OperationError when the answer lacks it.

    An endpoint that is not SageMaker (a proxy's empty 200, a wrong AWS_ENDPOINT_URL) would
    otherwise surface as a KeyError, or as an empty list that reads "no executions".
    """
    value = response.get(name) if isinstance(response, Mapping) else None
    if not isinstance(value, kind) or (isinstance(value, str) and not value):
        raise OperationError(
            f"the endpoint's answer to {operation} has no {name}: it is not a SageMaker answer "
            "(check AWS_ENDPOINT_URL, a proxy, or try again)"
        )
    return value


def new_token() -> str:
    """A fresh ClientRequestToken (32 hex characters, the API's minimum length)."""
    return uuid.uuid4().hex


def pipeline_name_from_arn(execution_arn: str) -> str:
    """The pipeline name inside an execution ARN; OperationError if it is not one."""
    match = EXECUTION_ARN_PATTERN.match(execution_arn)
    if not match:
        raise OperationError(
            f"{execution_arn!r} is not a pipeline execution ARN "
            "(arn:aws:sagemaker:<region>:<account>:pipeline/<name>/execution/<id>)"
        )
    return match["pipeline"]


def region_from_arn(execution_arn: str) -> str | None:
    """The region inside an execution ARN (None when it is no execution ARN)."""
    match = EXECUTION_ARN_PATTERN.match(execution_arn)
    return match["region"] if match else None


def check_display_name(name: str) -> None:
    """Raise OperationError when SageMaker would refuse the display name."""
    if not DISPLAY_NAME_PATTERN.match(name):
        raise OperationError(
            f"--display-name {name!r}: 1-82 letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )


def start_execution(
    client: SageMakerClient,
    pipeline_name: str,
    parameters: Mapping[str, str],
    *,
    token: str,
    display_name: str | None = None,
    description: str | None = None,
) -> str:
    """Start an execution and return its ARN (botocore errors propagate)."""
    request: dict[str, Any] = {
        "PipelineName": pipeline_name,
        "PipelineParameters": [{"Name": n, "Value": v} for n, v in parameters.items()],
        "ClientRequestToken": token,
    }
    if display_name:
        check_display_name(display_name)
        request["PipelineExecutionDisplayName"] = display_name
    if description:
        if len(description) > DESCRIPTION_MAX_LENGTH:
            raise OperationError(f"--description: at most {DESCRIPTION_MAX_LENGTH} characters")
        request["PipelineExecutionDescription"] = description
    response = client.start_pipeline_execution(**request)
    return str(answered(response, "PipelineExecutionArn", "StartPipelineExecution"))


def describe_execution(client: SageMakerClient, execution_arn: str) -> Execution:
    """The execution's current state."""
    described = client.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
    operation = "DescribePipelineExecution"
    return Execution(
        arn=answered(described, "PipelineExecutionArn", operation),
        status=answered(described, "PipelineExecutionStatus", operation),
        display_name=described.get("PipelineExecutionDisplayName"),
        started=described.get("CreationTime"),
        last_modified=described.get("LastModifiedTime"),
        failure_reason=described.get("FailureReason") or None,
    )


def execution_parameters(client: SageMakerClient, execution_arn: str) -> dict[str, str]:
    """The parameter values the execution runs with."""
    paginator = client.get_paginator("list_pipeline_parameters_for_execution")
    values: dict[str, str] = {}
    for page in paginator.paginate(PipelineExecutionArn=execution_arn):
        for parameter in page.get("PipelineParameters", []):
            values[parameter["Name"]] = parameter["Value"]
    return values


def execution_steps(client: SageMakerClient, execution_arn: str) -> list[Step]:
    """The steps that have started, in the order they started."""
    paginator = client.get_paginator("list_pipeline_execution_steps")
    steps: list[Step] = []
    for page in paginator.paginate(PipelineExecutionArn=execution_arn, SortOrder="Ascending"):
        for step in page.get("PipelineExecutionSteps", []):
            job_kind, job_arn = step_job(step.get("Metadata"))
            steps.append(
                Step(
                    name=step.get("StepDisplayName") or step.get("StepName", "?"),
                    status=step.get("StepStatus", "Unknown"),
                    started=step.get("StartTime"),
                    ended=step.get("EndTime"),
                    failure_reason=step.get("FailureReason") or None,
                    cache_hit="CacheHitResult" in step,
                    job_kind=job_kind,
                    job_arn=job_arn,
                )
            )
    return steps


def recent_executions(client: SageMakerClient, pipeline_name: str, limit: int) -> list[Execution]:
    """The newest `limit` executions, newest first."""
    paginator = client.get_paginator("list_pipeline_executions")
    pages = paginator.paginate(
        PipelineName=pipeline_name,
        SortBy="CreationTime",
        SortOrder="Descending",
        PaginationConfig={"PageSize": min(limit, 100)},
    )
    executions: list[Execution] = []
    # Whole pages, not MaxItems, and a sort below: an emulator that ignores SortOrder and
    # paging (moto) answers with everything in one page, and the newest are still found.
    operation = "ListPipelineExecutions"
    for page in pages:
        summaries = answered(page, "PipelineExecutionSummaries", operation, list)
        executions.extend(
            Execution(
                arn=answered(summary, "PipelineExecutionArn", operation),
                status=summary.get("PipelineExecutionStatus", "Unknown"),
                display_name=summary.get("PipelineExecutionDisplayName"),
                started=summary.get("StartTime"),
                failure_reason=summary.get("PipelineExecutionFailureReason") or None,
            )
            for summary in summaries
        )
        if len(executions) >= limit:
            break
    # Sorted again here: the order is what the command promises, whatever the service did.
    executions.sort(key=lambda e: (e.started is not None, e.started), reverse=True)
    # Summaries carry no end time; a finished execution's comes from describing it.
    return [
        replace(e, last_modified=describe_execution(client, e.arn).last_modified)
        if e.finished
        else e
        for e in executions[:limit]
    ]


def duration(started: datetime | None, ended: datetime | None, now: datetime) -> timedelta | None:
    """How long something ran (or has been running), None if it has not started."""
    if started is None:
        return None
    return max((ended or now) - started, timedelta(0))


def format_duration(value: timedelta | None) -> str:
    """`1h 02m 03s`, `4m 05s` or `6s`; an empty string for None."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, SECONDS_PER_HOUR)
    minutes, seconds = divmod(rest, SECONDS_PER_MINUTE)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


def format_time(value: datetime | None) -> str:
    """A timestamp in UTC, to the second."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
