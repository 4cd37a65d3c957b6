"""Benchmark `run-local`: the `make run` wall time and the executor's overhead.

1. `make run` equivalent: `python -m pipeline_definition run-local` in a fresh workdir with the
   embedded data and default parameters, cache off: render plus the whole pipeline.
   Goal: <= 45 s.
2. Executor overhead: the same job commands (recorded in execution.json: argv, working
   directory, environment), run one after the other by this script with their inputs already
   in their sandboxes, against `run-local --definition ... --no-cache` in a fresh workdir (which
   also copies inputs, hashes them for the cache key, packages and uploads outputs and starts
   its own interpreter). Both are measured ROUNDS times, alternating; the best of each counts.
   Goal: executor / direct <= 1.15.

Usage: `.venv/bin/python bench/bench_run_local.py [--rounds N] [--keep]`; writes
bench/results/run_local.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "run_local.md"
# The render cache that cdk synth and run-local share (project.settings).
RENDER_CACHE_DIR = ROOT / "build" / "render-cache"
MAKE_RUN_GOAL_SECONDS = 45.0
OVERHEAD_GOAL = 1.15
JOB_TYPES = ("Processing", "Training")
# What the executor keeps from this process's environment for a job (see local/command.py).
DROPPED_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "TRAINING_JOB_NAME")


@dataclass(frozen=True)
class Timed:
    """A command's wall time, exit code and execution record."""

    seconds: float
    code: int
    record: dict[str, Any]


def run_local(workdir: Path, *args: str) -> Timed:
    """Time one `run-local` subprocess; return its execution.json."""
    command = [sys.executable, "-m", "pipeline_definition", "run-local", "--workdir", str(workdir)]
    started = time.perf_counter()
    completed = subprocess.run(
        [*command, "--plain", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    records = sorted((workdir / "executions").glob("*/execution.json"))
    if completed.returncode != 0 or not records:
        sys.stderr.write(completed.stdout + completed.stderr)
    record = json.loads(records[-1].read_text()) if records else {}
    return Timed(seconds, completed.returncode, record)


def _reset_outputs(step: dict[str, Any]) -> None:
    sandbox = Path(step["Command"]["Sandbox"])
    properties = step["Properties"] or {}
    if step["Type"] == "Processing":
        outputs = (properties.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        paths = [o["S3Output"]["LocalPath"] for o in outputs]
    else:
        paths = ["/opt/ml/model", "/opt/ml/output"]
    for path in paths:
        local = sandbox / Path(path).relative_to("/opt/ml")
        shutil.rmtree(local, ignore_errors=True)
        local.mkdir(parents=True)
    if step["Type"] == "Training":
        (sandbox / "output" / "data").mkdir()


def run_direct(record: dict[str, Any], log: Path) -> float:
    """Run the recorded job commands in order, without the executor; return the wall time."""
    steps = sorted(
        (s for s in record["Steps"] if s["Type"] in JOB_TYPES and s.get("Command")),
        key=lambda s: s["StartTime"],
    )
    base = {k: v for k, v in os.environ.items() if k not in DROPPED_VARIABLES}
    for step in steps:
        _reset_outputs(step)
    started = time.perf_counter()
    with log.open("w") as out:
        for step in steps:
            command = step["Command"]
            subprocess.run(
                command["Argv"],
                cwd=command["WorkingDirectory"],
                env={**base, **command["Environment"]},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=True,
            )
    return time.perf_counter() - started


def _step_table(record: dict[str, Any]) -> list[str]:
    lines = ["| step | status | seconds |", "| --- | --- | ---: |"]
    for step in record.get("Steps", []):
        seconds = step.get("DurationSeconds")
        shown = f"{seconds:.1f}" if isinstance(seconds, int | float) else ""
        lines.append(f"| {step['Name']} | {step['Status']} | {shown} |")
    return lines


def machine_note() -> str:
    """CPU count, memory, Python and OS."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{os.cpu_count()} CPUs{memory}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()} ({platform.machine()})"
    )


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks, print the figures and write the results fragment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="overhead measurements (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workdirs")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-run-local-"))
    try:
        # As on a fresh clone: the SDK renders, nothing comes from build/render-cache.
        shutil.rmtree(RENDER_CACHE_DIR, ignore_errors=True)
        make_run = run_local(scratch / "make-run", "--no-cache")
        print(
            f"make run (render + run-local, no cache): {make_run.seconds:.1f} s, "
            f"exit {make_run.code}"
        )
        if make_run.code != 0:
            return 1
        definition = scratch / "make-run" / "render" / "definition.json"
        warm = run_local(scratch / "recorded", "--definition", str(definition), "--no-cache")
        if warm.code != 0:
            return 1
        executor_times: list[float] = []
        direct_times: list[float] = []
        for index in range(args.rounds):
            direct_times.append(run_direct(warm.record, scratch / f"direct-{index}.log"))
            timed = run_local(
                scratch / f"executor-{index}", "--definition", str(definition), "--no-cache"
            )
            if timed.code != 0:
                return 1
            executor_times.append(timed.seconds)
            print(
                f"round {index + 1}: direct {direct_times[-1]:.2f} s, "
                f"executor {executor_times[-1]:.2f} s"
            )
        direct, executor = min(direct_times), min(executor_times)
        ratio = executor / direct
        print(f"executor overhead: {executor:.2f} s / {direct:.2f} s = {ratio:.3f}x")
        write_results(make_run, direct, executor, args.rounds)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
        return 0 if make_run.seconds <= MAKE_RUN_GOAL_SECONDS and ratio <= OVERHEAD_GOAL else 1
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def write_results(make_run: Timed, direct: float, executor: float, rounds: int) -> None:
    """Write the markdown fragment."""
    ratio = executor / direct

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    lines = [
        "### `run-local` benchmark",
        "",
        "Command: `.venv/bin/python bench/bench_run_local.py`",
        "",
        f"Machine: {machine_note()}.",
        "",
        "| figure | value | goal | |",
        "| --- | ---: | ---: | --- |",
        f"| `make run` equivalent (SDK render with an empty render cache + run-local, default "
        f"parameters, fresh workdir, no step cache) | {make_run.seconds:.1f} s "
        f"| <= {MAKE_RUN_GOAL_SECONDS:.0f} s | "
        f"{verdict(make_run.seconds <= MAKE_RUN_GOAL_SECONDS)} |",
        f"| job commands run directly, one after the other (best of {rounds}) | "
        f"{direct:.2f} s | | |",
        f"| `run-local --definition ... --no-cache` (best of {rounds}) | {executor:.2f} s | | |",
        f"| executor overhead (executor / direct) | {ratio:.3f}x | <= {OVERHEAD_GOAL:.2f}x | "
        f"{verdict(ratio <= OVERHEAD_GOAL)} |",
        "",
        "Steps of the `make run` execution:",
        "",
        *_step_table(make_run.record),
        "",
        "The executor figure includes its interpreter start, copying code and inputs into the "
        "sandboxes, hashing inputs for cache keys, packaging model.tar.gz and writing the "
        "execution record; the direct figure is only the job commands.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
