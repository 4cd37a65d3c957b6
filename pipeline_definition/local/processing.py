"""Run a Processing step the way the container does: inputs in, command, outputs out."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from pipeline_definition.local.command import JobCommand
from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.jobs import (
    JobContext,
    container_path,
    download_input,
    run_job_command,
)
from pipeline_definition.local.names import arn, timestamp
from pipeline_definition.local.sandbox import map_command
from project.manifests import INPUT_DATA_TYPES, MANIFEST_FILE, S3_PREFIX

CACHE_ATTRIBUTES = ("AppSpecification", "Environment", "ProcessingInputs")
DATA_TYPES_NOTE = f"only {' or '.join(INPUT_DATA_TYPES)}"
CommandBuilder = Callable[[JobContext, Mapping[str, Any]], JobCommand]


def check_processing(arguments: Any) -> list[str]:
    """What in a Processing step's arguments cannot run locally (empty when all can)."""
    if not isinstance(arguments, Mapping):
        return ["has no Arguments object"]
    problems: list[str] = []
    app = arguments.get("AppSpecification")
    if not isinstance(app, Mapping) or not app.get("ContainerEntrypoint"):
        problems.append(
            "has no AppSpecification.ContainerEntrypoint; the image's own entrypoint cannot run "
            "without its container"
        )
    for item in arguments.get("ProcessingInputs") or []:
        name = item.get("InputName", "?") if isinstance(item, Mapping) else "?"
        s3 = item.get("S3Input") if isinstance(item, Mapping) else None
        if not isinstance(s3, Mapping):
            problems.append(f"input {name!r} is not an S3Input (DatasetDefinition needs AWS)")
            continue
        data_type = s3.get("S3DataType", S3_PREFIX)
        # A parameter (InputDataType) is checked once resolved, in run_processing.
        if not isinstance(data_type, Mapping) and data_type not in INPUT_DATA_TYPES:
            problems.append(f"input {name!r}: S3DataType {data_type!r} ({DATA_TYPES_NOTE})")
        if s3.get("S3InputMode", "File") != "File":
            problems.append(f"input {name!r}: S3InputMode {s3.get('S3InputMode')!r} (only File)")
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for item in outputs:
        name = item.get("OutputName", "?") if isinstance(item, Mapping) else "?"
        if not isinstance(item, Mapping) or not isinstance(item.get("S3Output"), Mapping):
            problems.append(f"output {name!r} is not an S3Output (Feature Store needs AWS)")
    return problems


