"""Run a Processing step the way the container does: inputs in, command, outputs out.

With `InstanceCount` N, N hosts run at once (`hosts.py`): each gets its sandbox, its
`resourceconfig.json` (`current_host`, `hosts`), every `FullyReplicated` input and its share of
a `ShardedByS3Key` one; then every host's output folder is uploaded to the output's S3 prefix,
as SageMaker does, so files of the same name overwrite each other (a note says so).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from pipeline_definition.local.command import JobCommand
from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.hosts import (
    Host,
    HostRun,
    download_to_hosts,
    instance_count,
    job_hosts,
    run_on_hosts,
)
from pipeline_definition.local.jobs import JobContext, container_path
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


def _write_config(host: Host, hosts: list[str], arguments: Mapping[str, Any]) -> None:
    config = host.ctx.sandbox.host_path("/opt/ml/config")
    config.mkdir(parents=True, exist_ok=True)
    job = {**arguments, "ProcessingJobName": host.ctx.job_name}
    (config / "processingjobconfig.json").write_text(json.dumps(job, indent=2))
    resources = {"current_host": host.name, "hosts": hosts}
    (config / "resourceconfig.json").write_text(json.dumps(resources))


def _download_inputs(hosts: list[Host], arguments: Mapping[str, Any]) -> None:
    for item in arguments.get("ProcessingInputs") or []:
        what = f"input {item.get('InputName', '?')!r}"
        s3 = item["S3Input"]
        data_type = s3.get("S3DataType", S3_PREFIX)
        if data_type not in INPUT_DATA_TYPES:
            raise LocalJobError(
                f"{what}: S3DataType {data_type!r} ({DATA_TYPES_NOTE})", CLIENT_ERROR
            )
        destinations = [container_path(host.ctx, s3["LocalPath"], what) for host in hosts]
        download_to_hosts(
            hosts,
            what,
            s3["S3Uri"],
            destinations,
            s3.get("S3DataDistributionType"),
            manifest=data_type == MANIFEST_FILE,
        )


def _upload_outputs(ctx: JobContext, hosts: list[Host], arguments: Mapping[str, Any]) -> None:
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for item in outputs:
        name = item.get("OutputName", "?")
        uri = item["S3Output"]["S3Uri"]
        if not isinstance(uri, str):
            raise LocalJobError(f"output {name!r}: S3Uri evaluated to {uri!r}", CLIENT_ERROR)
        written: dict[str, str] = {}
        for host in hosts:
            folder = container_path(host.ctx, item["S3Output"]["LocalPath"], f"output {name!r}")
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                key = path.relative_to(folder).as_posix()
                if key in written:
                    ctx.note(
                        f"{ctx.step_name}: output {name!r}: {host.name} overwrote {key} of "
                        f"{written[key]} (every instance uploads to the same S3 prefix)"
                    )
                written[key] = host.name
            ctx.store.upload_dir(folder, uri)


def run_processing(
    ctx: JobContext, arguments: Mapping[str, Any], command: CommandBuilder = build_command
) -> dict[str, Any]:
    """Run the job in fresh sandboxes (one per instance) and return its describe document.

    `command` makes each host's command (parity mode runs it in the image's environment).
    """
    created = ctx.clock()
    cluster = (arguments.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    count = instance_count(cluster.get("InstanceCount"), "ClusterConfig.InstanceCount")
    hosts = job_hosts(ctx, count)
    _download_inputs(hosts, arguments)
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for host in hosts:
        for item in outputs:
            name = item.get("OutputName", "?")
            folder = container_path(host.ctx, item["S3Output"]["LocalPath"], f"output {name!r}")
            # The container finds its output folders in place, as on SageMaker.
            folder.mkdir(parents=True, exist_ok=True)
        _write_config(host, [h.name for h in hosts], arguments)
    started = ctx.clock()
    runs = [
        HostRun(
            host,
            command(host.ctx, arguments),
            (
                host.ctx.sandbox.host_path("/opt/ml/output/failure"),
                host.ctx.sandbox.host_path("/opt/ml/output/message"),
            ),
        )
        for host in hosts
    ]
    run_on_hosts(ctx, runs, timeout=_timeout(arguments))
    _upload_outputs(ctx, hosts, arguments)
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
