"""Run a Transform step as batch transform does: the model's own serving code on each request.

The model comes from the workdir's models (a Model step created it): its `model.tar.gz` is
unpacked into `/opt/ml/model`, its serving code is found through the container's
SAGEMAKER_SUBMIT_DIRECTORY and SAGEMAKER_PROGRAM (as the serving image finds it), and
`serving_worker` answers every request in a subprocess through the contract the image uses
(`model_fn`, `input_fn`, `predict_fn`, `output_fn`). Inputs are the objects the S3Prefix
selects; each gives `<S3OutputPath>/<its path>.out`, split, batched and assembled as the job
asks. What batch transform does that this does not (manifests, RecordIO and TFRecord
splits, JSONPath filters, joining the input, data capture) is refused before the run starts.
"""

from __future__ import annotations

import json
import sys
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pipeline_definition.local.command import JobCommand
from pipeline_definition.local.create_model import containers
from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.jobs import JobContext, download_input, run_job_command
from pipeline_definition.local.names import arn, timestamp
from pipeline_definition.local.sandbox import Sandbox
from pipeline_definition.local.store import StoreError

CACHE_ATTRIBUTES: Final = ("DataProcessing", "Environment", "ModelName", "TransformInput")
# Member -> the values batch transform takes that run locally (the first is the default).
CHOICES: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "SplitType": ("TransformInput", ("None", "Line")),
    "CompressionType": ("TransformInput", ("None", "Gzip")),
    "BatchStrategy": ("", ("MultiRecord", "SingleRecord")),
    "AssembleWith": ("TransformOutput", ("None", "Line")),
}
FILTERS: Final = {"InputFilter": "$", "OutputFilter": "$", "JoinSource": "None"}
DEFAULT_MAX_PAYLOAD_MB: Final = 6
MODEL_DIR: Final = "/opt/ml/model"
CODE_DIR: Final = "/opt/ml/code"
INPUT_DIR: Final = "/opt/ml/transform/input"
OUTPUT_DIR: Final = "/opt/ml/transform/output"
FAILURE_FILE: Final = "/opt/ml/output/failure"
JOB_FILE: Final = "/opt/ml/config/transform-job.json"
# The folder that holds `pipeline_definition`, for the worker's imports.
PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]


