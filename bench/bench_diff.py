"""`diff HEAD~1 HEAD` against one warm `cdk synth` of this app, same machine, same run.

Each round times, one after the other: a warm synth (render cache filled), the diff of the last
commit (both commits synthesized in temporary worktrees that share the render cache), and the
same diff with `--render-only`. One untimed warm-up round fills the render cache for both
commits first, as any earlier synth or diff would. Reports medians of wall time and CPU time
(user + system of everything the command starts) and the ratios to the warm synth.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_ROOT / "bench" / "results" / "diff.md"
sys.path.insert(0, str(PROJECT_ROOT))

from bench.bench_synth import Timing, cdk_environment, children_cpu  # noqa: E402


def timed(command: list[str], environ: dict[str, str]) -> Timing:
    """Run `command` in the project root; exit codes 0 and 1 (a diff found changes) are fine."""
    cpu_before = children_cpu()
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=environ, stdout=subprocess.DEVNULL, check=False
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed with exit code {result.returncode}")
    return Timing(time.perf_counter() - started, children_cpu() - cpu_before)


def _median(timings: list[Timing], field: str) -> float:
    values: list[float] = [getattr(t, field) for t in timings]
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    """Measure, print and record the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--old", default="HEAD~1", help="the old side (default HEAD~1)")
    parser.add_argument("--new", default="HEAD", help="the new side (default HEAD)")
    args = parser.parse_args(argv)
    environ = cdk_environment()
    cdk = str(PROJECT_ROOT / "node_modules" / ".bin" / "cdk")
    diff = [sys.executable, "-m", "pipeline_definition", "diff", args.old, args.new]
    rounds: dict[str, list[Timing]] = {"synth": [], "diff": [], "render-only": []}
    with tempfile.TemporaryDirectory() as scratch:
        synth = [cdk, "synth", "--quiet", "--output", str(Path(scratch) / "cdk.out")]
        for round_number in range(args.repeat + 1):
            shutil.rmtree(Path(scratch) / "cdk.out", ignore_errors=True)
            timings = {
                "synth": timed(synth, environ),
                "diff": timed(diff, environ),
                "render-only": timed([*diff, "--render-only"], environ),
            }
            if round_number == 0:
                continue  # warm-up: fills the render cache for both commits
            for name, timing in timings.items():
                rounds[name].append(timing)
            print(
                f"round {round_number}: "
                + ", ".join(
                    f"{name} {t.wall:.2f} s ({t.cpu:.2f} CPU)" for name, t in timings.items()
                )
            )
    _record(rounds, args.old, args.new, args.repeat)
    return 0


def _record(rounds: dict[str, list[Timing]], old: str, new: str, repeat: int) -> None:
    synth_wall = _median(rounds["synth"], "wall")
    synth_cpu = _median(rounds["synth"], "cpu")
    rows = []
    for name, label in (
        ("synth", "warm `cdk synth` (baseline)"),
        ("diff", f"`diff {old} {new}` (both commits synthesized)"),
        ("render-only", f"`diff {old} {new} --render-only`"),
    ):
        wall, cpu = _median(rounds[name], "wall"), _median(rounds[name], "cpu")
        rows.append(
            f"| {label} | {wall:.2f} s | {wall / synth_wall:.2f}x | {cpu:.2f} s | "
            f"{cpu / synth_cpu:.2f}x |"
        )
    text = (
        "## `diff` of the last commit against one warm synth\n\n"
        f"Command: `.venv/bin/python bench/bench_diff.py --repeat {repeat}`\n\n"
        f"Machine: 2 cores, shared; load average {os.getloadavg()[0]:.2f} at the end. One "
        "untimed round first fills the render cache for both commits; then each round runs a "
        "warm synth and the two diffs one after the other. Medians:\n\n"
        "| command | wall | against the synth | CPU | against the synth |\n"
        "| --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n\n"
        "Each side of the diff is a temporary worktree of its commit, synthesized with its own "
        "app; the worktrees share the render cache, so neither side renders. The two sides "
        "build side by side, in two processes.\n"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
