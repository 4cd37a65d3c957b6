"""Synth time of the app against a bare CDK app, same CDK CLI, same Node, same machine.

Runs `npx cdk synth` alternately on a one-bucket app in a temp folder and on this app, warm
(the render cache holds this exact render, as on every synth after the first) and cold (cache
emptied first, so the SageMaker SDK renders), several times each, and reports medians and
ratios (goals: warm <= 1.3x, cold <= 1.6x) of wall time, with the CPU time (user + system, of
the CLI and everything it starts) beside it. Alternating keeps machine noise from favouring
either side.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.3
COLD_GOAL = 1.6
RESULTS = PROJECT_ROOT / "bench" / "results" / "synth.md"
RENDER_CACHE = PROJECT_ROOT / "build" / "render-cache"
BARE_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "BareStack")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def _environment() -> dict[str, str]:
    venv_bin = Path(sys.executable).parent
    node_bin = PROJECT_ROOT / "node_modules" / ".bin"
    environ = dict(os.environ)
    environ["PATH"] = f"{venv_bin}:{node_bin}:{environ.get('PATH', '')}"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        environ.pop(name, None)
    return environ


def _bare_app(folder: Path) -> Path:
    (folder / "app.py").write_text(BARE_APP)
    cdk_json = json.loads((PROJECT_ROOT / "cdk.json").read_text())
    cdk_json["app"] = f"{sys.executable} app.py"
    (folder / "cdk.json").write_text(json.dumps(cdk_json))
    return folder


@dataclass(frozen=True)
class Timing:
    """One synth: wall seconds and CPU seconds (user + system of every child process)."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_synth(folder: Path, outdir: Path, environ: dict[str, str]) -> Timing:
    """Wall and CPU time of one `cdk synth --quiet` in `folder`."""
    shutil.rmtree(outdir, ignore_errors=True)
    cdk = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
    cpu_before = _children_cpu()
    started = time.perf_counter()
    subprocess.run(
        [str(cdk), "synth", "--quiet", "--output", str(outdir)],
        cwd=folder,
        env=environ,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return Timing(time.perf_counter() - started, _children_cpu() - cpu_before)


def _median(timings: list[Timing], field: str) -> float:
    values: list[float] = [getattr(t, field) for t in timings]
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the medians and their ratios; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="synths per app (default 5)")
    args = parser.parse_args(argv)
    environ = _environment()
    rounds: dict[str, list[Timing]] = {"warm": [], "cold": [], "bare": []}
    with tempfile.TemporaryDirectory() as scratch:
        bare = _bare_app(Path(scratch))
        for round_number in range(args.repeat + 1):
            bare_timing = time_synth(bare, Path(scratch) / "bare.out", environ)
            shutil.rmtree(RENDER_CACHE, ignore_errors=True)
            cold_timing = time_synth(PROJECT_ROOT, Path(scratch) / "app.out", environ)
            warm_timing = time_synth(PROJECT_ROOT, Path(scratch) / "app.out", environ)
            if round_number == 0:
                continue  # warm-up: file caches, first jsii start
            rounds["bare"].append(bare_timing)
            rounds["cold"].append(cold_timing)
            rounds["warm"].append(warm_timing)
            print(
                f"round {round_number}: app {warm_timing.wall:.2f} s "
                f"(cold {cold_timing.wall:.2f} s), bare {bare_timing.wall:.2f} s"
            )
    warm_ratio, cold_ratio = _ratios(rounds)
    print(
        f"cdk synth median: app {_median(rounds['warm'], 'wall'):.2f} s "
        f"(cold {_median(rounds['cold'], 'wall'):.2f} s), "
        f"bare app {_median(rounds['bare'], 'wall'):.2f} s, ratio {warm_ratio:.2f}x "
        f"(goal <= {GOAL}x), cold {cold_ratio:.2f}x (goal <= {COLD_GOAL}x)"
    )
    _record(rounds)
    return 0 if warm_ratio <= GOAL and cold_ratio <= COLD_GOAL else 1


