"""A step's job log, where SageMaker writes it: CloudWatch Logs, one stream per instance.

Processing jobs log to `/aws/sagemaker/ProcessingJobs`, training jobs to `.../TrainingJobs`,
transform jobs to `.../TransformJobs`, in streams named `<job name>/<instance>-<time>`. The job
comes from the step's Metadata in ListPipelineExecutionSteps, as an ARN, and SageMaker writes
ARNs in lower case while the streams carry the name as it was given (`...-TrainModel-...`): a
stream is looked up by the exact name first, then among the streams of the execution's jobs,
ignoring case. Every problem (no log group, no stream yet, access denied) is one line.

The logs client is typed `Any`: the lock has no type stubs for CloudWatch Logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.client import explain

LOG_GROUPS = {
    "ProcessingJob": "/aws/sagemaker/ProcessingJobs",
    "TrainingJob": "/aws/sagemaker/TrainingJobs",
    "TransformJob": "/aws/sagemaker/TransformJobs",
}
READ_ACTIONS = "logs:DescribeLogStreams and logs:GetLogEvents on /aws/sagemaker/*"
# Pipelines name jobs `pipelines-<execution id>-<step>-<suffix>`; the execution id is lower case.
PIPELINE_JOB_PREFIX = "pipelines-"
MAX_PAGES = 10_000
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
HTTP_FORBIDDEN = 403
XML_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)
MESSAGE_LIMIT = 200

LogsClient = Any


@dataclass(frozen=True)
class Job:
    """A step's job: its kind (ProcessingJob, ...) and ARN."""

    kind: str
    arn: str

    @property
    def name(self) -> str:
        """The job name inside the ARN (lower case, as SageMaker writes ARNs)."""
        return self.arn.rsplit("/", 1)[-1]

    @property
    def group(self) -> str:
        """The log group SageMaker writes the job's log to."""
        return LOG_GROUPS[self.kind]


@dataclass(frozen=True)
class LogLine:
    """One event of a job's log."""

    timestamp: int
    stream: str
    message: str


@dataclass
class Cursor:
    """How far one stream has been read (GetLogEvents' forward token)."""

    stream: str
    token: str | None = None


@dataclass
class Reader:
    """Reads one job's streams, forward, remembering how far it got (for --follow)."""

    client: LogsClient
    job: Job
    region: str
    cursors: dict[str, Cursor] = field(default_factory=dict)

    def new_lines(self) -> list[LogLine]:
        """Every event written since the last call, streams found since included, in time order.

        While the job starts its log group may not exist yet: that reads as no new lines.
        """
        with log_errors(self.job, self.region):
            try:
                streams = job_streams(self.client, self.job, required=False)
            except ClientError as error:
                if not _is_missing_group(error):
                    raise
                return []
            for stream in streams:
                self.cursors.setdefault(stream, Cursor(stream))
            lines = [line for c in self.cursors.values() for line in _drain(self.client, self, c)]
        return sorted(lines, key=lambda line: line.timestamp)


def _drain(client: LogsClient, reader: Reader, cursor: Cursor) -> Iterator[LogLine]:
    request: dict[str, Any] = {
        "logGroupName": reader.job.group,
        "logStreamName": cursor.stream,
        "startFromHead": True,
    }
    for _ in range(MAX_PAGES):
        if cursor.token:
            request["nextToken"] = cursor.token
        page = client.get_log_events(**request)
        events = _listed(page, "events", "GetLogEvents")
        yield from (_line(cursor.stream, event) for event in events)
        token = page.get("nextForwardToken")
        token = token if isinstance(token, str) else None
        # The end: no events, or the token handed back unchanged.
        if not events or not token or token == cursor.token:
            cursor.token = token or cursor.token
            return
        cursor.token = token


def _listed(page: Any, key: str, operation: str) -> list[Mapping[str, Any]]:
    """The entries under `key`; OperationError for an answer CloudWatch Logs never gives."""
    entries = page.get(key, []) if isinstance(page, Mapping) else None
    if not isinstance(entries, list):
        raise OperationError(
            f"the endpoint's answer to {operation} has no {key} list: it is not a CloudWatch "
            "Logs answer (check AWS_ENDPOINT_URL, a proxy, or try again)"
        )
    return [entry for entry in entries if isinstance(entry, Mapping)]


