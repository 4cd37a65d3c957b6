"""`run-local` as the integration tests call it: the CLI in a subprocess, and what it left."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline_definition.local.store import LocalObjectStore
from project.paths import PROJECT_ROOT

# Few boosting rounds: a real model, trained in a second or two.
NUM_ROUND = "60"
FAST = ("--param", f"NumRound={NUM_ROUND}")


@dataclass(frozen=True)
class Run:
    """One CLI run: exit code, output and its execution.json."""

    code: int
    stdout: str
    stderr: str
    record: dict[str, Any]

    def step(self, name: str) -> dict[str, Any]:
        """A step's entry in execution.json."""
        return next(s for s in self.record["Steps"] if s["Name"] == name)


def run_cli(workdir: Path, *args: str) -> Run:
    """`python -m pipeline_definition run-local --workdir WORKDIR ...` in a subprocess."""
    return run_command(workdir, "run-local", *args)


def run_command(workdir: Path, *args: str, timeout: float = 240) -> Run:
    """`python -m pipeline_definition ARGS --workdir WORKDIR` in a subprocess; the record is the
    execution.json of the run it started, if any."""
    executions = workdir / "executions"
    before = set(executions.glob("*")) if executions.exists() else set()
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline_definition", *args, "--workdir", str(workdir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    new = sorted(set(executions.glob("*")) - before) if executions.exists() else []
    record = json.loads((new[-1] / "execution.json").read_text()) if new else {}
    return Run(completed.returncode, completed.stdout, completed.stderr, record)


def store_path(workdir: Path, uri: str) -> Path:
    """Where a URI lives in the workdir's local store."""
    return LocalObjectStore(workdir / "s3").path(uri)


def evaluation_folder(workdir: Path, run: Run) -> Path:
    """The folder of the run's EvaluateModel output: evaluation.json, the run report, plots/."""
    outputs = run.step("EvaluateModel")["Properties"]["ProcessingOutputConfig"]["Outputs"]
    return store_path(workdir, outputs[0]["S3Output"]["S3Uri"])
