"""Run a Lambda step with a local handler the user maps to its function.

`run-local --lambda NAME=package.module:function` maps a Lambda function (NAME is its name,
its whole FunctionArn, or the step's name) to a handler importable from the folder run-local
starts in. The handler runs in a process of its own (`lambda_host`) with the step's evaluated
Arguments as its event and a Lambda-like context; the result must be a JSON object holding
every declared output parameter, each of its OutputType, as the pipeline service requires.
RUN_LOCAL_S3_ROOT tells a handler where the local store is, so one that reads S3 can read
`s3://bucket/key` at `<root>/bucket/key`. An unmapped Lambda step cannot run and is refused
before the run starts.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from pipeline_definition.local.command import JobCommand
from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.jobs import JobContext, LocalStep, run_job_command
from pipeline_definition.local.names import timestamp
from pipeline_definition.model.graph import StepNode

TIMEOUT_SECONDS: Final = 900
# The variable that tells a handler where the local store is.
LOCAL_S3_ROOT: Final = "RUN_LOCAL_S3_ROOT"
_SPEC = re.compile(r"^(?P<module>[A-Za-z_]\w*(\.[A-Za-z_]\w*)*):(?P<function>[A-Za-z_]\w*)$")
_FUNCTION = re.compile(r":function:(?P<name>[^:]+)")
# The folder that holds `pipeline_definition`, for the host's imports.
PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
INVOCATION: Final = "/opt/ml/lambda/invocation.json"
RESULT: Final = "/opt/ml/lambda/result.json"
FAILURE: Final = "/opt/ml/lambda/failure"


def function_name(arn: Any) -> str:
    """The function name in a FunctionArn (`...:function:NAME[:alias]`), or the text itself."""
    match = _FUNCTION.search(arn) if isinstance(arn, str) else None
    return match["name"] if match else str(arn)


def parse_mappings(assignments: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """NAME -> handler of each `--lambda NAME=package.module:function`, and the problems."""
    mappings: dict[str, str] = {}
    problems: list[str] = []
    for assignment in assignments:
        name, equals, spec = assignment.partition("=")
        if not equals or not name or _SPEC.match(spec) is None:
            problems.append(
                f"--lambda {assignment}: expected NAME=package.module:function "
                "(NAME: the function's name or ARN, or the step's name)"
            )
        elif name in mappings:
            problems.append(f"--lambda {name}: given twice")
        else:
            mappings[name] = spec
    return mappings, problems


def _importable(module: str, roots: Iterable[str]) -> bool:
    """Whether `module` is a file or package below one of `roots`, without importing it."""
    relative = Path(*module.split("."))
    return any(
        (Path(root) / relative).with_suffix(".py").is_file()
        or (Path(root) / relative / "__init__.py").is_file()
        for root in roots
    )


def resolve_handlers(
    nodes: Iterable[StepNode], assignments: Sequence[str]
) -> tuple[dict[str, str], list[str]]:
    """Step name -> handler for the Lambda steps the mappings name, and every problem."""
    mappings, problems = parse_mappings(assignments)
    handlers: dict[str, str] = {}
    used: set[str] = set()
    for node in nodes:
        if node.type != "Lambda":
            continue
        arn = node.raw.get("FunctionArn")
        for key in (node.name, arn, function_name(arn)):
            if isinstance(key, str) and key in mappings:
                handlers[node.name] = mappings[key]
                used.add(key)
                break
    roots = [str(Path.cwd()), *sys.path]
    for name, spec in mappings.items():
        if name not in used:
            problems.append(
                f"--lambda {name}: no Lambda step calls a function or is named {name!r}"
            )
        elif not _importable(spec.partition(":")[0], roots):
            problems.append(
                f"--lambda {name}={spec}: module {spec.partition(':')[0]!r} is not found in "
                f"{Path.cwd()} (handlers are imported from the folder run-local starts in)"
            )
    return handlers, problems


def check_lambda_step(step: LocalStep) -> list[str]:
    """Why a Lambda step cannot run locally: no handler mapped to its function."""
    if step.handler is not None:
        return []
    arn = step.node.raw.get("FunctionArn")
    if not isinstance(arn, str):
        return ["has no FunctionArn"]
    return [
        f"calls {arn}, which runs in AWS Lambda; map it to a local handler with "
        f"--lambda {function_name(arn)}=package.module:function"
    ]


def _as_type(value: Any, output_type: str) -> Any:
    """`value` as an OutputType, or None when it is not one (a string takes any scalar)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if output_type == "String":
        scalar = isinstance(value, str) or number or isinstance(value, bool)
        return value if isinstance(value, str) else json.dumps(value) if scalar else None
    if output_type == "Integer":
        return value if number and float(value).is_integer() and isinstance(value, int) else None
    if output_type == "Float":
        return float(value) if number else None
    return value if isinstance(value, bool) else None


