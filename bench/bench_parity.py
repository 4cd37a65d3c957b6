"""Benchmark `run-local --parity` against the default mode, and the one-time environment build.

1. One-time build: `run-local --parity --envs-only` into an empty environment cache, once with
   pip's download cache as it is on this machine and once with downloads forced
   (`PIP_NO_CACHE_DIR=1`: a fresh machine or CI).
2. Parity against default: the same rendered definition, `run-local --definition ...
   --no-cache` in a fresh workdir, alternating default, parity (namespace) and parity
   `--no-namespace`, ROUNDS times each; environments already built. Wall time and the CPU
   time of all child processes (user + system), median of the rounds; the ratio is parity /
   default of the medians.
3. The evaluation metrics of the last parity and default runs, compared leaf by leaf.
4. What the jobs pay to start: CPU time of `import numpy, pandas, pyarrow, xgboost,
   matplotlib.pyplot` in this venv and in the XGBoost image's environment (median of 3).

Usage: `.venv/bin/python bench/bench_parity.py [--rounds N] [--skip-build] [--keep]`;
writes bench/results/parity.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "parity.md"
IMPORTS = "import numpy, pandas, pyarrow, xgboost, matplotlib.pyplot"
MODES: dict[str, tuple[str, ...]] = {
    "default": (),
    "parity": ("--parity",),
    "parity --no-namespace": ("--parity", "--no-namespace"),
}


def machine_note() -> str:
    """CPU count, memory, Python and OS (as bench_run_local.py writes it)."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{os.cpu_count()} CPUs{memory}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()} ({platform.machine()})"
    )


@dataclass(frozen=True)
class Timed:
    """Wall and child CPU seconds of one command, its exit code and workdir."""

    wall: float
    cpu: float
    code: int
    workdir: Path


