"""Scale-out: ProcessData on 1 and N instances, TrainModel on 1 and 2 hosts, simulated here.

    nice .venv/bin/python bench/bench_scale_out.py processing --rows 10000000 --hosts 4
    nice .venv/bin/python bench/bench_scale_out.py training --rows 2000000 --rounds 40

Data: rows of the Ames schema, resampled from the embedded data with seeded noise
(bench_processing.generate), in `--files` CSV files as a folder InputData would hold them.

Processing: one instance reads every file; then each of N instances reads its shard (files dealt
out round robin, as run-local deals out a ShardedByS3Key input), with its own resourceconfig.json.
This machine has 2 cores, so the N instances run one after the other, each alone: each host's
wall time is what its own instance would take, and the slowest host is the job's critical path.
Every run is a child process that reports its wall time, CPU time, peak RSS, the load average
when it started and how often the kernel took its core away: on a shared machine a run whose
CPU time is well under its wall time waited for the CPU, and is compared by CPU time.

Training: the data is processed once (one instance), then trained on 1 host and on 2 hosts
(two processes at once, joined by XGBoost's collective on 127.0.0.1; 2 hosts on 2 cores, one
thread each, for XGBoost and for numpy's BLAS alike). Each host reports its peak RSS; the
training summary gives every host's rows and the wall time of its boosting rounds and of its
ridge fits. A fixed number of rounds (no early stop) makes the time per round comparable.
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
sys.path.insert(0, str(REPO))

from bench.bench_processing import generate  # noqa: E402

CHILD_PROCESSING = """
import json, os, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from ml_scripts.processing.preprocess import ProcessingConfig, run_processing
config = Path(sys.argv[4]) if len(sys.argv) > 4 else None
load = os.getloadavg()[0]
start, cpu = time.perf_counter(), time.process_time()
report = run_processing(ProcessingConfig(
    input_path=Path(sys.argv[2]), input_uri="s3://bench/raw/", output_dir=Path(sys.argv[3]),
    resource_config=config))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "peak_rss": usage.ru_maxrss * 1024, "rows_in": report.rows_in,
                  "rows_clean": report.rows_clean, "invariant": report.invariant_holds,
                  "files": len(report.files), "load_start": load,
                  "load_end": os.getloadavg()[0], "waits": usage.ru_nvcsw,
                  "preempted": usage.ru_nivcsw, "read_blocks": usage.ru_inblock}))
"""

CHILD_TRAINING = """
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
from ml_scripts.training.train import main
load = os.getloadavg()[0]
start, cpu = time.perf_counter(), time.process_time()
code = main(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"code": code, "seconds": time.perf_counter() - start,
                  "cpu": time.process_time() - cpu, "peak_rss": usage.ru_maxrss * 1024,
                  "load_start": load, "load_end": os.getloadavg()[0]}))