def _line(stream: str, event: Mapping[str, Any]) -> LogLine:
    timestamp = event.get("timestamp")
    when = timestamp if isinstance(timestamp, int) and not isinstance(timestamp, bool) else 0
    return LogLine(when, stream, str(event.get("message", "")))


def _streams(client: LogsClient, group: str, prefix: str) -> list[str]:
    names: list[str] = []
    request = {"logGroupName": group, "logStreamNamePrefix": prefix}
    for _ in range(MAX_PAGES):
        page = client.describe_log_streams(**request)
        entries = _listed(page, "logStreams", "DescribeLogStreams")
        names += [e["logStreamName"] for e in entries if isinstance(e.get("logStreamName"), str)]
        token = page.get("nextToken")
        if not token or token == request.get("nextToken"):
            return names
        request["nextToken"] = token
    return names


def _case_blind_prefix(name: str) -> str | None:
    """The part of a pipeline job's name whose case is known: `pipelines-<execution id>-`."""
    if not name.startswith(PIPELINE_JOB_PREFIX):
        return None
    execution_id, dash, _ = name.removeprefix(PIPELINE_JOB_PREFIX).partition("-")
    return f"{PIPELINE_JOB_PREFIX}{execution_id}{dash}" if dash else None


def job_streams(client: LogsClient, job: Job, *, required: bool = True) -> list[str]:
    """The job's log streams; OperationError when there is none and `required`."""
    streams = _streams(client, job.group, f"{job.name}/")
    prefix = _case_blind_prefix(job.name)
    if not streams and prefix:
        wanted = f"{job.name}/".lower()
        streams = [s for s in _streams(client, job.group, prefix) if s.lower().startswith(wanted)]
    if not streams and required:
        raise OperationError(
            f"no log stream for job {job.name} in {job.group} yet: the job has not written "
            "to its log (it may still be starting; --follow waits for it)"
        )
    return sorted(streams)


def whole_log(client: LogsClient, job: Job, region: str) -> list[LogLine]:
    """Every event of the job's log, across its streams, in time order."""
    with log_errors(job, region):
        job_streams(client, job)  # one line when there is no stream at all
    return Reader(client, job, region).new_lines()


def last_lines(client: LogsClient, job: Job, region: str, count: int) -> list[LogLine]:
    """The last `count` events of the job's log, across its streams, in time order."""
    with log_errors(job, region):
        lines: list[LogLine] = []
        for stream in job_streams(client, job):
            page = client.get_log_events(
                logGroupName=job.group, logStreamName=stream, startFromHead=False, limit=count
            )
            lines += [_line(stream, event) for event in _listed(page, "events", "GetLogEvents")]
    return sorted(lines, key=lambda line: line.timestamp)[-count:]


def _is_missing_group(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def _is_denied(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in DENIED_CODES or status == HTTP_FORBIDDEN


def _denial(error: ClientError) -> str:
    """AWS's own words on the denial; some endpoints wrap them in an XML error document."""
    message = str(error.response.get("Error", {}).get("Message", ""))
    wrapped = XML_MESSAGE.search(message)
    return (wrapped[1] if wrapped else message).strip()[:MESSAGE_LIMIT]


def log_error_message(error: ClientError, job: Job, region: str) -> str:
    """One line for a CloudWatch Logs error: no group, access denied, or AWS's own words."""
    if _is_missing_group(error):
        return (
            f"log group {job.group} does not exist in {region}: no {job.kind} in this account "
            "and region has written a log there yet"
        )
    if _is_denied(error):
        return f"access denied reading {job.group} ({_denial(error)}): job logs need {READ_ACTIONS}"
    return f"cannot read {job.group}: {explain(error)}"


@contextmanager
def log_errors(job: Job, region: str) -> Iterator[None]:
    """Turn CloudWatch Logs errors into one OperationError line naming the job and group."""
    try:
        yield
    except ClientError as error:
        raise OperationError(log_error_message(error, job, region)) from error
    except BotoCoreError as error:
        raise OperationError(f"cannot read {job.group}: {explain(error)}") from error


def follow(
    reader: Reader,
    *,
    emit: Callable[[LogLine], None],
    finished: Callable[[], bool],
    sleep: Callable[[], None],
) -> None:
    """Print new events until `finished()` says the step is over, then what is left."""
    while True:
        done = finished()
        for line in reader.new_lines():
            emit(line)
        if done:
            return
        sleep()