def run_local(workdir: Path, *args: str, env: dict[str, str] | None = None) -> Timed:
    """Time one `run-local` subprocess (wall, and CPU of it and its children)."""
    command = [sys.executable, "-m", "pipeline_definition", "run-local", "--plain"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [*command, "--workdir", str(workdir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-3000:])
    return Timed(wall, cpu, completed.returncode, workdir)


def numbers(node: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every numeric leaf of a JSON document with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from numbers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from numbers(value, f"{path}[{index}]")
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, float(node)


def evaluation(workdir: Path) -> dict[str, float]:
    """The numeric leaves of a run's evaluation.json."""
    found = sorted(workdir.glob("s3/local-artifacts/evaluation/*/EvaluateModel/*/evaluation.json"))
    return dict(numbers(json.loads(found[-1].read_text())))


def import_cpu(python: str, repeats: int = 3) -> float:
    """Median CPU seconds (user + system) of importing the training libraries."""
    samples = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([python, "-c", IMPORTS], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return float(statistics.median(samples))


def training_python(workdir: Path) -> str:
    """The python3 of the environment a parity run's TrainModel used."""
    record = json.loads(next(workdir.glob("executions/*/execution.json")).read_text())
    train = next(step for step in record["Steps"] if step["Name"] == "TrainModel")
    return str(Path(train["Command"]["Environment"]["PATH"].split(":")[0]) / "python3")


def build_once(scratch: Path, definition: Path, code_dir: Path, label: str, **extra: str) -> Timed:
    """Build every environment the definition needs into an empty cache."""
    cache = scratch / f"envs-{label}"
    timed = run_local(
        scratch / f"build-{label}",
        "--definition",
        str(definition),
        "--code-dir",
        str(code_dir),
        "--parity",
        "--envs-only",
        "--parity-envs",
        str(cache),
        env={**os.environ, **extra},
    )
    print(f"environment build ({label}): {timed.wall:.1f} s wall, {timed.cpu:.1f} s CPU")
    return timed


def compare_modes(
    scratch: Path, definition: Path, code_dir: Path, rounds: int
) -> dict[str, list[Timed]]:
    """Alternate the modes ROUNDS times; every run must succeed."""
    timings: dict[str, list[Timed]] = {mode: [] for mode in MODES}
    for index in range(rounds):
        for mode, flags in MODES.items():
            workdir = scratch / f"{mode.replace(' ', '')}-{index}"
            timed = run_local(
                workdir,
                "--definition",
                str(definition),
                "--code-dir",
                str(code_dir),
                "--no-cache",
                *flags,
            )
            if timed.code != 0:
                raise SystemExit(f"{mode} run failed (exit {timed.code})")
            timings[mode].append(timed)
            print(f"round {index + 1} {mode}: {timed.wall:.2f} s wall, {timed.cpu:.2f} s CPU")
    return timings


def main(argv: list[str] | None = None) -> int:
    """Measure, print and write the results fragment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode (default 3)")
    parser.add_argument("--skip-build", action="store_true", help="leave out the build figures")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-parity-"))
    try:
        load_before = os.getloadavg()[0]
        render = run_local(scratch / "render", "--parity", "--envs-only")
        if render.code != 0:
            return 1
        definition = scratch / "render" / "render" / "definition.json"
        code_dir = scratch / "render" / "render" / "code"
        builds: dict[str, Timed] = {}
        if not args.skip_build:
            builds["pip download cache as it is"] = build_once(
                scratch, definition, code_dir, "cached"
            )
            builds["downloads forced (PIP_NO_CACHE_DIR=1)"] = build_once(
                scratch, definition, code_dir, "cold", PIP_NO_CACHE_DIR="1"
            )
        timings = compare_modes(scratch, definition, code_dir, args.rounds)
        default = evaluation(timings["default"][-1].workdir)
        parity = evaluation(timings["parity"][-1].workdir)
        worst = max(abs(default[key] - parity[key]) for key in default)
        print(f"largest metric difference parity - default: {worst:.3g}")
        imports = {
            f"this venv (Python {platform.python_version()})": import_cpu(sys.executable),
            "the XGBoost 3.2-0 environment": import_cpu(
                training_python(timings["parity"][-1].workdir)
            ),
        }
        print("import CPU: " + ", ".join(f"{k} {v:.2f} s" for k, v in imports.items()))
        loads = (load_before, os.getloadavg()[0])
        write_results(timings, builds, worst, imports, loads=loads, rounds=args.rounds)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
        return 0
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def _median(values: list[Timed], attribute: str) -> float:
    return float(statistics.median(float(getattr(timed, attribute)) for timed in values))


def write_results(
    timings: dict[str, list[Timed]],
    builds: dict[str, Timed],
    worst: float,
    imports: dict[str, float],
    *,
    loads: tuple[float, float],
    rounds: int,
) -> None:
    """Write the markdown fragment."""
    base_wall = _median(timings["default"], "wall")
    base_cpu = _median(timings["default"], "cpu")
    lines = [
        "## Parity mode against the default mode",
        "",
        f"Command: `.venv/bin/python bench/bench_parity.py --rounds {rounds}`",
        "",
        f"Machine: {machine_note()}; load average {loads[0]:.2f} at the start, "
        f"{loads[1]:.2f} at the end. The same rendered definition, `run-local --definition "
        "... --no-cache` in a fresh workdir per run, modes alternated; CPU is user + system "
        "time of the run and all its child processes.",
        "",
        "| mode | wall (median) | CPU (median) | wall / default | CPU / default | rounds (wall) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for mode, values in timings.items():
        wall, cpu = _median(values, "wall"), _median(values, "cpu")
        each = ", ".join(f"{timed.wall:.1f}" for timed in values)
        lines.append(
            f"| {mode} | {wall:.2f} s | {cpu:.2f} s | {wall / base_wall:.2f}x | "
            f"{cpu / base_cpu:.2f}x | {each} |"
        )
    lines += [
        "",
        f"Largest difference of any number in evaluation.json, parity against default: "
        f"{worst:.3g} (goal: <= 1e-6).",
        "",
        f"CPU time of `{IMPORTS}` (median of 3), paid by every job that imports them:",
        "",
        "| interpreter | CPU |",
        "| --- | ---: |",
        *(f"| {label} | {seconds:.2f} s |" for label, seconds in imports.items()),
        "",
    ]
    if builds:
        lines += [
            "One-time environment build (`run-local --parity --envs-only` into an empty cache: "
            "every image of the definition, one venv each, with the interpreter and namespace "
            "probes; the machine reaches PyPI quickly, so installing, not downloading, "
            "dominates):",
            "",
            "| pip downloads | wall | CPU |",
            "| --- | ---: | ---: |",
            *(f"| {label} | {t.wall:.1f} s | {t.cpu:.1f} s |" for label, t in builds.items()),
            "",
        ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
