"""A local run of the shipped pipeline plus batch predictions (examples/batch_predictions):
a Transform step on our model predicts the test split through the model's own serving code,
and a Lambda step mapped to a local handler summarises the predictions."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from examples.batch_predictions.build import render
from ml_scripts.inference.model import HousePriceModel, model_directory
from ml_scripts.inference.predict import predict_file
from project.paths import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

HANDLER = "summarise-predictions=examples.batch_predictions.handlers:summarise"


@dataclass(frozen=True)
class BatchRun:
    """The CLI's exit code and output, the execution record and the workdir."""

    code: int
    stdout: str
    stderr: str
    record: dict[str, Any]
    workdir: Path

    def step(self, name: str) -> dict[str, Any]:
        """A step's entry in execution.json."""
        return next(s for s in self.record["Steps"] if s["Name"] == name)

    def local(self, uri: str) -> Path:
        """The local store's path of an S3 URI."""
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return self.workdir / "s3" / bucket / key


@pytest.fixture(scope="module")
def definition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's definition, rendered with the SDK once for the module."""
    return render(tmp_path_factory.mktemp("batch-definition"))


@pytest.fixture(scope="module")
def batch_run(definition: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchRun:
    """Run the example locally with the handler mapped."""
    workdir = tmp_path_factory.mktemp("batch-run")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline_definition",
            "run-local",
            "--definition",
            str(definition),
            "--workdir",
            str(workdir),
            "--param",
            "NumRound=60",
            "--lambda",
            HANDLER,
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    (execution,) = (workdir / "executions").glob("*")
    record = json.loads((execution / "execution.json").read_text())
    return BatchRun(completed.returncode, completed.stdout, completed.stderr, record, workdir)


def test_the_whole_pipeline_succeeds(batch_run: BatchRun) -> None:
    assert batch_run.code == 0, batch_run.stdout + batch_run.stderr
    assert batch_run.record["Status"] == "Succeeded"
    assert batch_run.step("NoPredictions")["Status"] == "not run"


def test_the_transform_predicts_every_test_row_with_the_models_serving_code(
    batch_run: BatchRun, tmp_path: Path
) -> None:
    predict = batch_run.step("PredictTestSplit")["Properties"]
    test_uri = predict["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    (test_file,) = batch_run.local(test_uri).glob("*.csv")
    output = batch_run.local(predict["TransformOutput"]["S3OutputPath"]) / f"{test_file.name}.out"
    served = [line.split(",") for line in output.read_text().split()]
    rows = len(test_file.read_text().splitlines()) - 1  # the header
    assert len(served) == rows > 300
    assert all(float(low) < float(price) < float(high) for price, low, high in served)
    # The same model through the batch-prediction CLI gives the same prices.
    model_uri = batch_run.step("CreateModel")["Properties"]["PrimaryContainer"]["ModelDataUrl"]
    with model_directory(batch_run.local(model_uri)) as model_dir:
        model = HousePriceModel.load(model_dir)
    expected = tmp_path / "expected.csv"
    predict_file(model, test_file, expected)
    assert served == [line.split(",") for line in expected.read_text().split()[1:]]


def test_the_lambda_step_summarises_the_predictions(batch_run: BatchRun) -> None:
    summary = batch_run.step("SummarisePredictions")
    outputs = summary["Properties"]["OutputParameters"]
    predictions = batch_run.step("PredictTestSplit")["Properties"]
    output = batch_run.local(predictions["TransformOutput"]["S3OutputPath"])
    prices = [
        float(line.split(",")[0])
        for path in output.glob("*.out")
        for line in path.read_text().split()
    ]
    assert outputs == {"rows": len(prices), "mean_price": round(sum(prices) / len(prices), 2)}
    assert summary["Detail"] == f"rows={len(prices)}, mean_price={outputs['mean_price']}"
    assert "summarise-predictions:" in Path(summary["Log"]).read_text()
    check = batch_run.step("CheckPredictions")
    assert check["Detail"] == f"{len(prices)} > 0 is true -> IfSteps"


def test_without_the_mapping_the_lambda_step_is_refused_before_anything_runs(
    definition: Path, tmp_path: Path
) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline_definition",
            "run-local",
            "--definition",
            str(definition),
            "--workdir",
            str(tmp_path / "work"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "error: step 'SummarisePredictions' (Lambda) calls "
        "arn:aws:lambda:eu-west-1:000000000000:function:summarise-predictions, which runs in "
        "AWS Lambda; map it to a local handler with "
        "--lambda summarise-predictions=package.module:function"
    )
    assert not (tmp_path / "work" / "executions").exists()
