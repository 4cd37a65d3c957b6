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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.3
COLD_GOAL = 1.6
RESULTS = PROJECT_ROOT / "bench" / "results" / "synth.md"
RENDER_CACHE = PROJECT_ROOT / "build" / "render-cache"
# Why the ratios are what they are: measured with CPU profiles of the Node process
# (NODE_OPTIONS=--cpu-prof) and of the app (cProfile, -X importtime).
WHERE_THE_TIME_GOES = """
Where the time goes. Both apps spend most of a synth in CDK's own template validation (its
rule engine, compiled at every synth, is more than half of the bare app's CPU time; switch it off
with `CDK_VALIDATION=false` and both apps get faster while the ratios grow). Beyond the bare
app, a warm synth of this app is CDK's work for more constructs: Node loads about ten more
aws-cdk-lib modules, builds and resolves the constructs, runs cdk-nag and validates a larger
template; Python imports the matching generated modules. The app's own Python work on a warm
synth (settings, the render-cache lookup, checking the definition) is a small part. A cold
synth adds the render, which overlaps the CDK work only when a core is free: on a machine
already running other work, the two take turns.
"""
BARE_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "BareStack")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def cdk_environment() -> dict[str, str]:
    """This environment with the venv's and node_modules' bin first and no AWS credentials."""
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
    """One command: wall seconds and CPU seconds (user + system of every child process)."""

    wall: float
    cpu: float


def children_cpu() -> float:
    """CPU seconds (user + system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_synth(folder: Path, outdir: Path, environ: dict[str, str]) -> Timing:
    """Wall and CPU time of one `cdk synth --quiet` in `folder`."""
    shutil.rmtree(outdir, ignore_errors=True)
    cdk = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
    cpu_before = children_cpu()
    started = time.perf_counter()
    subprocess.run(
        [str(cdk), "synth", "--quiet", "--output", str(outdir)],
        cwd=folder,
        env=environ,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return Timing(time.perf_counter() - started, children_cpu() - cpu_before)


def _median(timings: list[Timing], field: str) -> float:
    values: list[float] = [getattr(t, field) for t in timings]
    return statistics.median(values)


@contextmanager
def _checkout_of(ref: str, scratch: Path) -> Iterator[Path]:
    """A worktree of `ref` that runs with this checkout's .venv and node_modules."""
    folder = scratch / "baseline"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(folder), ref],
        cwd=PROJECT_ROOT,
        check=True,
    )
    try:
        for name in (".venv", "node_modules"):
            (folder / name).symlink_to((PROJECT_ROOT / name).resolve())
        yield folder
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(folder)], cwd=PROJECT_ROOT, check=False
        )


def _one_round(
    apps: dict[str, Path], bare: Path, scratch: Path, environ: dict[str, str]
) -> dict[str, Timing]:
    """The bare app, then each app cold (its render cache emptied) and warm."""
    timings = {"bare": time_synth(bare, scratch / "bare.out", environ)}
    for prefix, root in apps.items():
        shutil.rmtree(root / RENDER_CACHE.relative_to(PROJECT_ROOT), ignore_errors=True)
        timings[f"{prefix}cold"] = time_synth(root, scratch / "app.out", environ)
        timings[f"{prefix}warm"] = time_synth(root, scratch / "app.out", environ)
    return timings


