"""Evaluation plots. matplotlib is optional: without it the plots are skipped with a log line."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

TOP_FEATURES = 20


def _pyplot() -> Any | None:
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        logger.warning("matplotlib is not installed: evaluation plots skipped")
        return None
    # A file-only backend: containers have no display.
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def write_plots(
    output_dir: Path,
    actual: np.ndarray,
    predicted: np.ndarray,
    importance: Mapping[str, float],
) -> list[str]:
    """predicted_vs_actual.png, residuals.png, feature_importance.png; returns the file names."""
    plt = _pyplot()
    if plt is None:
        return []
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    log_actual = np.log1p(actual)
    log_predicted = np.log1p(predicted)

    fig, ax = plt.subplots(figsize=(6, 6))
    thousands_actual, thousands_predicted = actual / 1000.0, predicted / 1000.0
    ax.scatter(thousands_actual, thousands_predicted, s=8, alpha=0.5)
    low = float(min(thousands_actual.min(), thousands_predicted.min()))
    high = float(max(thousands_actual.max(), thousands_predicted.max()))
    ax.plot([low, high], [low, high], color="black", linewidth=1)
    ax.set(xlabel="actual price ($ thousands)", ylabel="predicted price ($ thousands)")
    ax.set_title("Predicted vs actual (test split)")
    written.append(_save(fig, plt, output_dir / "predicted_vs_actual.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(log_predicted, log_predicted - log_actual, s=8, alpha=0.5)
    ax.axhline(0.0, color="black", linewidth=1)
    ax.set(xlabel="predicted log1p(price)", ylabel="residual (log scale)")
    ax.set_title("Residuals (test split)")
    written.append(_save(fig, plt, output_dir / "residuals.png"))

    top = sorted(importance.items(), key=lambda item: item[1], reverse=True)[:TOP_FEATURES]
    fig, ax = plt.subplots(figsize=(7, 6))
    if top:
        names, gains = zip(*reversed(top), strict=True)
        ax.barh(list(names), list(gains))
    ax.set(xlabel="total gain")
    ax.set_title(f"Feature importance (top {TOP_FEATURES}, trees)")
    written.append(_save(fig, plt, output_dir / "feature_importance.png"))
    return written


def _save(fig: Any, plt: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name