def _section(arguments: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = arguments.get(name) if name else arguments
    return value if isinstance(value, Mapping) else {}


def _choice_problems(arguments: Mapping[str, Any]) -> list[str]:
    problems = []
    for member, (section, allowed) in CHOICES.items():
        value = _section(arguments, section).get(member)
        if isinstance(value, str) and value not in allowed:
            where = f"{section}.{member}" if section else member
            problems.append(
                f"{where} {value!r} is not supported locally (only {', '.join(allowed)})"
            )
    return problems


def check_transform(arguments: Any) -> list[str]:
    """What in a Transform step's arguments cannot run locally (empty when all can)."""
    if not isinstance(arguments, Mapping):
        return ["has no Arguments object"]
    source = _section(_section(arguments, "TransformInput"), "DataSource").get("S3DataSource")
    problems = _choice_problems(arguments)
    if not isinstance(source, Mapping):
        problems.append("reads no S3DataSource (a manifest or other source needs SageMaker)")
    elif source.get("S3DataType", "S3Prefix") != "S3Prefix":
        problems.append(f"S3DataType {source.get('S3DataType')!r} is not supported (only S3Prefix)")
    processing = _section(arguments, "DataProcessing")
    for member, default in FILTERS.items():
        value = processing.get(member, default)
        if value != default:
            problems.append(
                f"DataProcessing.{member} {value!r} is not supported locally (JSONPath filters and "
                "joining the input run only in SageMaker)"
            )
    if "DataCaptureConfig" in arguments:
        problems.append("captures data (DataCaptureConfig), which runs only in SageMaker")
    return problems


def cache_attributes(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments SageMaker compares to find a cached transform result."""
    return {name: arguments.get(name) for name in CACHE_ATTRIBUTES}


def input_uris(arguments: Mapping[str, Any]) -> list[str]:
    """The S3 URI the job reads."""
    source = _section(_section(arguments, "TransformInput"), "DataSource").get("S3DataSource")
    uri = source.get("S3Uri") if isinstance(source, Mapping) else None
    return [uri] if isinstance(uri, str) else []


def output_uris(describe: Mapping[str, Any]) -> dict[str, str]:
    """Label -> S3 URI of what the job writes: its predictions."""
    path = _section(describe, "TransformOutput").get("S3OutputPath")
    return {"predictions": path} if isinstance(path, str) else {}


def result_uris(describe: Mapping[str, Any]) -> list[str]:
    """The S3 URIs a finished job wrote."""
    return list(output_uris(describe).values())


@dataclass(frozen=True)
class Settings:
    """The evaluated request, as the worker needs it."""

    uri: str
    output: str
    split_type: str
    compression: str
    batch_strategy: str
    assemble_with: str
    max_payload: int
    content_type: str | None
    accept: str | None


def settings(arguments: Mapping[str, Any]) -> Settings:
    """The transform's settings from its evaluated arguments; ClientError when unusable."""
    problems = check_transform(arguments)
    if problems:
        raise LocalJobError("; ".join(problems), CLIENT_ERROR)
    uri = next(iter(input_uris(arguments)), None)
    output = _section(arguments, "TransformOutput").get("S3OutputPath")
    payload = arguments.get("MaxPayloadInMB") or DEFAULT_MAX_PAYLOAD_MB
    if not isinstance(uri, str) or not isinstance(output, str) or not isinstance(payload, int):
        raise LocalJobError(
            f"S3Uri {uri!r}, S3OutputPath {output!r} or MaxPayloadInMB {payload!r} is not usable",
            CLIENT_ERROR,
        )
    chosen = {
        member: str(_section(arguments, section).get(member) or allowed[0])
        for member, (section, allowed) in CHOICES.items()
    }
    return Settings(
        uri=uri,
        output=output,
        split_type=chosen["SplitType"],
        compression=chosen["CompressionType"],
        batch_strategy=chosen["BatchStrategy"],
        assemble_with=chosen["AssembleWith"],
        max_payload=payload * 1024 * 1024,
        content_type=_section(arguments, "TransformInput").get("ContentType"),
        accept=_section(arguments, "TransformOutput").get("Accept"),
    )


def _unpack(ctx: JobContext, uri: Any, target: Path, what: str) -> None:
    """Put a model or code archive (`*.tar.gz`) or a prefix's objects into `target`."""
    if not isinstance(uri, str):
        raise LocalJobError(f"{what} evaluated to {uri!r}, not an S3 URI", CLIENT_ERROR)
    if not uri.endswith((".tar.gz", ".tgz")):
        download_input(ctx, what, uri, target)
        return
    try:
        archive = ctx.store.path(uri)
    except StoreError as error:
        raise LocalJobError(f"{what}: {error}", CLIENT_ERROR) from error
    if not archive.is_file():
        raise LocalJobError(f"{what}: {uri} does not exist in the local store", CLIENT_ERROR)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")


def serving_code(ctx: JobContext, environment: Mapping[str, str]) -> tuple[Path, str]:
    """(code folder, entry file) of the model's serving code, as the serving image finds them."""
    program = environment.get("SAGEMAKER_PROGRAM")
    if not program:
        raise LocalJobError(
            "the model's container sets no SAGEMAKER_PROGRAM: its image's own serving code "
            "cannot run without the image",
            CLIENT_ERROR,
        )
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY") or f"{MODEL_DIR}/code"
    if submit.startswith("s3://"):
        _unpack(ctx, submit, ctx.sandbox.host_path(CODE_DIR), "SAGEMAKER_SUBMIT_DIRECTORY")
        return ctx.sandbox.host_path(CODE_DIR), program
    try:
        code = ctx.sandbox.host_path(submit)
    except ValueError as error:
        raise LocalJobError(f"SAGEMAKER_SUBMIT_DIRECTORY: {error}", CLIENT_ERROR) from error
    if not (code / program).is_file():
        raise LocalJobError(
            f"{program} is not in {submit} (SAGEMAKER_SUBMIT_DIRECTORY) of the model", CLIENT_ERROR
        )
    return code, program


def _job_file(ctx: JobContext, chosen: Settings, code: Path, program: str) -> Path:
    inputs_dir = ctx.sandbox.host_path(INPUT_DIR)
    download_input(ctx, "TransformInput", chosen.uri, inputs_dir)
    outputs_dir = ctx.sandbox.host_path(OUTPUT_DIR)
    files = sorted(path for path in inputs_dir.rglob("*") if path.is_file())
    job = {
        "model_dir": str(ctx.sandbox.host_path(MODEL_DIR)),
        "code_dir": str(code),
        "program": program,
        "inputs": [
            {"input": str(path), "output": str(outputs_dir / f"{path.relative_to(inputs_dir)}.out")}
            for path in files
        ],
        "split_type": chosen.split_type,
        "compression": chosen.compression,
        "batch_strategy": chosen.batch_strategy,
        "assemble_with": chosen.assemble_with,
        "max_payload": chosen.max_payload,
        "content_type": chosen.content_type,
        "accept": chosen.accept,
        "failure_file": str(ctx.sandbox.host_path(FAILURE_FILE)),
    }
    path = ctx.sandbox.host_path(JOB_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(job, indent=2))
    return path


def _environment(sandbox: Sandbox, environment: Mapping[str, Any]) -> dict[str, str]:
    """The worker's variables: the container's and the job's, paths mapped, and our imports."""
    mapped = sandbox.map_environment({str(k): str(v) for k, v in environment.items()})
    extra = mapped.get("PYTHONPATH")
    mapped["PYTHONPATH"] = str(PROJECT_ROOT) + (f":{extra}" if extra else "")
    return mapped


def run_transform(ctx: JobContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Run the job in a fresh sandbox and return its DescribeTransformJob-like document."""
    created = ctx.clock()
    chosen = settings(arguments)
    model = ctx.step.model_store().describe(arguments.get("ModelName"))
    (container,) = containers(model)
    ctx.sandbox.reset()
    _unpack(ctx, container.get("ModelDataUrl"), ctx.sandbox.host_path(MODEL_DIR), "ModelDataUrl")
    environment = {**(container.get("Environment") or {}), **(arguments.get("Environment") or {})}
    code, program = serving_code(ctx, environment)
    job_file = _job_file(ctx, chosen, code, program)
    resources = _section(arguments, "TransformResources")
    if (resources.get("InstanceCount") or 1) > 1 or (
        arguments.get("MaxConcurrentTransforms") or 1
    ) > 1:
        ctx.note(f"{ctx.step_name}: runs as one host serving one request at a time")
    started = ctx.clock()
    command = JobCommand(
        argv=(sys.executable, "-m", "pipeline_definition.local.serving_worker", str(job_file)),
        cwd=ctx.sandbox.root,
        environment=_environment(ctx.sandbox, environment),
    )
    run_job_command(
        ctx, command, timeout=None, failure_files=(ctx.sandbox.host_path(FAILURE_FILE),)
    )
    ctx.store.upload_dir(ctx.sandbox.host_path(OUTPUT_DIR), chosen.output)
    ended = ctx.clock()
    return {
        **arguments,
        "TransformJobName": ctx.job_name,
        "TransformJobArn": arn(f"transform-job/{ctx.job_name.lower()}"),
        "TransformJobStatus": "Completed",
        "CreationTime": timestamp(created),
        "TransformStartTime": timestamp(started),
        "TransformEndTime": timestamp(ended),
    }