def _ratios(rounds: dict[str, list[Timing]], field: str = "wall") -> tuple[float, float]:
    bare = _median(rounds["bare"], field)
    return _median(rounds["warm"], field) / bare, _median(rounds["cold"], field) / bare


def _best_ratios(rounds: dict[str, list[Timing]]) -> tuple[float, float]:
    """Ratios of the fastest runs: the figures least disturbed by other load on the machine."""
    bare = min(t.wall for t in rounds["bare"])
    return min(t.wall for t in rounds["warm"]) / bare, min(t.wall for t in rounds["cold"]) / bare


def _round_ratios(rounds: dict[str, list[Timing]]) -> tuple[float, float]:
    """Medians of each round's own ratios (the runs of a round are back to back)."""
    pairs = list(zip(rounds["warm"], rounds["cold"], rounds["bare"], strict=True))
    warm = statistics.median(w.wall / b.wall for w, _, b in pairs)
    cold = statistics.median(c.wall / b.wall for _, c, b in pairs)
    return warm, cold


def _met(ratio: float, goal: float) -> str:
    return "met" if ratio <= goal else "not met"


def _record(rounds: dict[str, list[Timing]]) -> None:
    warm_ratio, cold_ratio = _ratios(rounds)
    warm_cpu, cold_cpu = _ratios(rounds, "cpu")
    best, per_round = _best_ratios(rounds), _round_ratios(rounds)
    table = "\n".join(
        f"| {i} | {w.wall:.2f} s ({w.cpu:.2f}) | {c.wall:.2f} s ({c.cpu:.2f}) | "
        f"{b.wall:.2f} s ({b.cpu:.2f}) |"
        for i, (w, c, b) in enumerate(
            zip(rounds["warm"], rounds["cold"], rounds["bare"], strict=True), 1
        )
    )
    medians = {
        name: (_median(timings, "wall"), _median(timings, "cpu"))
        for name, timings in rounds.items()
    }
    load = os.getloadavg()[0]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "## Synth time against a bare CDK app\n\n"
        f"Command: `.venv/bin/python bench/bench_synth.py --repeat {len(rounds['warm'])}`\n\n"
        f"Machine: 2 cores, shared; load average {load:.2f} at the end. Both apps run through the "
        "same pinned CDK CLI (`npx cdk synth --quiet`), the same Node 24 and the same Python; "
        "the bare app is one stack with one bucket. Alternated rounds after one warm-up. Wall "
        "time, with the CPU time (user + system of the CLI and everything it starts) in "
        "brackets.\n\n"
        "| round | this app (warm) | this app (cold) | bare app |\n| --- | --- | --- | --- |\n"
        f"{table}\n\n"
        f"Median: this app {medians['warm'][0]:.2f} s warm ({medians['warm'][1]:.2f} s CPU), "
        f"{medians['cold'][0]:.2f} s cold ({medians['cold'][1]:.2f} s CPU); bare app "
        f"{medians['bare'][0]:.2f} s ({medians['bare'][1]:.2f} s CPU). "
        f"**Warm {warm_ratio:.2f}x** (goal <= {GOAL}x, {_met(warm_ratio, GOAL)}); "
        f"**cold {cold_ratio:.2f}x** (goal <= {COLD_GOAL}x, {_met(cold_ratio, COLD_GOAL)}). "
        f"In CPU time: warm {warm_cpu:.2f}x, cold {cold_cpu:.2f}x. Fastest runs: warm "
        f"{best[0]:.2f}x, cold {best[1]:.2f}x; median of each round's ratios: warm "
        f"{per_round[0]:.2f}x, cold {per_round[1]:.2f}x. Cold is the first synth "
        "after a change to the scripts, the builder, the settings or the SDK: the render runs "
        "in a subprocess started with the app (`pipeline_definition/build/prefetch.py`), beside "
        "the CDK work, and imports only what rendering uses.\n"
    )


if __name__ == "__main__":
    sys.exit(main())
