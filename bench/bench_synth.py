"""Synth time of the app against a bare CDK app, same CDK CLI, same Node, same machine.

Runs `npx cdk synth` alternately on a one-bucket app in a temp folder and on this app, warm
(the render cache holds this exact render, as on every synth after the first) and cold (cache
emptied first, so the SageMaker SDK renders), several times each, and reports medians and
ratios (goal: <= 1.6x). Alternating keeps machine noise from favouring either side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.6
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


def time_synth(folder: Path, outdir: Path, environ: dict[str, str]) -> float:
    """Seconds for one `cdk synth --quiet` in `folder`."""
    shutil.rmtree(outdir, ignore_errors=True)
    cdk = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
    started = time.perf_counter()
    subprocess.run(
        [str(cdk), "synth", "--quiet", "--output", str(outdir)],
        cwd=folder,
        env=environ,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Measure and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="synths per app (default 5)")
    args = parser.parse_args(argv)
    environ = _environment()
    with tempfile.TemporaryDirectory() as scratch:
        bare = _bare_app(Path(scratch))
        ours: list[float] = []
        cold: list[float] = []
        baseline: list[float] = []
        for round_number in range(args.repeat + 1):
            bare_seconds = time_synth(bare, Path(scratch) / "bare.out", environ)
            shutil.rmtree(RENDER_CACHE, ignore_errors=True)
            cold_seconds = time_synth(PROJECT_ROOT, Path(scratch) / "app.out", environ)
            our_seconds = time_synth(PROJECT_ROOT, Path(scratch) / "app.out", environ)
            if round_number == 0:
                continue  # warm-up: file caches, first jsii start
            baseline.append(bare_seconds)
            cold.append(cold_seconds)
            ours.append(our_seconds)
            print(
                f"round {round_number}: app {our_seconds:.2f} s (cold {cold_seconds:.2f} s), "
                f"bare {bare_seconds:.2f} s"
            )
    ratio = statistics.median(ours) / statistics.median(baseline)
    cold_ratio = statistics.median(cold) / statistics.median(baseline)
    print(
        f"cdk synth median: app {statistics.median(ours):.2f} s "
        f"(cold {statistics.median(cold):.2f} s), bare app {statistics.median(baseline):.2f} s, "
        f"ratio {ratio:.2f}x, cold {cold_ratio:.2f}x (goal <= {GOAL}x)"
    )
    _record(ours, cold, baseline)
    return 0 if ratio <= GOAL else 1


def _record(ours: list[float], cold: list[float], baseline: list[float]) -> None:
    ratio = statistics.median(ours) / statistics.median(baseline)
    cold_ratio = statistics.median(cold) / statistics.median(baseline)
    rounds = "\n".join(
        f"| {i} | {a:.2f} s | {c:.2f} s | {b:.2f} s |"
        for i, (a, c, b) in enumerate(zip(ours, cold, baseline, strict=True), 1)
    )
    load = os.getloadavg()[0]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "## Synth time against a bare CDK app\n\n"
        f"Command: `.venv/bin/python bench/bench_synth.py --repeat {len(ours)}`\n\n"
        f"Machine: 2 cores, shared; load average {load:.2f} at the end. Both apps run through the "
        "same pinned CDK CLI (`npx cdk synth --quiet`), the same Node 24 and the same Python; "
        "the bare app is one stack with one bucket. Alternated rounds after one warm-up.\n\n"
        "| round | this app (warm) | this app (cold) | bare app |\n| --- | --- | --- | --- |\n"
        f"{rounds}\n\n"
        f"Median: this app {statistics.median(ours):.2f} s warm, {statistics.median(cold):.2f} s "
        f"cold; bare app {statistics.median(baseline):.2f} s. **Ratio {ratio:.2f}x warm** (goal "
        f"<= {GOAL}x, {'met' if ratio <= GOAL else 'not met'}); **{cold_ratio:.2f}x cold**, the "
        "first synth after a change to the scripts, the builder, the settings or the SDK, "
        "which imports the SageMaker SDK (about 1.4 s) and renders with it (about 0.9 s).\n"
    )


if __name__ == "__main__":
    sys.exit(main())
