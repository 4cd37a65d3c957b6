"""Evaluation step: score the test split with the trained model and write evaluation.json.

evaluation.json follows SageMaker's model-quality shape. Every figure under
``regression_metrics`` is on the model's target scale, log1p(SalePrice):

- ``rmse``: RMSE of log1p(price) == RMSLE of the price. The pipeline's quality gate reads
  ``regression_metrics.rmse.value``;
- ``rmsle``: the same number, under its explicit name;
- ``mse``, ``mae``: squared / absolute error of log1p(price);
- ``r2``: coefficient of determination of log1p(price).

``standard_deviation`` is the spread of the metric over 200 seeded bootstrap resamples of the
test rows. Dollar figures (RMSE, MAE, MAPE) are under ``price_metrics``, their bootstrap
deviations (the same resamples) under ``price_metrics_standard_deviation``. ``champion`` scores
the champion on the same rows (evaluation/champion.py); ``prediction_interval`` gives the price
interval's coverage and width (evaluation/coverage.py); ``error_by_segment`` the error by Sale
Condition and by Neighborhood (evaluation/segments.py); ``permutation_importance`` what the
blend relies on (evaluation/importance.py).

Beside evaluation.json the step writes the run report, ``report.html`` and ``report.md``, and
its figures under ``plots/`` (evaluation/report.py).
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
from ml_scripts.common.numbers import readable
from ml_scripts.evaluation.champion import champion_report
from ml_scripts.evaluation.context import (
    RunContext,
    add_report_arguments,
    default_report_arguments,
    run_context,
)
from ml_scripts.evaluation.coverage import interval_report
from ml_scripts.evaluation.importance import REPEATS, importance_report, permutation_importance
from ml_scripts.evaluation.plots import FigureData, make_figures
from ml_scripts.evaluation.report import build_document, write_run_report
from ml_scripts.evaluation.segments import largest_errors, price_deviations, segment_report
from ml_scripts.inference.model import HousePriceModel, model_directory

DEFAULT_MODEL_DIR = layout.EVALUATION_MODEL_DIR
DEFAULT_TEST_DIR = layout.EVALUATION_TEST_DIR
DEFAULT_OUTPUT_DIR = layout.EVALUATION_OUTPUT_DIR
DEFAULT_CHAMPION_DIR = layout.EVALUATION_CHAMPION_DIR
SEED = 0

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


def _report_and_figures(
    model: HousePriceModel,
    test: Any,
    report: dict[str, Any],
    predicted: np.ndarray,
    context: RunContext,
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """Add the dollar deviations, the segments and the importance to `report`; the figures."""
    actual = test[contract.TARGET].to_numpy(dtype=np.float64)
    log_actual, log_predicted = np.log1p(actual), np.log1p(predicted)
    report["price_metrics_standard_deviation"] = price_deviations(actual, predicted, seed=SEED)
    report["error_by_segment"] = segment_report(test, log_actual, log_predicted)
    found, rows = permutation_importance(model, test, seed=SEED)
    report["permutation_importance"] = importance_report(found, rows, REPEATS, SEED)
    errors = largest_errors(test, actual, predicted)
    metrics = report["regression_metrics"]
    figures = make_figures(
        FigureData(
            actual=actual,
            predicted=predicted,
            rmse=float(metrics["rmse"]["value"]),
            rmse_sd=float(metrics["rmse"]["standard_deviation"]),
            r2=float(metrics["r2"]["value"]),
            rmse_usd=float(report["price_metrics"]["rmse_usd"]),
            largest_errors=errors,
            history=context.history,
            segments=report["error_by_segment"],
            importance=found,
            seed=SEED,
        )
    )
    return figures, errors


def run_evaluation(
    model_location: Path,
    test_dir: Path,
    output_dir: Path,
    *,
    champion_dir: Path | None = None,
    champion_uri: str | None = None,
    report_arguments: argparse.Namespace | None = None,
) -> dict[str, Any]:
    """Load the model (model.tar.gz or a directory), score the test split and, when the
    champion input holds one, the champion's model on it; write evaluation.json and the run
    report."""
    test = read_split(test_dir)
    with model_directory(model_location) as model_dir:
        model = HousePriceModel.load(model_dir)
        context = run_context(report_arguments or default_report_arguments(), model_dir)
    report, predicted = evaluate(model, test, seed=SEED)
    actual = test[contract.TARGET].to_numpy(dtype=np.float64)
    rmse = report["regression_metrics"]["rmse"]["value"]
    report["champion"] = champion_report(
        champion_dir,
        champion_uri or None,
        test,
        actual,
        rmse,
        tolerance=context.champion_tolerance,
    )
    # The Fail message quotes this: enough digits to tell it from the threshold it is held to.
    threshold = () if context.rmse_threshold is None else (context.rmse_threshold,)
    report["regression_metrics"]["rmse"]["text"] = readable(rmse, *threshold)
    figures, errors = _report_and_figures(model, test, report, predicted, context)
    report["plots"] = [f"plots/{name}" for name in figures]
    report["run_report"] = [layout.REPORT_HTML_FILE, layout.REPORT_MARKDOWN_FILE]
    document = build_document(report, context, figures, errors)
    write_run_report(output_dir, document, figures)
    write_json(output_dir / layout.EVALUATION_FILE, report)
    logger.info("test rows %d; rmse of log1p(price) (= rmsle) %.5f", len(test), rmse)
    logger.info("champion: %s", report["champion"]["description"])
    logger.info("run report: %s", output_dir / layout.REPORT_HTML_FILE)
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
    add_report_arguments(parser)
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
            report_arguments=args,
        )
    except (ValueError, FileNotFoundError) as exc:
        return report_failure(logger, "evaluation", exc)
    return 0
