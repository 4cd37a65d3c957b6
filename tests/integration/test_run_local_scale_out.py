"""`run-local` with 3 instances for ProcessData and 3 hosts for TrainModel against 1 and 1.

The embedded data split into 6 files (a folder InputData, as monthly drops would be) runs
once on one instance and host, and once on three of each, with the default hyperparameters.
Three processing instances must write exactly the split membership (by row key) and the
quarantine of one; three training hosts, joined by XGBoost's collective on the loopback
address, must give a model whose test RMSE is within 0.003 of one host's and whose ridge
coefficients equal one host's within 1e-9, with the transform and the price interval's
calibration rows of one host.
"""

from __future__ import annotations

import csv
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ml_scripts.common.io import ROW_KEY, read_split
from pipeline_definition.local.results import ExecutionResult
from pipeline_definition.local.runner import RunOptions, execute, prepare
from pipeline_definition.local.store import LocalObjectStore
from project.paths import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Scaled:
    """One run's outputs, read from the local store."""

    result: ExecutionResult
    store: LocalObjectStore

    def output(self, name: str) -> Path:
        """The local folder of a ProcessData output."""
        process = self.result.step("ProcessData").properties
        assert process is not None
        outputs = process["ProcessingOutputConfig"]["Outputs"]
        uri = next(o["S3Output"]["S3Uri"] for o in outputs if o["OutputName"] == name)
        return self.store.path(uri)

    def model_file(self, name: str) -> Any:
        """A JSON file of the trained model.tar.gz."""
        train = self.result.step("TrainModel").properties
        assert train is not None
        archive = self.store.path(train["ModelArtifacts"]["S3ModelArtifacts"])
        with tarfile.open(archive) as tar:
            member = tar.extractfile(name)
            assert member is not None
            return json.load(member)

    def run_report(self) -> str:
        """The Markdown run report EvaluateModel wrote."""
        evaluate = self.result.step("EvaluateModel").properties
        assert evaluate is not None
        outputs = evaluate["ProcessingOutputConfig"]["Outputs"]
        return (self.store.path(outputs[0]["S3Output"]["S3Uri"]) / "report.md").read_text()

    def rmse(self) -> float:
        """The test RMSE that EvaluateModel reported."""
        evaluate = self.result.step("EvaluateModel").properties
        assert evaluate is not None
        outputs = evaluate["ProcessingOutputConfig"]["Outputs"]
        report = self.store.path(outputs[0]["S3Output"]["S3Uri"]) / "evaluation.json"
        return float(json.loads(report.read_text())["regression_metrics"]["rmse"]["value"])


def _run(workdir: Path, params: tuple[str, ...], definition: Path | None) -> Scaled:
    options = RunOptions(workdir=workdir, definition=definition, params=params, use_cache=False)
    prepared = prepare(options, io.StringIO())
    result = execute(prepared, options)
    assert result.status == "Succeeded", result.failure_reason
    return Scaled(result, LocalObjectStore(prepared.workspace.store))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Scaled]:
    """The same folder of 6 files on 1 instance and host, and on 3 of each."""
    work = tmp_path_factory.mktemp("scale-out")
    raw = work / "raw"
    raw.mkdir()
    lines = (PROJECT_ROOT / "data" / "house_data.csv").read_text().splitlines(keepends=True)
    for index in range(6):
        (raw / f"sales-{index:02d}.csv").write_text(lines[0] + "".join(lines[1 + index :: 6]))
    data = (f"InputData={raw}/",)
    one = _run(work, data, None)
    counts = ("ProcessingInstanceCount=3", "TrainingInstanceCount=3")
    three = _run(work, (*data, *counts), work / "render" / "definition.json")
    return {1: one, 3: three}


def _keys(folder: Path) -> bytes:
    return np.sort(read_split(folder)[ROW_KEY].to_numpy()).tobytes()


def _quarantine(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return sorted(rows, key=lambda row: (row["source_file"], int(row["line_number"])))


def test_three_instances_write_the_split_membership_and_quarantine_of_one(
    runs: dict[int, Scaled],
) -> None:
    for split in SPLITS:
        assert _keys(runs[3].output(split)) == _keys(runs[1].output(split))
    assert _quarantine(runs[3].output("quarantine")) == _quarantine(runs[1].output("quarantine"))
    parts = sorted(p.name for p in runs[3].output("train").iterdir())
    assert parts == ["train-algo-1.parquet", "train-algo-2.parquet", "train-algo-3.parquet"]
    reports = sorted(runs[3].output("report").iterdir())
    assert all(json.loads(p.read_text())["invariant_holds"] for p in reports)
    assert len(reports) == 3
    # The run report adds the three instances' reports up.
    assert "6 file(s) read by 3 instances" in runs[3].run_report()
    assert "6 file(s) read." in runs[1].run_report()


def test_three_training_hosts_train_the_model_of_one(runs: dict[int, Scaled]) -> None:
    assert abs(runs[3].rmse() - runs[1].rmse()) <= 0.003
    one, three = (runs[n].model_file("linear.json") for n in (1, 3))
    assert np.max(np.abs(np.subtract(three["coef"], one["coef"]))) <= 1e-9
    assert abs(three["intercept"] - one["intercept"]) <= 1e-9
    assert runs[3].model_file("transform.json") == runs[1].model_file("transform.json")
    # The price interval is calibrated on every host's validation rows, as on one host.
    calibrated = [
        {
            name: s["calibration_rows"]
            for name, s in runs[n].model_file("interval.json")["segments"].items()
        }
        for n in (1, 3)
    ]
    assert calibrated[0] == calibrated[1]
    assert runs[3].model_file("model_card.json")["training_hosts"] == 3
    assert runs[1].model_file("model_card.json")["training_hosts"] == 1
