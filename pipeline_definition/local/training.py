"""Run a Training step as the SDK v3 ModelTrainer's container drivers would.

Channels are downloaded into the sandbox, the drivers' environment and config files
(`drivers`) are written, the entry command runs, and the model directory is uploaded as
`model.tar.gz` (as a folder with CompressionType NONE); the output data directory, when not
empty, as `output.tar.gz`.

With `InstanceCount` N, N hosts run the same command at once (`hosts.py`), each with its own
`resourceconfig.json` and `SM_CURRENT_HOST`; SM_MASTER_ADDR is the loopback address and
SM_MASTER_PORT a free port, where the first host's tracker listens. SageMaker packs the model
folders of all hosts into one `model.tar.gz` and asks that their file names do not clash
("How Amazon SageMaker AI Processes Training Output"); so do the output data folders. Here the
folders are merged the same way, and a clash fails the job with the names of both hosts.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeline_definition.local.command import JobCommand
from pipeline_definition.local.drivers import (
    CODE_CHANNEL,
    DRIVER_SCRIPT,
    DRIVERS_CHANNEL,
    INPUT_CONFIG_DIR,
    INPUT_DATA_DIR,
    MODEL_DIR,
    OUTPUT_DATA_DIR,
    OUTPUT_FAILURE,
    SOURCE_DIR,
    driver_argv,
    input_data_config,
    resource_config,
    training_environment,
    uses_drivers,
)
from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.hosts import (
    LOOPBACK,
    Host,
    HostRun,
    download_to_hosts,
    free_port,
    instance_count,
    job_hosts,
    merge_folders,
    run_on_hosts,
)
from pipeline_definition.local.jobs import FILE_MODES, JobContext, container_path
from pipeline_definition.local.names import arn, timestamp
from pipeline_definition.local.sandbox import map_command

# Makes a job's command from its arguments and the drivers' environment.
CommandBuilder = Callable[[JobContext, Mapping[str, Any], dict[str, str]], JobCommand]
CACHE_ATTRIBUTES = (
    "AlgorithmSpecification",
    "CheckpointConfig",
    "DebugHookConfig",
    "DebugRuleConfigurations",
    "Environment",
    "HyperParameters",
    "InputDataConfig",
)


def _algorithm_problems(spec: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if spec.get("AlgorithmName"):
        problems.append(f"uses the algorithm resource {spec['AlgorithmName']!r}")
    elif not spec.get("ContainerEntrypoint"):
        problems.append(
            "has no AlgorithmSpecification.ContainerEntrypoint (a built-in algorithm or the "
            "image's own entrypoint cannot run without its container)"
        )
    if spec.get("TrainingInputMode", "File") not in FILE_MODES:
        problems.append(f"TrainingInputMode {spec.get('TrainingInputMode')!r} (only File)")
    return problems


def _channel_problems(channel: Any) -> list[str]:
    name = channel.get("ChannelName", "?") if isinstance(channel, Mapping) else "?"
    source = (channel.get("DataSource") or {}) if isinstance(channel, Mapping) else {}
    s3 = source.get("S3DataSource")
    if not isinstance(s3, Mapping):
        return [f"channel {name!r} is not an S3DataSource"]
    problems: list[str] = []
    if s3.get("S3DataType", "S3Prefix") != "S3Prefix":
        problems.append(f"channel {name!r}: S3DataType {s3.get('S3DataType')!r}")
    if channel.get("InputMode", "File") not in FILE_MODES:
        problems.append(f"channel {name!r}: InputMode {channel.get('InputMode')!r}")
    return problems


def check_training(arguments: Any) -> list[str]:
    """What in a Training step's arguments cannot run locally (empty when all can)."""
    if not isinstance(arguments, Mapping):
        return ["has no Arguments object"]
    spec = arguments.get("AlgorithmSpecification")
    if not isinstance(spec, Mapping):
        return ["has no AlgorithmSpecification"]
    problems = _algorithm_problems(spec)
    for channel in arguments.get("InputDataConfig") or []:
        problems += _channel_problems(channel)
    if uses_drivers(arguments):
        names = {c.get("ChannelName") for c in arguments.get("InputDataConfig") or []}
        if DRIVERS_CHANNEL not in names:
            problems.append(f"runs {DRIVER_SCRIPT} but has no {DRIVERS_CHANNEL!r} channel")
    return problems


