"""End to end on the embedded data: processing -> training -> evaluation -> batch prediction.

Each step runs as its container runs it (a subprocess, paths from arguments and SageMaker
environment variables), with few boosting rounds to stay fast.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tarfile
from pathlib import Path

import pytest

from testsupport.ml_scripts_testkit import run_python

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "house_data.csv"


def run(args: list[str], *, env: dict[str, str] | None = None, cwd: Path = REPO) -> None:
    run_python(args, cwd=cwd, pythonpath=REPO, env=env)


def raw_rows(limit: int) -> tuple[list[str], list[list[str]]]:
    with DATA.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [row for _, row in zip(range(limit), reader, strict=False)]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def read_predictions(path: Path) -> list[float]:
    lines = path.read_text().splitlines()
    assert lines[0] == "predicted_price,price_low,price_high"
    return [float(v.split(",")[0]) for v in lines[1:]]


def test_pipeline_steps_end_to_end_on_the_embedded_data(tmp_path: Path) -> None:
    # Processing: the raw object copied into the input folder, as SageMaker does.
    raw_dir = tmp_path / "processing" / "input" / "data"
    raw_dir.mkdir(parents=True)
    (raw_dir / "house_data.csv").write_bytes(DATA.read_bytes())
    processed = tmp_path / "processing" / "output"
    run(
        ["-m", "ml_scripts.processing", "--input-dir", str(raw_dir), "--output-dir", str(processed)]
    )

    report = json.loads((processed / "report" / "processing_report.json").read_text())
    assert report["status"] == "succeeded"
    assert report["invariant_holds"] is True
    assert report["rows_in"] == 2637
    assert report["rows_in"] == (
        report["rows_clean"] + report["rows_quarantined"] + report["rows_duplicate"]
    )
    assert report["reasons"] == {"Garage Yr Blt: outside the plausible range 1800 to 2100": 1}
    for split in ("train", "validation", "test"):
        assert (processed / split / f"{split}.parquet").stat().st_size > 0
    assert (processed / "quarantine" / "quarantine.csv").is_file()

    # Training: channels and model dir from the environment, hyperparameters as strings.
    model_dir = tmp_path / "training" / "model"
    run(
        ["ml_scripts/training/train.py", "--max_depth", "4", "--eta", "0.1", "--num-round", "200"],
        env={
            "SM_CHANNEL_TRAIN": str(processed / "train"),
            "SM_CHANNEL_VALIDATION": str(processed / "validation"),
            "SM_MODEL_DIR": str(model_dir),
            "SM_OUTPUT_DATA_DIR": str(tmp_path / "training" / "output"),
            "SM_HPS": json.dumps({"early_stopping_rounds": "30", "seed": "7"}),
        },
    )
    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["hyperparameters"]["num_round"] == 200
    assert card["hyperparameters"]["seed"] == 7
    assert (model_dir / "code" / "inference.py").is_file()
    # Training fits the transform from every training row and ships it in the model.
    transform = json.loads((model_dir / "transform.json").read_text())
    assert transform["fit_rows"] == card["rows"]["train_fitted"]

    # The model archive as SageMaker writes it: the model dir's content at the archive root.
    archive_dir = tmp_path / "evaluation" / "model"
    archive_dir.mkdir(parents=True)
    with tarfile.open(archive_dir / "model.tar.gz", "w:gz") as tar:
        for item in sorted(model_dir.iterdir()):
            tar.add(item, arcname=item.name)

    evaluation = tmp_path / "evaluation" / "output"
    run(
        [
            "-m",
            "ml_scripts.evaluation",
            "--model-dir",
            str(archive_dir),
            "--test-dir",
            str(processed / "test"),
            "--output-dir",
            str(evaluation),
        ]
    )
    metrics = json.loads((evaluation / "evaluation.json").read_text())
    gate = metrics["regression_metrics"]["rmse"]["value"]
    assert math.isfinite(gate)
    assert gate < 0.3
    assert metrics["rows"] == report["splits"]["test"]
    assert {p.name for p in (evaluation / "plots").iterdir()} == {
        "predicted_vs_actual.png",
        "residuals.png",
        "learning_curve.png",
        "error_by_sale_condition.png",
        "error_by_neighborhood.png",
        "feature_importance.png",
    }
    assert (evaluation / "report.html").is_file()

    # Batch prediction: one price per row, in input order (checked with the rows reversed).
    header, rows = raw_rows(60)
    forward, backward = tmp_path / "forward.csv", tmp_path / "backward.csv"
    write_csv(forward, header, rows)
    write_csv(backward, header, rows[::-1])
    for source in (forward, backward):
        run(
            [
                "-m",
                "ml_scripts.inference.predict",
                "--model",
                str(archive_dir / "model.tar.gz"),
                "--input",
                str(source),
                "--output",
                str(source.with_suffix(".pred.csv")),
            ]
        )
    predicted = read_predictions(forward.with_suffix(".pred.csv"))
    assert len(predicted) == 60
    assert read_predictions(backward.with_suffix(".pred.csv")) == predicted[::-1]
    actual = [float(r[header.index("SalePrice")]) for r in rows]
    log_errors = [math.log1p(p) - math.log1p(a) for p, a in zip(predicted, actual, strict=True)]
    assert math.sqrt(sum(e * e for e in log_errors) / len(log_errors)) < 0.3
