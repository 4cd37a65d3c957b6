"""Model quality on the test split with the default hyperparameters, next to reference models.

    .venv/bin/python bench/bench_model_quality.py

Runs the real steps on the embedded data (processing with seed 42, training with the default
hyperparameters, evaluation on the test split) and, on the very same split and features,
three references: the median training price, XGBoost with its default parameters (100
rounds, eta 0.3, depth 6) and each half of the blend alone. All figures are RMSE of
log1p(price) = RMSLE. Nothing here is tuned on the test split: the defaults were chosen by
cross-validation on the train + validation rows.
"""

from __future__ import annotations

import os
import platform
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
GOAL = 0.100


def main() -> int:
    sys.path.insert(0, str(REPO))

    import numpy as np
    import xgboost as xgb

    from ml_scripts.common.features import FeatureTransform, target_to_model
    from ml_scripts.common.io import read_split
    from ml_scripts.evaluation.evaluate import run_evaluation
    from ml_scripts.inference.model import HousePriceModel
    from ml_scripts.processing.preprocess import ProcessingConfig, run_processing
    from ml_scripts.training.train import (
        Hyperparameters,
        TrainingPaths,
        exclusion_mask,
        run_training,
    )

    with tempfile.TemporaryDirectory(prefix="bench-quality-") as scratch:
        root = Path(scratch)
        processed = root / "processed"
        report = run_processing(
            ProcessingConfig(input_path=REPO / "data" / "house_data.csv", output_dir=processed)
        )
        paths = TrainingPaths(
            train=processed / "train",
            validation=processed / "validation",
            transform=processed / "transform",
            model_dir=root / "model",
            output_data_dir=root / "output",
        )
        card = run_training(paths, Hyperparameters(), verbose_eval=False)
        archive_dir = root / "archive"
        archive_dir.mkdir()
        with tarfile.open(archive_dir / "model.tar.gz", "w:gz") as tar:
            for item in sorted(paths.model_dir.iterdir()):
                tar.add(item, arcname=item.name)
        evaluation = run_evaluation(archive_dir, processed / "test", root / "evaluation")

        transform = FeatureTransform.load(processed / "transform" / "transform.json")
        train = read_split(processed / "train")
        train = train.iloc[(~exclusion_mask(train)).nonzero()[0]]
        test = read_split(processed / "test")
        y_train = target_to_model(train["SalePrice"].to_numpy())
        y_test = target_to_model(test["SalePrice"].to_numpy())

        def rmse(predicted: np.ndarray) -> float:
            return float(np.sqrt(np.mean((predicted - y_test) ** 2)))

        median = rmse(np.full(len(y_test), np.median(y_train)))
        default = xgb.train(
            {"objective": "reg:squarederror", "tree_method": "hist", "seed": 42, "nthread": 1},
            xgb.DMatrix(transform.transform(train), label=y_train),
            num_boost_round=100,
        )
        default_rmse = rmse(default.predict(xgb.DMatrix(transform.transform(test))))
        # Transparency only (the reported figure keeps every test row): how much of the error
        # comes from the single worst-predicted sale.
        shipped = HousePriceModel.load(paths.model_dir).predict_log(test)
        squared = (shipped - y_test) ** 2
        worst = int(np.argmax(squared))
        without_worst = float(np.sqrt(np.delete(squared, worst).mean()))
        worst_row = test.iloc[worst]
        worst_text = (
            f"${worst_row['SalePrice']:,.0f} sale, {worst_row['Sale Condition']} condition,"
            f" {worst_row['Gr Liv Area']:,.0f} sq ft, predicted ${np.expm1(shipped[worst]):,.0f}"
        )

    metrics = evaluation["regression_metrics"]
    test_rmsle = metrics["rmse"]["value"]
    components = evaluation["components_rmse_log1p"]
    validation = card["validation_metrics"]["log1p_price"]["rmse"]
    load = os.getloadavg()[0]
    lines = [
        "## Model quality (test split, default hyperparameters)",
        "",
        "Command: `.venv/bin/python bench/bench_model_quality.py`",
        "",
        f"Machine: {os.cpu_count()} cores, shared; Python {platform.python_version()}, xgboost"
        f" {xgb.__version__}; load average {load:.2f}. Data: embedded `data/house_data.csv`,"
        f" split seed 42: {report.splits['train']} train / {report.splits['validation']}"
        f" validation / {report.splits['test']} test rows.",
        "",
        "| model (RMSE of log1p price = RMSLE, test split) | value |",
        "| --- | --- |",
        f"| **shipped model: 0.5 x XGBoost + 0.5 x ridge** | **{test_rmsle:.4f}**"
        f" (bootstrap sd {metrics['rmse']['standard_deviation']:.4f}) |",
        f"| its XGBoost half alone | {components['trees']:.4f} |",
        f"| its ridge half alone | {components['ridge']:.4f} |",
        f"| XGBoost with default parameters, same features | {default_rmse:.4f} |",
        f"| median training price | {median:.4f} |",
        f"| shipped model on the validation split (early stopping set) | {validation:.4f} |",
        "",
        f"Goal: <= {GOAL:.3f} on the test split. Best iteration {card['model']['best_iteration']}.",
        "",
        f"The single worst test row ({worst_text}) accounts for much of the gap: without it"
        f" the figure would be {without_worst:.4f}. It stays in the test split and in the"
        " reported figure; only rows with Gr Liv Area > 4000 are left out, and only from"
        " model fitting (none of them fell in this test split).",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "model_quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