def cache_attributes(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments SageMaker compares to find a cached training result."""
    return {name: arguments.get(name) for name in CACHE_ATTRIBUTES}


def result_uris(describe: Mapping[str, Any]) -> list[str]:
    """The S3 URIs a finished job wrote: its model artifacts."""
    artifacts = (describe.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    return [artifacts] if isinstance(artifacts, str) else []


def artifact_uris(describe: Mapping[str, Any]) -> dict[str, str]:
    """Label -> S3 URI of what a finished job may leave: the model and its output data."""
    model = (describe.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    if not isinstance(model, str):
        return {}
    return {"model": model, "output": model.rsplit("/", 1)[0] + "/output.tar.gz"}


def _read_json(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text() or "{}")
    except json.JSONDecodeError as error:
        raise LocalJobError(f"{what} ({path}) is not valid JSON: {error}", CLIENT_ERROR) from error
    return value if isinstance(value, dict) else {}


def package(directory: Path, archive: Path) -> None:
    """Tar and gzip the contents of `directory` at the archive root, reproducibly.

    Fixed times and owners make unchanged model files give byte-identical archives.
    """
    archive.parent.mkdir(parents=True, exist_ok=True)
    with (
        archive.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in sorted(directory.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=path.relative_to(directory).as_posix())
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isfile():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)


def _metrics(arguments: Mapping[str, Any], log_text: str, now: str) -> list[dict[str, Any]]:
    definitions = (arguments.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
    found = []
    for definition in definitions:
        matches = re.findall(definition["Regex"], log_text)
        if not matches:
            continue
        last = matches[-1]
        text = last[0] if isinstance(last, tuple) else last
        try:
            value = float(text)
        except ValueError:
            continue
        found.append({"MetricName": definition["Name"], "Value": value, "Timestamp": now})
    return found


def _timeout(arguments: Mapping[str, Any]) -> float | None:
    seconds = (arguments.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    return float(seconds) if isinstance(seconds, int | float) else None


def _hyperparameters(arguments: Mapping[str, Any]) -> dict[str, str]:
    raw = arguments.get("HyperParameters") or {}
    # The API carries hyperparameters as strings; JSON spelling for anything else.
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def container_argv(arguments: Mapping[str, Any]) -> list[str]:
    """The container's command as the job's arguments give it: entrypoint, then arguments."""
    spec = arguments.get("AlgorithmSpecification") or {}
    parts = [*(spec.get("ContainerEntrypoint") or []), *(spec.get("ContainerArguments") or [])]
    return [str(part) for part in parts]


def driver_source_code(ctx: JobContext) -> dict[str, Any]:
    """The drivers' `sourcecode.json`; a client error for distributed training."""
    drivers = ctx.sandbox.host_path(f"{INPUT_DATA_DIR}/{DRIVERS_CHANNEL}")
    if _read_json(drivers / "distributed.json", "distributed.json"):
        raise LocalJobError(
            "distributed training (sm_drivers/distributed.json) cannot run locally", CLIENT_ERROR
        )
    return _read_json(drivers / "sourcecode.json", "sourcecode.json")


def entry_command(
    ctx: JobContext,
    arguments: Mapping[str, Any],
    environment: dict[str, str],
    python: str = sys.executable,
) -> JobCommand:
    """The command the drivers end up running, run directly with `python` (no bash)."""
    if not uses_drivers(arguments):
        return JobCommand(
            argv=tuple(map_command(container_argv(arguments), ctx.sandbox, python)),
            cwd=ctx.sandbox.root,
            environment=environment,
        )
    source_code = driver_source_code(ctx)
    requirements = source_code.get("requirements")
    if requirements:
        ctx.note(
            f"{ctx.step_name}: SourceCode.requirements {requirements!r} is not installed locally "
            "(installing requirements is not supported); the job uses this virtualenv's packages"
        )
    code_dir = ctx.sandbox.host_path(SOURCE_DIR)
    if not code_dir.is_dir():
        raise LocalJobError(f"the {CODE_CHANNEL!r} channel is missing", CLIENT_ERROR)
    return JobCommand(
        argv=tuple(driver_argv(source_code, _hyperparameters(arguments), ctx.sandbox, python)),
        cwd=code_dir,
        environment=environment,
    )


def _prepare_host(
    host: Host,
    hosts: list[str],
    arguments: Mapping[str, Any],
    master: tuple[str, int],
    command: CommandBuilder,
) -> JobCommand:
    """Write the host's config files and environment; return its command."""
    ctx = host.ctx
    spec = arguments.get("AlgorithmSpecification") or {}
    channels = arguments.get("InputDataConfig") or []
    for directory in (MODEL_DIR, OUTPUT_DATA_DIR, INPUT_CONFIG_DIR):
        ctx.sandbox.host_path(directory).mkdir(parents=True, exist_ok=True)
    hyperparameters = _hyperparameters(arguments)
    instance_type = str((arguments.get("ResourceConfig") or {}).get("InstanceType", "local"))
    resources = resource_config(instance_type, host.name, hosts)
    data_config = input_data_config(channels, str(spec.get("TrainingInputMode", "File")))
    config_dir = ctx.sandbox.host_path(INPUT_CONFIG_DIR)
    (config_dir / "resourceconfig.json").write_text(json.dumps(resources))
    (config_dir / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (config_dir / "inputdataconfig.json").write_text(json.dumps(data_config))
    drivers = ctx.sandbox.host_path(f"{INPUT_DATA_DIR}/{DRIVERS_CHANNEL}")
    sm_environment = training_environment(
        job_name=ctx.job_name,
        hyperparameters=hyperparameters,
        resources=resources,
        data_config=data_config,
        source_code=_read_json(drivers / "sourcecode.json", "sourcecode.json") or None,
        distributed=_read_json(drivers / "distributed.json", "distributed.json") or None,
        num_cpus=os.cpu_count() or 1,
        master=master,
    )
    job_environment = {str(k): str(v) for k, v in (arguments.get("Environment") or {}).items()}
    # The job's Environment is the container's; the drivers' exports are sourced on top.
    environment = ctx.sandbox.map_environment({**job_environment, **sm_environment})
    return command(ctx, arguments, environment)


def _download_channels(hosts: list[Host], arguments: Mapping[str, Any]) -> None:
    for channel in arguments.get("InputDataConfig") or []:
        name = channel["ChannelName"]
        what = f"channel {name!r}"
        s3 = channel["DataSource"]["S3DataSource"]
        destinations = [
            container_path(host.ctx, f"{INPUT_DATA_DIR}/{name}", what) for host in hosts
        ]
        download_to_hosts(hosts, what, s3["S3Uri"], destinations, s3.get("S3DataDistributionType"))


def run_training(
    ctx: JobContext, arguments: Mapping[str, Any], command: CommandBuilder = entry_command
) -> dict[str, Any]:
    """Run the job in fresh sandboxes (one per instance); return its describe document.

    `command` makes each host's command from the arguments and the drivers' environment
    (parity mode runs the image's own entrypoint instead).
    """
    created = ctx.clock()
    resources_spec = arguments.get("ResourceConfig") or {}
    count = instance_count(resources_spec.get("InstanceCount"), "ResourceConfig.InstanceCount")
    hosts = job_hosts(ctx, count)
    names = [host.name for host in hosts]
    _download_channels(hosts, arguments)
    # No `algo-1` resolves on this machine: the hosts meet on the loopback address.
    master = ("algo-1", 7777) if count == 1 else (LOOPBACK, free_port())
    runs = [
        HostRun(
            host,
            _prepare_host(host, names, arguments, master, command),
            (host.ctx.sandbox.host_path(OUTPUT_FAILURE),),
        )
        for host in hosts
    ]
    log_offset = ctx.log_path.stat().st_size if ctx.log_path.exists() else 0
    started = ctx.clock()
    run_on_hosts(ctx, runs, timeout=_timeout(arguments))
    artifacts = _upload_outputs(ctx, hosts, arguments)
    ended = ctx.clock()
    with ctx.log_path.open("rb") as log:
        log.seek(log_offset)
        log_text = log.read().decode("utf-8", errors="replace")
    seconds = max(0, round((ended - started).total_seconds()))
    return {
        **arguments,
        "TrainingJobName": ctx.job_name,
        "TrainingJobArn": arn(f"training-job/{ctx.job_name.lower()}"),
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "ModelArtifacts": {"S3ModelArtifacts": artifacts},
        "CreationTime": timestamp(created),
        "TrainingStartTime": timestamp(started),
        "TrainingEndTime": timestamp(ended),
        "LastModifiedTime": timestamp(ended),
        "TrainingTimeInSeconds": seconds,
        "BillableTimeInSeconds": seconds,
        "FinalMetricDataList": _metrics(arguments, log_text, timestamp(ended)),
    }


def _merged(ctx: JobContext, hosts: list[Host], container: str, what: str) -> Path:
    """The folder to upload: the host's own with one host, else every host's merged."""
    if len(hosts) == 1:
        return ctx.sandbox.host_path(container)
    target = ctx.sandbox.root / ".merged" / container.strip("/").replace("/", "-")
    sources = [(host.name, host.ctx.sandbox.host_path(container)) for host in hosts]
    merge_folders(sources, target, what)
    target.mkdir(parents=True, exist_ok=True)
    return target


def _upload_outputs(ctx: JobContext, hosts: list[Host], arguments: Mapping[str, Any]) -> str:
    output = arguments.get("OutputDataConfig") or {}
    path = output.get("S3OutputPath")
    if not isinstance(path, str):
        raise LocalJobError(
            f"OutputDataConfig.S3OutputPath evaluated to {path!r}, not a string", CLIENT_ERROR
        )
    prefix = f"{path.rstrip('/')}/{ctx.job_name}/output"
    model_dir = _merged(ctx, hosts, MODEL_DIR, "model folder (/opt/ml/model)")
    data_dir = _merged(ctx, hosts, OUTPUT_DATA_DIR, "output data folder (/opt/ml/output/data)")
    staging = ctx.sandbox.root / ".upload"
    if str(output.get("CompressionType", "GZIP")).upper() == "NONE":
        ctx.store.upload_dir(model_dir, f"{prefix}/model/")
        model_uri = f"{prefix}/model/"
    else:
        package(model_dir, staging / "model.tar.gz")
        model_uri = f"{prefix}/model.tar.gz"
        ctx.store.put_file(staging / "model.tar.gz", model_uri)
    if any(data_dir.iterdir()):
        package(data_dir, staging / "output.tar.gz")
        ctx.store.put_file(staging / "output.tar.gz", f"{prefix}/output.tar.gz")
    return model_uri
