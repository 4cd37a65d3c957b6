"""Evaluation step: score the test split with the trained model and write evaluation.json.

evaluation.json follows SageMaker's model-quality shape. Every figure under
``regression_metrics`` is on the model's target scale, log1p(SalePrice):

- ``rmse``: RMSE of log1p(price) == RMSLE of the price. The pipeline's quality gate reads
  ``regression_metrics.rmse.value``;
- ``rmsle``: the same number, under its explicit name;
- ``mse``, ``mae``: squared / absolute error of log1p(price);
- ``r2``: coefficient of determination of log1p(price).

``standard_deviation`` is the spread of the metric over 200 seeded bootstrap resamples of the
test rows. Dollar figures (RMSE, MAE, MAPE) are under ``price_metrics``. ``champion`` scores the
champion on the same rows (evaluation/champion.py); ``prediction_interval`` gives the price
interval's coverage and width (evaluation/coverage.py).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ml_scripts import layout
from ml_scripts.common import contract
from ml_scripts.common.cli import report_failure, step_parser
from ml_scripts.common.features import model_to_price
from ml_scripts.common.io import configure_logging, read_split, write_json
from ml_scripts.common.metrics import log_scale_metrics, price_metrics
from ml_scripts.evaluation.champion import champion_report
from ml_scripts.evaluation.coverage import interval_report
from ml_scripts.evaluation.plots import write_plots
from ml_scripts.inference.model import HousePriceModel, model_directory

DEFAULT_MODEL_DIR = layout.EVALUATION_MODEL_DIR
DEFAULT_TEST_DIR = layout.EVALUATION_TEST_DIR
DEFAULT_OUTPUT_DIR = layout.EVALUATION_OUTPUT_DIR
DEFAULT_CHAMPION_DIR = layout.EVALUATION_CHAMPION_DIR

logger = logging.getLogger(__name__)


def evaluate(
    model: HousePriceModel, test: Any, *, seed: int = 0
) -> tuple[dict[str, Any], np.ndarray]:
    """(evaluation.json content, predicted prices) for a model and the clean test rows."""
    if not len(test):
        raise ValueError("the test split has no rows")
    actual = test[contract.TARGET].to_numpy(dtype=np.float64)
    trees, ridge = model.predict_components(test)
    predicted = model_to_price(model.blend(trees, ridge))
    if not np.all(np.isfinite(predicted)):
        raise ValueError("the model produced non-finite predictions")
    log_actual = np.log1p(actual)
    ranges = model.predict_ranges(test)
    report = {
        "regression_metrics": log_scale_metrics(actual, predicted, seed=seed),
        "price_metrics": price_metrics(actual, predicted),
        "components_rmse_log1p": {
            "trees": float(np.sqrt(np.mean((trees - log_actual) ** 2))),
            "ridge": None if ridge is None else float(np.sqrt(np.mean((ridge - log_actual) ** 2))),
        },
        "rows": len(test),
        "prediction_interval": interval_report(actual, ranges, test),
        "quality_gate_metric": layout.GATE_METRIC_PATH,
        "metric_scale": "log1p(SalePrice): rmse == rmsle; dollar figures under price_metrics",
    }
    return report, predicted


def feature_importance(model: HousePriceModel) -> dict[str, float]:
    """Total gain per feature of the boosted trees."""
    scores = model.booster.get_score(importance_type="total_gain")
    return {str(name): float(np.asarray(value).sum()) for name, value in scores.items()}


def run_evaluation(
    model_location: Path,
    test_dir: Path,
    output_dir: Path,
    *,
    champion_dir: Path | None = None,
    champion_uri: str | None = None,
) -> dict[str, Any]:
    """Load the model (model.tar.gz or a directory), score the test split and, when the
    champion input holds one, the champion's model on it; write the outputs."""
    test = read_split(test_dir)
    with model_directory(model_location) as model_dir:
        model = HousePriceModel.load(model_dir)
    report, predicted = evaluate(model, test)
    actual = test[contract.TARGET].to_numpy(dtype=np.float64)
    rmse = report["regression_metrics"]["rmse"]["value"]
    report["champion"] = champion_report(champion_dir, champion_uri or None, test, actual, rmse)
    plots = write_plots(output_dir / "plots", actual, predicted, feature_importance(model))
    report["plots"] = [f"plots/{name}" for name in plots]
    write_json(output_dir / layout.EVALUATION_FILE, report)
    logger.info("test rows %d; rmse of log1p(price) (= rmsle) %.5f", len(test), rmse)
    logger.info("champion: %s", report["champion"]["description"])
    return report


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments (container paths by default)."""
    parser = step_parser(
        "python -m ml_scripts.evaluation", "Score the test split; write evaluation.json and plots."
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=Path(DEFAULT_MODEL_DIR),
        help="folder with model.tar.gz (or an extracted model directory)",
    )
    parser.add_argument("--test-dir", type=Path, default=Path(DEFAULT_TEST_DIR))
    parser.add_argument("--output-dir", type=Path, default=Path(DEFAULT_OUTPUT_DIR))
    parser.add_argument(
        "--champion-dir",
        type=Path,
        default=None,
        help="folder with the champion's model.tar.gz, or the no-champion placeholder "
        f"{layout.NO_CHAMPION_FILE} (the pipeline passes {DEFAULT_CHAMPION_DIR}); "
        "without it there is no champion",
    )
    parser.add_argument(
        "--champion-uri",
        default="",
        help="the ChampionModelData the champion input came from, for the report",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, 1 when the model or the test data cannot be used."""
    configure_logging()
    args = parse_args(argv)
    try:
        run_evaluation(
            args.model_dir,
            args.test_dir,
            args.output_dir,
            champion_dir=args.champion_dir,
            champion_uri=args.champion_uri,
        )
    except (ValueError, FileNotFoundError) as exc:
        return report_failure(logger, "evaluation", exc)
    return 0