def main(argv: list[str] | None = None) -> int:
    """Measure and print the medians and their ratios; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="synths per app (default 5)")
    parser.add_argument(
        "--compare-with",
        metavar="REF",
        help="also time the app as it was at this commit, in the same rounds",
    )
    args = parser.parse_args(argv)
    environ = cdk_environment()
    rounds: dict[str, list[Timing]] = {}
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        scratch = Path(folder)
        apps = {"": PROJECT_ROOT}
        if args.compare_with:
            apps["baseline "] = stack.enter_context(_checkout_of(args.compare_with, scratch))
        bare = _bare_app(scratch)
        for round_number in range(args.repeat + 1):
            timings = _one_round(apps, bare, scratch, environ)
            if round_number == 0:
                continue  # warm-up: file caches, first jsii start
            for name, timing in timings.items():
                rounds.setdefault(name, []).append(timing)
            shown = ", ".join(f"{name} {t.wall:.2f} s" for name, t in timings.items())
            print(f"round {round_number}: {shown}")
    warm_ratio, cold_ratio = _ratios(rounds)
    print(
        f"cdk synth median: app {_median(rounds['warm'], 'wall'):.2f} s "
        f"(cold {_median(rounds['cold'], 'wall'):.2f} s), "
        f"bare app {_median(rounds['bare'], 'wall'):.2f} s, ratio {warm_ratio:.2f}x "
        f"(goal <= {GOAL}x), cold {cold_ratio:.2f}x (goal <= {COLD_GOAL}x)"
    )
    _record(rounds, args.compare_with)
    return 0 if warm_ratio <= GOAL and cold_ratio <= COLD_GOAL else 1


def _ratios(
    rounds: dict[str, list[Timing]], field: str = "wall", prefix: str = ""
) -> tuple[float, float]:
    bare = _median(rounds["bare"], field)
    warm, cold = _median(rounds[f"{prefix}warm"], field), _median(rounds[f"{prefix}cold"], field)
    return warm / bare, cold / bare


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


COLUMNS = {
    "warm": "this app (warm)",
    "cold": "this app (cold)",
    "bare": "bare app",
    "baseline warm": "baseline (warm)",
    "baseline cold": "baseline (cold)",
}


def _table(rounds: dict[str, list[Timing]]) -> str:
    names = [name for name in COLUMNS if name in rounds]
    head = "| round | " + " | ".join(COLUMNS[n] for n in names) + " |\n"
    head += "| --- |" + " --- |" * len(names) + "\n"
    rows = [
        f"| {i + 1} | "
        + " | ".join(f"{rounds[n][i].wall:.2f} s ({rounds[n][i].cpu:.2f})" for n in names)
        + " |"
        for i in range(len(rounds["bare"]))
    ]
    return head + "\n".join(rows)


def _baseline_text(rounds: dict[str, list[Timing]], ref: str | None) -> str:
    if ref is None:
        return ""
    warm, cold = _ratios(rounds, prefix="baseline ")
    warm_cpu, cold_cpu = _ratios(rounds, "cpu", prefix="baseline ")
    return (
        f"\nIn the same rounds, the app as it was at `{ref}`: **warm {warm:.2f}x, cold "
        f"{cold:.2f}x** (CPU time: warm {warm_cpu:.2f}x, cold {cold_cpu:.2f}x).\n"
    )


def _record(rounds: dict[str, list[Timing]], ref: str | None = None) -> None:
    warm_ratio, cold_ratio = _ratios(rounds)
    warm_cpu, cold_cpu = _ratios(rounds, "cpu")
    best, per_round = _best_ratios(rounds), _round_ratios(rounds)
    medians = {
        name: (_median(timings, "wall"), _median(timings, "cpu"))
        for name, timings in rounds.items()
    }
    command = f"--repeat {len(rounds['warm'])}" + (f" --compare-with {ref}" if ref else "")
    load = os.getloadavg()[0]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "## Synth time against a bare CDK app\n\n"
        f"Command: `.venv/bin/python bench/bench_synth.py {command}`\n\n"
        f"Machine: 2 cores, shared; load average {load:.2f} at the end. Both apps run through the "
        "same pinned CDK CLI (`npx cdk synth --quiet`), the same Node 24 and the same Python; "
        "the bare app is one stack with one bucket. Alternated rounds after one warm-up. Wall "
        "time, with the CPU time (user + system of the CLI and everything it starts) in "
        "brackets.\n\n"
        f"{_table(rounds)}\n\n"
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
        f"{_baseline_text(rounds, ref)}"
        f"{WHERE_THE_TIME_GOES}"
    )


if __name__ == "__main__":
    sys.exit(main())