def cache_attributes(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments SageMaker compares to find a cached processing result."""
    return {name: arguments.get(name) for name in CACHE_ATTRIBUTES}


def output_uris(describe: Mapping[str, Any]) -> dict[str, str]:
    """Output name -> S3 URI of a processing describe document."""
    outputs = (describe.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    return {
        item["OutputName"]: item["S3Output"]["S3Uri"]
        for item in outputs
        if isinstance(item.get("S3Output"), Mapping)
    }


def result_uris(describe: Mapping[str, Any]) -> list[str]:
    """The S3 URIs a finished job wrote: its outputs."""
    return list(output_uris(describe).values())


def _timeout(arguments: Mapping[str, Any]) -> float | None:
    seconds = (arguments.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    return float(seconds) if isinstance(seconds, int | float) else None


def container_argv(arguments: Mapping[str, Any]) -> list[str]:
    """The container's command as the job's arguments give it: entrypoint, then arguments."""
    app = arguments.get("AppSpecification") or {}
    entrypoint = app.get("ContainerEntrypoint") or []
    container_arguments = app.get("ContainerArguments") or []
    parts = [*entrypoint, *container_arguments]
    if not all(isinstance(part, str) for part in parts):
        raise LocalJobError(
            f"ContainerEntrypoint and ContainerArguments must be strings, got {parts!r}",
            CLIENT_ERROR,
        )
    return parts


def job_environment(arguments: Mapping[str, Any]) -> dict[str, str]:
    """The job's Environment, as strings."""
    return {str(k): str(v) for k, v in (arguments.get("Environment") or {}).items()}


def build_command(
    ctx: JobContext, arguments: Mapping[str, Any], python: str = sys.executable
) -> JobCommand:
    """The container command with Python (`python`) and /opt/ml mapped to this machine."""
    return JobCommand(
        argv=tuple(map_command(container_argv(arguments), ctx.sandbox, python)),
        cwd=ctx.sandbox.root,
        environment=ctx.sandbox.map_environment(job_environment(arguments)),
    )


def _write_config(ctx: JobContext, arguments: Mapping[str, Any]) -> None:
    config = ctx.sandbox.host_path("/opt/ml/config")
    config.mkdir(parents=True, exist_ok=True)
    job = {**arguments, "ProcessingJobName": ctx.job_name}
    (config / "processingjobconfig.json").write_text(json.dumps(job, indent=2))
    resources = {"current_host": "algo-1", "hosts": ["algo-1"]}
    (config / "resourceconfig.json").write_text(json.dumps(resources))


def run_processing(
    ctx: JobContext, arguments: Mapping[str, Any], command: CommandBuilder = build_command
) -> dict[str, Any]:
    """Run the job in a fresh sandbox and return its DescribeProcessingJob-like document.

    `command` makes the job's command (parity mode runs it in the image's environment).
    """
    created = ctx.clock()
    ctx.sandbox.reset()
    for item in arguments.get("ProcessingInputs") or []:
        name = item.get("InputName", "?")
        s3 = item["S3Input"]
        destination = container_path(ctx, s3["LocalPath"], f"input {name!r}")
        data_type = s3.get("S3DataType", S3_PREFIX)
        if data_type not in INPUT_DATA_TYPES:
            raise LocalJobError(
                f"input {name!r}: S3DataType {data_type!r} ({DATA_TYPES_NOTE})", CLIENT_ERROR
            )
        download_input(
            ctx, f"input {name!r}", s3["S3Uri"], destination, manifest=data_type == MANIFEST_FILE
        )
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    local_outputs = []
    for item in outputs:
        name = item.get("OutputName", "?")
        directory = container_path(ctx, item["S3Output"]["LocalPath"], f"output {name!r}")
        # The container finds its output folders in place, as on SageMaker.
        directory.mkdir(parents=True, exist_ok=True)
        local_outputs.append((name, directory, item["S3Output"]["S3Uri"]))
    _write_config(ctx, arguments)
    instances = (arguments.get("ProcessingResources") or {}).get("ClusterConfig", {})
    if isinstance(instances.get("InstanceCount"), int) and instances["InstanceCount"] > 1:
        ctx.note(f"{ctx.step_name}: InstanceCount {instances['InstanceCount']} runs as one host")
    started = ctx.clock()
    run_job_command(
        ctx,
        command(ctx, arguments),
        timeout=_timeout(arguments),
        failure_files=(
            ctx.sandbox.host_path("/opt/ml/output/failure"),
            ctx.sandbox.host_path("/opt/ml/output/message"),
        ),
    )
    for name, directory, uri in local_outputs:
        if not isinstance(uri, str):
            raise LocalJobError(f"output {name!r}: S3Uri evaluated to {uri!r}", CLIENT_ERROR)
        ctx.store.upload_dir(directory, uri)
    ended = ctx.clock()
    message = ctx.sandbox.host_path("/opt/ml/output/message")
    describe: dict[str, Any] = {
        **arguments,
        "ProcessingJobName": ctx.job_name,
        "ProcessingJobArn": arn(f"processing-job/{ctx.job_name.lower()}"),
        "ProcessingJobStatus": "Completed",
        "CreationTime": timestamp(created),
        "ProcessingStartTime": timestamp(started),
        "ProcessingEndTime": timestamp(ended),
        "LastModifiedTime": timestamp(ended),
    }
    if message.is_file():
        describe["ExitMessage"] = message.read_text(errors="replace")[:1024]
    return describe
