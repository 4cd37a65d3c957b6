"""`run-local`: run the deployed definition on this machine, no Docker, no AWS account."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline_definition.commands import CommandError, add_json_argument, emit_json
from pipeline_definition.local.parity.envs import DEFAULT_CACHE_DIR, BuildProgress
from pipeline_definition.local.runner import (
    DEFAULT_WORKDIR,
    SAMPLE_DATA_URI,
    RunError,
    RunOptions,
    execute,
    exit_code,
    prepare,
)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add run-local's arguments."""
    parser.add_argument(
        "--definition",
        type=Path,
        metavar="FILE",
        help="run this definition JSON (default: render the app's definition into the workdir)",
    )
    parser.add_argument(
        "--code-dir",
        type=Path,
        metavar="DIR",
        help="staging folder holding the code/... the definition refers to "
        "(default: FILE's folder/code)",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a pipeline parameter (repeatable); a data parameter such as InputData "
        "also takes a local file or folder",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        metavar="DIR",
        help="local object store, executions, cache and registry (default: .local/run)",
    )
    parser.add_argument(
        "--input-data",
        type=Path,
        metavar="FILE",
        help="run on this file, as --param InputData=FILE does (default: InputData's default, "
        f"which is the embedded sample the stack deploys, here {SAMPLE_DATA_URI})",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not reuse earlier results (CacheConfig)"
    )
    parser.add_argument(
        "--max-parallel",
        type=_positive_int,
        default=2,
        metavar="N",
        help="jobs that may run at the same time (default: 2)",
    )
    parser.add_argument(
        "--retry-interval-scale",
        type=_non_negative_float,
        default=0.0,
        metavar="X",
        help="multiply the retry policies' waits by X (default: 0, retry at once: the "
        "failures they are for cannot happen locally)",
    )
    parser.add_argument(
        "--pipeline-name",
        metavar="NAME",
        help="pipeline name for execution variables and the cache (default: the app's)",
    )
    parser.add_argument(
        "--lambda",
        dest="lambdas",
        action="append",
        default=[],
        metavar="NAME=MODULE:FUNCTION",
        help="run the Lambda function NAME (its name or ARN, or the step's name) with a local "
        "handler, package.module:function importable from this folder (repeatable)",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="print one line per step change even on a terminal",
    )
    parser.add_argument(
        "--parity",
        action="store_true",
        help="run each job in its image's Python and library versions (pinned in "
        "pipeline_definition/local/parity/locks/), training through the staged sm_train.sh",
    )
    parser.add_argument(
        "--parity-envs",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        metavar="DIR",
        help="where parity environments are built once and kept (default: .local/parity-envs)",
    )
    parser.add_argument(
        "--no-namespace",
        action="store_true",
        help="with --parity: no user namespace even where it works (paths rewritten into the "
        "sandbox, training without sm_train.sh), as on machines without one",
    )
    parser.add_argument(
        "--envs-only",
        action="store_true",
        help="with --parity: build (or check) the environments the definition needs, then stop",
    )
    add_json_argument(parser, "the summary (outcome, steps, metrics, registry, artifacts)")


def _build_progress(plain: bool) -> BuildProgress:
    from rich.console import Console  # noqa: PLC0415

    from pipeline_definition.local.parity.progress import (  # noqa: PLC0415
        LiveBuildProgress,
        PlainBuildProgress,
    )

    if sys.stderr.isatty() and not plain:
        return LiveBuildProgress(Console(stderr=True))
    return PlainBuildProgress(sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Run the definition locally and print a summary."""
    # rich is imported here so that other commands' --help stays light.
    from rich.console import Console  # noqa: PLC0415

    from pipeline_definition.local.progress import LiveProgress, PlainProgress  # noqa: PLC0415
    from pipeline_definition.local.results import ProgressListener  # noqa: PLC0415
    from pipeline_definition.local.summary import summary_lines  # noqa: PLC0415

    for flag, given in (("--envs-only", args.envs_only), ("--no-namespace", args.no_namespace)):
        if given and not args.parity:
            raise CommandError(f"{flag} is an option of parity mode: add --parity", 2)
    options = RunOptions(
        workdir=args.workdir,
        definition=args.definition,
        code_dir=args.code_dir,
        params=tuple(args.param),
        input_data=args.input_data,
        use_cache=not args.no_cache,
        max_parallel=args.max_parallel,
        retry_interval_scale=args.retry_interval_scale,
        pipeline_name=args.pipeline_name,
        lambdas=tuple(args.lambdas),
        parity=args.parity,
        parity_envs=args.parity_envs,
        parity_namespace=not args.no_namespace,
    )
    try:
        prepared = prepare(options, sys.stderr, build_progress=_build_progress(args.plain))
    except RunError as error:
        raise CommandError(str(error), error.exit_code) from error
    if args.envs_only:
        if args.json:
            return emit_json(args, {"parity_environments": str(args.parity_envs.resolve())}, 0)
        print(f"parity environments ready in {args.parity_envs}")
        return 0
    listener: ProgressListener
    if sys.stdout.isatty() and not args.plain:
        listener = LiveProgress(Console())
    else:
        listener = PlainProgress(sys.stdout)
    result = execute(prepared, options, listener=listener)
    from pipeline_definition.local.store import LocalObjectStore  # noqa: PLC0415
    from pipeline_definition.local.summary_record import summary_record  # noqa: PLC0415

    store = LocalObjectStore(prepared.workspace.store)
    if args.json:
        record = summary_record(result, prepared.definition, store)
        return emit_json(args, record, exit_code(result))
    for line in summary_lines(result, prepared.definition, store):
        print(line)
    return exit_code(result)