"""


def gib(value: float) -> str:
    return f"{value / 2**30:.2f} GiB"


def make_files(folder: Path, rows: int, files: int) -> float:
    """`rows` generated rows in `files` CSV files (seeded per file); seconds taken."""
    folder.mkdir(parents=True)
    started = time.perf_counter()
    for index in range(files):
        share = rows // files + (index < rows % files)
        generate(folder / f"sales-{index:03d}.csv", share, seed=index)
    return time.perf_counter() - started


def child(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one measured job in a fresh interpreter and return its last JSON line."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def process_hosts(raw: Path, work: Path, hosts: int) -> list[dict[str, Any]]:
    """ProcessData on `hosts` instances, one after the other; one measurement per host."""
    names = [f"algo-{i + 1}" for i in range(hosts)]
    files = sorted(raw.iterdir())
    output = work / f"processed-{hosts}"
    measured = []
    for rank, name in enumerate(names):
        shard = work / f"shard-{hosts}-{name}"
        shard.mkdir()
        for path in files[rank::hosts]:
            (shard / path.name).symlink_to(path.resolve())
        config = work / f"resourceconfig-{hosts}-{name}.json"
        config.write_text(json.dumps({"current_host": name, "hosts": names}))
        args = [str(REPO), str(shard), str(output), str(config)]
        measured.append({"host": name, **child(CHILD_PROCESSING, *args)})
        shutil.rmtree(shard)
        print(f"  {hosts} instance(s), {name}: {measured[-1]['seconds']:.1f} s", flush=True)
    return measured


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _run_rows(round_: int, label: str, runs: list[dict[str, Any]]) -> list[str]:
    return [
        f"| {round_} | {label} | {m['host']} | {m['files']} | {m['rows_in']:,} |"
        f" {m['seconds']:.1f} s | {m['cpu']:.1f} s | {m['cpu'] / m['seconds']:.2f} |"
        f" {m['load_start']:.1f} | {m['preempted']:,} | {gib(m['peak_rss'])} |"
        for m in runs
    ]


def _waited(rounds: list[dict[str, Any]]) -> str:
    """A sentence on the runs that had the CPU for well under their wall time."""
    slow = [
        (index, m)
        for index, measured in enumerate(rounds, start=1)
        for m in (*measured["single"], *measured["many"])
        if m["cpu"] / m["seconds"] < 0.8
    ]
    if not slow:
        return (
            "Every run had the CPU for at least 0.8 of its wall time: the wall times are the"
            " work, not waiting."
        )
    worst = min(slow, key=lambda item: item[1]["cpu"] / item[1]["seconds"])
    index, m = worst
    cores = os.cpu_count() or 1
    if m["load_start"] > cores:
        cause = (
            f"the load exceeded the {cores} cores: it waited for the CPU, which other processes"
            " held. Compare such runs by CPU time"
        )
    else:
        cause = "the load was below the cores: it waited for something else (I/O, a thread)"
    return (
        f"{len(slow)} run(s) had the CPU for under 0.8 of their wall time; the worst, round"
        f" {index} {m['host']} ({m['rows_in']:,} rows), {m['cpu']:.1f} s CPU in"
        f" {m['seconds']:.1f} s at load {m['load_start']:.1f} ({m['preempted']:,} preemptions,"
        f" {m['waits']:,} voluntary waits, {m['read_blocks']:,} blocks read from disk): {cause}."
    )


def processing(args: argparse.Namespace, work: Path) -> list[str]:
    raw = args.data or work / "raw"
    made = 0.0 if args.data else make_files(raw, args.rows, args.files)
    size = sum(p.stat().st_size for p in raw.iterdir())
    print(f"input: {args.rows:,} rows in {args.files} files ({size / 2**20:.0f} MiB)")
    rounds: list[dict[str, Any]] = []
    for index in range(args.repeats):
        for folder in work.glob("processed-*"):
            shutil.rmtree(folder)
        # Alternate which side runs first, so a change of load does not favour one side.
        order = (1, args.hosts) if index % 2 == 0 else (args.hosts, 1)
        measured = {hosts: process_hosts(raw, work, hosts) for hosts in order}
        rounds.append({"single": measured[1], "many": measured[args.hosts]})
    from ml_scripts.processing.combine import combine

    totals = combine(work / f"processed-{args.hosts}")
    walls = [r["single"][0]["seconds"] / max(m["seconds"] for m in r["many"]) for r in rounds]
    cpus = [r["single"][0]["cpu"] / max(m["cpu"] for m in r["many"]) for r in rounds]
    work_ratio = [sum(m["cpu"] for m in r["many"]) / r["single"][0]["cpu"] for r in rounds]
    last = rounds[-1]
    one = last["single"][0]
    critical = max(last["many"], key=lambda m: m["seconds"])
    lines = [
        f"## ProcessData on 1 and {args.hosts} instances, {args.rows:,} rows",
        "",
        f"Command: `nice .venv/bin/python bench/bench_scale_out.py processing --rows {args.rows}"
        f" --hosts {args.hosts} --files {args.files} --repeats {args.repeats}`",
        "",
        f"Machine: {os.cpu_count()} cores, shared; Python {platform.python_version()}; load"
        f" average {args.load:.2f} at start. Input: {args.files} CSV files, {size / 2**20:.0f}"
        f" MiB, generated in {made:.0f} s (not timed). The {args.hosts} instances ran one after"
        " the other, each alone, so each host's time is what its own instance would take; the"
        " two sides alternate which goes first. CPU/wall below 1 means the run waited; load is"
        " the 1-minute load average when the run started, preemptions its involuntary context"
        " switches (the kernel gave its core to another process).",
        "",
        "| round | run | host | files | rows in | wall | CPU | CPU/wall | load | preemptions |"
        " peak RSS |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for index, sides in enumerate(rounds, start=1):
        lines += _run_rows(index, "1 instance", sides["single"])
        lines += _run_rows(index, f"{args.hosts} instances", sides["many"])
    lines += [
        "",
        f"Critical path (the slowest host), median of the rounds: **{_median(walls):.2f}x**"
        f" faster in wall time on {args.hosts} instances, **{_median(cpus):.2f}x** in CPU time"
        f" (per round, wall: {', '.join(f'{r:.2f}x' for r in walls)}; CPU:"
        f" {', '.join(f'{r:.2f}x' for r in cpus)}). Last round: {one['seconds']:.1f} s on 1"
        f" instance, {critical['seconds']:.1f} s on {args.hosts} ({critical['host']}). The"
        f" {args.hosts} hosts together spend {_median(work_ratio):.2f}x the one instance's CPU"
        f" time (median). Peak RSS per host: {gib(max(m['peak_rss'] for m in last['many']))} on"
        f" {args.hosts}, {gib(one['peak_rss'])} on 1.",
        "",
        _waited(rounds),
        "",
        f"Combined totals of the {args.hosts} parts (`ml_scripts.processing.combine`):"
        f" {totals['rows_in']:,} rows in, {totals['rows_clean']:,} clean,"
        f" {totals['rows_quarantined']:,} quarantined, {totals['rows_duplicate']:,} duplicate"
        f" (invariant holds: {totals['invariant_holds']}); one instance:"
        f" {one['rows_clean']:,} clean.",
    ]
    return lines


# One core per host: XGBoost runs with nthread 1, and numpy's BLAS (the ridge) must not start a
# second thread either. With 2 BLAS threads per host and 2 hosts on 2 cores the threads spin
# against each other, and a shared machine makes that worse (a 300 x 300 solve: 2 ms with one
# thread, 80 ms with two at load 4).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _train_env(host: str, hosts: list[str], port: int) -> dict[str, str]:
    return {
        "SM_HOSTS": json.dumps(hosts),
        "SM_CURRENT_HOST": host,
        "SM_MASTER_ADDR": "127.0.0.1",
        "SM_MASTER_PORT": str(port),
    }


def train_hosts(processed: Path, work: Path, hosts: int, hp: list[str]) -> dict[str, Any]:
    """TrainModel on `hosts` hosts at once; per-host measurements and the training summary."""
    names = [f"algo-{i + 1}" for i in range(hosts)]
    port = 29500 + hosts
    processes = []
    for name in names:
        args = [
            "--train",
            str(processed / "train"),
            "--validation",
            str(processed / "validation"),
            "--model-dir",
            str(work / f"model-{hosts}"),
            "--output-data-dir",
            str(work / f"output-{hosts}"),
            *hp,
        ]
        cluster = _train_env(name, names, port) if hosts > 1 else {}
        env = {**os.environ, **ONE_THREAD, **cluster}
        command = [sys.executable, "-c", CHILD_TRAINING, str(REPO), *args]
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env))
    measured = []
    for name, process in zip(names, processes, strict=True):
        out, _ = process.communicate()
        measured.append({"host": name, **json.loads(out.strip().splitlines()[-1])})
    summary = json.loads((work / f"output-{hosts}" / "training_summary.json").read_text())
    return {"hosts": measured, "summary": summary}


def _round_cells(host: dict[str, Any]) -> str:
    timing = host["timing"]
    cells = [timing["early_stopping"]]
    if "refit" in timing:
        cells.append(timing["refit"])
    return " + ".join(f"{t['rounds']} in {t['seconds']:.1f} s" for t in cells)


def _available_memory() -> float:
    """MemAvailable of /proc/meminfo in bytes (0 where there is none)."""
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return 0.0
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return float(line.split()[1]) * 1024
    return 0.0


def training(args: argparse.Namespace, work: Path) -> list[str]:
    raw = work / "raw"
    made = make_files(raw, args.rows, args.files)
    print(f"generated {args.rows:,} rows in {made:.0f} s; processing on one instance", flush=True)
    child(CHILD_PROCESSING, str(REPO), str(raw), str(work / "processed"))
    shutil.rmtree(raw)
    available = _available_memory()
    hp = ["--num_round", str(args.rounds), "--early_stopping_rounds", str(args.rounds + 1)]
    runs = {}
    for hosts in (1, 2):
        runs[hosts] = train_hosts(work / "processed", work, hosts, hp)
        print(f"  {hosts} host(s): {runs[hosts]['hosts'][0]['seconds']:.1f} s", flush=True)
    lines = [
        f"## TrainModel on 1 and 2 hosts, {args.rows:,} raw rows",
        "",
        f"Command: `nice .venv/bin/python bench/bench_scale_out.py training --rows {args.rows}"
        f" --rounds {args.rounds}`",
        "",
        f"Machine: {os.cpu_count()} cores, shared; load average {args.load:.2f} at start;"
        f" {gib(available)} of memory available before training. The raw rows were processed"
        f" on one instance first; {args.rounds} boosting rounds (no early stop), then the refit"
        " on train + validation for as many rounds; one thread per host (XGBoost and BLAS). The"
        " 2 hosts run at once, one per core, joined on 127.0.0.1. Ridge: the two fits of the"
        " ridge half (train, then train + validation), each from statistics summed across hosts.",
        "",
        "| hosts | host | train rows | rounds (early stopping + refit) | s per round | ridge |"
        " wall | CPU | load | peak RSS |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    per_round: dict[int, float] = {}
    for hosts, run in runs.items():
        for measured, host in zip(run["hosts"], run["summary"]["hosts"], strict=True):
            first = host["timing"]["early_stopping"]
            ridge = host["timing"].get("ridge", {}).get("seconds", 0.0)
            per_round.setdefault(hosts, first["seconds_per_round"])
            lines.append(
                f"| {hosts} | {host['host']} | {host['train_rows']:,} | {_round_cells(host)} |"
                f" {first['seconds_per_round']:.3f} | {ridge:.1f} s |"
                f" {measured['seconds']:.1f} s | {measured['cpu']:.1f} s |"
                f" {measured['load_start']:.1f} | {gib(measured['peak_rss'])} |"
            )
    one, two = runs[1]["summary"], runs[2]["summary"]
    all_rounds = {hosts: _all_rounds(run["summary"]["hosts"][0]) for hosts, run in runs.items()}
    cpu = {hosts: max(m["cpu"] for m in run["hosts"]) for hosts, run in runs.items()}
    lines += [
        "",
        f"Time per boosting round, early-stopping rounds: {per_round[1]:.3f} s on 1 host,"
        f" {per_round[2]:.3f} s on 2 ({per_round[1] / per_round[2]:.2f}x); all"
        f" {2 * args.rounds} rounds (early stopping and refit): {all_rounds[1]:.3f} s and"
        f" {all_rounds[2]:.3f} s (**{all_rounds[1] / all_rounds[2]:.2f}x**). CPU time of the"
        f" busiest host: {cpu[1]:.1f} s on 1 host, {cpu[2]:.1f} s on 2"
        f" (**{cpu[1] / cpu[2]:.2f}x**); the 2 hosts together"
        f" {sum(m['cpu'] for m in runs[2]['hosts']) / cpu[1]:.2f}x the one host's. Validation"
        f" RMSE (log1p) after {args.rounds} rounds:"
        f" {one['validation_metrics']['log1p_price']['rmse']:.5f} on 1 host,"
        f" {two['validation_metrics']['log1p_price']['rmse']:.5f} on 2.",
        "",
        "Wall times on this shared machine follow the load (other processes held the cores"
        " for part of every phase, unevenly): compare the two sides by CPU time, and by the"
        " time per round over all rounds rather than per phase.",
    ]
    return lines


def _all_rounds(host: dict[str, Any]) -> float:
    """Seconds per round over the early-stopping and refit rounds together."""
    phases = [
        host["timing"][name] for name in ("early_stopping", "refit") if name in host["timing"]
    ]
    seconds = sum(float(p["seconds"]) for p in phases)
    rounds = sum(int(p["rounds"]) for p in phases)
    return seconds / max(1, rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("processing", "training"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--hosts", type=int, default=4, help="processing instances")
    parser.add_argument("--files", type=int, default=16, help="raw files the rows are written to")
    parser.add_argument("--rounds", type=int, default=40, help="training: boosting rounds")
    parser.add_argument("--repeats", type=int, default=3, help="processing: rounds of 1 and N")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="processing: a folder of raw CSV files to use instead of generating --rows rows",
    )
    args = parser.parse_args(argv)
    args.load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-scale-out-", dir=args.workdir))
    try:
        lines = processing(args, work) if args.part == "processing" else training(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale_out_{args.part}.md"
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"results in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
