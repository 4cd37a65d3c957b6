"""Evaluation: SageMaker-shaped metrics on the log scale, archives, the report, optional plots."""

from __future__ import annotations

import builtins
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ml_scripts.common.metrics import bootstrap_std, log_scale_metrics, rmse
from ml_scripts.evaluation import plots
from ml_scripts.evaluation.evaluate import main
from ml_scripts.inference.model import extract_model_archive


def test_rmse_is_rmsle_of_the_price() -> None:
    price = np.array([100_000.0, 200_000.0, 300_000.0])
    predicted = np.array([110_000.0, 190_000.0, 330_000.0])
    metrics = log_scale_metrics(price, predicted)
    rmsle = float(np.sqrt(np.mean((np.log1p(predicted) - np.log1p(price)) ** 2)))
    assert metrics["rmse"]["value"] == pytest.approx(rmsle)
    assert metrics["rmsle"]["value"] == metrics["rmse"]["value"]
    assert metrics["mse"]["value"] == pytest.approx(rmsle**2)
    assert set(metrics) == {"mse", "rmse", "rmsle", "mae", "r2"}
    assert all(set(v) == {"value", "standard_deviation"} for v in metrics.values())


def test_bootstrap_deviation_is_seeded_and_zero_for_perfect_predictions() -> None:
    actual = np.linspace(11, 13, 50)
    noisy = actual + np.sin(np.arange(50)) / 10
    assert bootstrap_std(rmse, actual, noisy, seed=3) == bootstrap_std(rmse, actual, noisy, seed=3)
    assert bootstrap_std(rmse, actual, actual) == 0.0


def _archive(model_dir: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    archive = target / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for item in sorted(model_dir.iterdir()):
            tar.add(item, arcname=item.name)
    return archive


def test_evaluation_reads_model_tar_gz_and_writes_the_gate_metric(
    model_dir: Path, processed_dir: Path, tmp_path: Path
) -> None:
    _archive(model_dir, tmp_path / "model")
    code = main(
        [
            "--model-dir",
            str(tmp_path / "model"),
            "--test-dir",
            str(processed_dir / "test"),
            "--output-dir",
            str(tmp_path / "evaluation"),
        ]
    )
    assert code == 0
    report = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
    gate = report["regression_metrics"]["rmse"]["value"]
    assert 0.05 < gate < 0.3
    assert report["regression_metrics"]["rmsle"]["value"] == gate
    assert report["quality_gate_metric"] == "regression_metrics.rmse.value"
    assert (
        report["rows"]
        == json.loads((processed_dir / "report" / "processing_report.json").read_text())["splits"][
            "test"
        ]
    )
    for name in (
        "predicted_vs_actual",
        "residuals",
        "learning_curve",
        "error_by_sale_condition",
        "error_by_neighborhood",
        "feature_importance",
    ):
        assert (tmp_path / "evaluation" / "plots" / f"{name}.png").stat().st_size > 1000
    assert (tmp_path / "evaluation" / "report.html").stat().st_size > 10_000
    assert (tmp_path / "evaluation" / "report.md").is_file()


def test_plots_are_skipped_with_a_log_line_without_matplotlib(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr("importlib.import_module", no_matplotlib)
    data = plots.FigureData(np.ones(3), np.ones(3), rmse=0.1, rmse_sd=0.01, r2=0.9, rmse_usd=1.0)
    assert plots.make_figures(data) == {}
    assert "matplotlib is not installed: evaluation plots skipped" in caplog.text


def test_archive_with_path_traversal_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b"x"
        info = tarfile.TarInfo("../escape.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ValueError, match="unsafe path in model archive"):
        extract_model_archive(archive, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_missing_model_fails_with_exit_code_1(
    processed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--model-dir",
            str(tmp_path),
            "--test-dir",
            str(processed_dir / "test"),
            "--output-dir",
            str(tmp_path / "e"),
        ]
    )
    assert code == 1
    assert "no model.ubj or model.tar.gz" in capsys.readouterr().err


def _evaluate(
    model_dir: Path, processed_dir: Path, tmp_path: Path, champion: Path | None
) -> tuple[int, dict[str, Any]]:
    _archive(model_dir, tmp_path / "model")
    args = [
        *("--model-dir", str(tmp_path / "model")),
        *("--test-dir", str(processed_dir / "test")),
        *("--output-dir", str(tmp_path / "evaluation")),
    ]
    if champion is not None:
        args += ["--champion-dir", str(champion), "--champion-uri", "s3://a/models/x/model.tar.gz"]
    code = main(args)
    report_path = tmp_path / "evaluation" / "evaluation.json"
    return code, json.loads(report_path.read_text()) if report_path.exists() else {}


def test_the_champion_is_scored_on_the_same_test_rows(
    model_dir: Path, processed_dir: Path, tmp_path: Path
) -> None:
    champion = _archive(model_dir, tmp_path / "champion").parent

    code, report = _evaluate(model_dir, processed_dir, tmp_path, champion)

    assert code == 0
    section = report["champion"]
    rmse = report["regression_metrics"]["rmse"]["value"]
    assert section["present"] is True
    assert section["model_uri"] == "s3://a/models/x/model.tar.gz"
    assert section["rmse"] == section["regression_metrics"]["rmse"]["value"] == rmse
    assert section["rmse_above_champion"] == 0.0
    assert f"of log price of {rmse:.4g} on the same" in section["description"]
    assert f"on the same {report['rows']} test rows" in section["description"]


def test_the_placeholder_means_no_champion_and_a_zero_difference(
    model_dir: Path, processed_dir: Path, tmp_path: Path
) -> None:
    placeholder = tmp_path / "no-champion"
    placeholder.mkdir()
    (placeholder / "NO_CHAMPION.json").write_text('{"champion": null}\n')

    code, report = _evaluate(model_dir, processed_dir, tmp_path, placeholder)

    assert code == 0
    assert report["champion"]["present"] is False
    assert report["champion"]["model_uri"] is None
    assert report["champion"]["rmse_above_champion"] == 0.0
    assert report["champion"]["description"].startswith("there is no champion")


def test_a_champion_input_with_neither_file_fails_the_step(
    model_dir: Path, processed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()

    code, _ = _evaluate(model_dir, processed_dir, tmp_path, tmp_path / "empty")

    assert code == 1
    assert "holds neither model.tar.gz nor the NO_CHAMPION.json placeholder" in (
        capsys.readouterr().err
    )


def test_a_champion_that_cannot_be_scored_fails_naming_it_and_the_way_out(
    model_dir: Path, processed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.tar.gz").write_bytes(b"not a tar archive")

    code, _ = _evaluate(model_dir, processed_dir, tmp_path, broken)

    assert code == 1
    err = capsys.readouterr().err
    assert "the champion model (s3://a/models/x/model.tar.gz) cannot be scored" in err
    assert "reject that model version" in err


def test_the_interval_coverage_and_width_are_reported(
    model_dir: Path, processed_dir: Path, tmp_path: Path
) -> None:
    code, report = _evaluate(model_dir, processed_dir, tmp_path, None)

    assert code == 0
    interval = report["prediction_interval"]
    assert interval["level"] == 0.9
    assert interval["rows"] == report["rows"]
    assert 0.8 < interval["coverage"] <= 1.0
    assert interval["median_width"] > 0
    by_segment = interval["by_segment"]
    assert by_segment["Normal"]["rows"] + by_segment["other"]["rows"] == report["rows"]
    assert report["champion"]["present"] is False
