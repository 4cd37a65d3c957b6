"""Bursts of uploads through the trigger, against a moto server on loopback, at the quota.

Each round sends 1,000 S3 Object Created events in 10 bursts (0.5 s apart) over 8 folders of the
raw prefix, while SageMaker (moto, with a response hook, `tests/testsupport/sagemaker_quota.py`)
answers ResourceLimitExceeded whenever 20 executions are running and ends each execution 2-4 s
after its start. Two ways of starting runs are timed in the same rounds:

- the queue (this issue): the NewData queue, read by the function in batches (1 s batching
  window, 2 invocations at once, partial batch failures), one run per folder of a batch over a
  manifest, refused starts handed back with a delay of 1 s doubling to 4 s, 24 receives before
  the dead-letter queue;
- the baseline (before): one asynchronous invocation per event (8 at once), Lambda's two retries
  after 1 s and 2 s, then the dead-letter queue.

A round ends when the queue is empty (every message deleted or dead-lettered) or after 180 s.
Time is compressed (runs last seconds, not the tens of minutes of a real run), the same for both.
Reports per round and medians: executions, objects read by exactly one execution, by none, by
several, messages in the dead-letter queue, ResourceLimitExceeded answers, the most executions
running at once, the time to drain, and the CPU time of this process (the moto server's threads
included). Writes bench/results/trigger_burst.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testsupport.burst import BurstResult

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "trigger_burst.md"
FIGURES = (
    ("executions", "executions", "{:.0f}"),
    ("objects_per_run", "objects per execution", "{:.1f}"),
    ("in_one_run", "objects in exactly one execution", "{:.0f}"),
    ("in_no_run", "objects in none", "{:.0f}"),
    ("in_several_runs", "objects in several", "{:.0f}"),
    ("dead_letters", "messages in the dead-letter queue", "{:.0f}"),
    ("refused", "ResourceLimitExceeded answers", "{:.0f}"),
    ("max_executing", "most executions running at once", "{:.0f}"),
    ("invocations", "function invocations", "{:.0f}"),
    ("drain_seconds", "time to drain (s)", "{:.1f}"),
    ("cpu_seconds", "CPU time (s)", "{:.1f}"),
)


def _table(rounds: dict[str, list[BurstResult]]) -> list[str]:
    from testsupport.burst import median_of

    batched, baseline = rounds["batched"], rounds["per_event"]
    lines = [
        "| figure (median of rounds) | queue, one run per folder of a batch | baseline: one "
        "run per event, 2 async retries | queue against baseline |",
        "| --- | --- | --- | --- |",
    ]
    for name, label, shape in FIGURES:
        ours = median_of(batched, name)
        theirs = median_of(baseline, name)
        ratio = f"{ours / theirs:.2f}x" if theirs else ""
        lines.append(f"| {label} | {shape.format(ours)} | {shape.format(theirs)} | {ratio} |")
    return lines


def _round_lines(rounds: dict[str, list[BurstResult]]) -> list[str]:
    lines = [
        "| round | mode | executions | in one | in none | in several | dead letters | refused "
        "| max running | drained | drain (s) | CPU (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode, results in rounds.items():
        for number, r in enumerate(results, start=1):
            lines.append(
                f"| {number} | {mode} | {r.executions} | {r.in_one_run} | {r.in_no_run} | "
                f"{r.in_several_runs} | {r.dead_letters} | {r.refused} | {r.max_executing} | "
                f"{'yes' if r.drained else 'no'} | {r.drain_seconds:.1f} | {r.cpu_seconds:.1f} |"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the rounds, print the table and write bench/results/trigger_burst.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args(argv)
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from testsupport.burst import BurstPlan, Server, plan_for_round, run_round

    plan = BurstPlan(events=args.events)
    rounds: dict[str, list[BurstResult]] = {"batched": [], "per_event": []}
    with Server() as server:
        for number in range(args.rounds):
            for mode, results in rounds.items():
                result = run_round(server, plan_for_round(plan, number), mode)
                if result.errors:
                    print(f"round {number + 1} {mode}: {result.errors[:3]}", file=sys.stderr)
                results.append(result)
                print(
                    f"round {number + 1} {mode}: {result.executions} executions, "
                    f"{result.in_one_run} objects in one, {result.dead_letters} dead letters, "
                    f"{result.drain_seconds:.1f} s",
                    flush=True,
                )
    load = os.getloadavg()[0]
    text = "\n".join(
        [
            "## Bursts of new data through the trigger, at the quota",
            "",
            f"Command: `.venv/bin/python bench/bench_trigger_burst.py --rounds {args.rounds}` "
            f"({args.events:,} events a round)",
            "",
            f"Machine: {os.cpu_count()} cores, shared; load average {load:.2f} at the end; "
            f"Python {platform.python_version()}. moto server on 127.0.0.1; SageMaker refuses a "
            f"start with ResourceLimitExceeded while {plan.quota} executions run, and each "
            f"execution ends {plan.run_seconds[0]:g}-{plan.run_seconds[1]:g} s after it starts. "
            f"{plan.bursts} bursts of {plan.events // plan.bursts} events, {plan.burst_interval:g} "
            f"s apart, over {plan.folders} folders. Queue: {plan.window:g} s batching window, "
            f"{plan.pollers} invocations at once, delays {plan.retry_delay}-"
            f"{plan.max_retry_delay} s, {plan.max_receives} receives. Baseline: "
            f"{plan.async_workers} invocations at once, retries after "
            f"{plan.async_retry_delays[0]:g} s and {plan.async_retry_delays[1]:g} s.",
            "",
            *_table(rounds),
            "",
            "Every round:",
            "",
            *_round_lines(rounds),
            "",
            "What the baseline's two retries cannot start lands in the dead-letter queue, to be "
            "redriven by hand; its time goes to invocations whose starts are refused. Time is "
            "compressed alike for both (seconds for the minutes of real runs and retries), so "
            "the drain time is a figure of this setup, not of an account.",
        ]
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