def _typed(name: str, value: Any, output_type: str) -> Any:
    """An output's value in its declared OutputType; LocalJobError when it is not one."""
    converted = _as_type(value, output_type)
    if converted is None:
        raise LocalJobError(
            f"output {name!r} is {value!r}, which its OutputType {output_type} does not take",
            CLIENT_ERROR,
        )
    return converted


def outputs(node: StepNode, result: Any) -> dict[str, Any]:
    """The declared output parameters, read from the handler's result."""
    declared = node.raw.get("OutputParameters") or []
    if declared and not isinstance(result, Mapping):
        raise LocalJobError(
            f"the handler returned {type(result).__name__}, not an object with its outputs",
            CLIENT_ERROR,
        )
    found: dict[str, Any] = {}
    for entry in declared:
        name = entry.get("OutputName")
        if name not in result:
            raise LocalJobError(f"the handler's result has no output {name!r}", CLIENT_ERROR)
        found[name] = _typed(name, result[name], str(entry.get("OutputType", "String")))
    return found


def run_lambda(ctx: JobContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Call the mapped handler; return the step's properties (its OutputParameters)."""
    started = ctx.clock()
    node, handler = ctx.step.node, ctx.step.handler
    if handler is None:  # refused when the definition was loaded
        raise LocalJobError("no local handler is mapped to this Lambda step", CLIENT_ERROR)
    arn = str(node.raw.get("FunctionArn"))
    ctx.sandbox.reset()
    paths = {
        key: ctx.sandbox.host_path(where)
        for key, where in (("invocation", INVOCATION), ("result", RESULT), ("failure", FAILURE))
    }
    paths["invocation"].parent.mkdir(parents=True, exist_ok=True)
    invocation = {
        "handler": handler,
        "event": dict(arguments),
        "function_name": function_name(arn),
        "function_arn": arn,
        "result_file": str(paths["result"]),
        "failure_file": str(paths["failure"]),
    }
    paths["invocation"].write_text(json.dumps(invocation, indent=2))
    ctx.log(f"calling {handler} for {arn}")
    command = JobCommand(
        argv=(
            sys.executable,
            "-m",
            "pipeline_definition.local.lambda_host",
            str(paths["invocation"]),
        ),
        cwd=Path.cwd(),
        environment={
            "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(Path.cwd())]),
            # A handler that reads S3 finds s3://bucket/key locally at <root>/bucket/key.
            LOCAL_S3_ROOT: str(ctx.store.root),
        },
    )
    run_job_command(ctx, command, timeout=TIMEOUT_SECONDS, failure_files=(paths["failure"],))
    result = json.loads(paths["result"].read_text())
    return {
        "FunctionArn": arn,
        "OutputParameters": outputs(node, result),
        "StartTime": timestamp(started),
        "EndTime": timestamp(ctx.clock()),
    }


def cache_attributes(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """What decides a cached Lambda result: the event the function gets."""
    return {"Arguments": dict(arguments)}


def no_uris(value: Mapping[str, Any]) -> list[str]:
    """A Lambda step reads and writes no objects the cache must follow."""
    return []


def output_detail(describe: Mapping[str, Any]) -> str:
    """The progress detail of a finished Lambda step: its outputs."""
    values = describe.get("OutputParameters") or {}
    return ", ".join(f"{name}={value}" for name, value in values.items())
