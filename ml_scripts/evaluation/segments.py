"""Where the error sits: by Sale Condition and by Neighborhood, and the largest single errors.

Figures are on the model's scale, log1p(price): a residual of 0.10 is a price about 10% off.
``bias`` is the mean of predicted minus actual (positive: the model overprices the segment).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ml_scripts.common.metrics import PRICE_METRICS, bootstrap_std

SEGMENT_COLUMNS = ("Sale Condition", "Neighborhood")
MISSING = "(missing)"
LARGEST_ERRORS = 5
# Columns that describe a house in the table of the largest errors.
DESCRIBING = ("Neighborhood", "Sale Condition", "Overall Qual", "Gr Liv Area", "Year Built")


def _labels(test: pd.DataFrame, column: str) -> np.ndarray:
    values = test[column].astype(object).to_numpy()
    return np.array([MISSING if pd.isna(v) else str(v) for v in values], dtype=object)


def error_by_segment(
    test: pd.DataFrame, log_actual: np.ndarray, log_predicted: np.ndarray, column: str
) -> list[dict[str, Any]]:
    """Rows, RMSE and bias of each value of `column`, largest RMSE first."""
    labels = _labels(test, column)
    residual = log_predicted - log_actual
    segments = []
    for value in sorted(set(labels)):
        chosen = residual[labels == value]
        segments.append(
            {
                "segment": str(value),
                "rows": len(chosen),
                "rmse": float(np.sqrt(np.mean(chosen**2))),
                "bias": float(np.mean(chosen)),
            }
        )
    return sorted(segments, key=lambda s: (-s["rmse"], s["segment"]))


def segment_report(
    test: pd.DataFrame, log_actual: np.ndarray, log_predicted: np.ndarray
) -> dict[str, list[dict[str, Any]]]:
    """`error_by_segment` of evaluation.json: every segment column that the test rows have."""
    return {
        column: error_by_segment(test, log_actual, log_predicted, column)
        for column in SEGMENT_COLUMNS
        if column in test.columns
    }


def _describe(test: pd.DataFrame, position: int) -> dict[str, Any]:
    described: dict[str, Any] = {}
    for column in DESCRIBING:
        if column not in test.columns:
            continue
        value = test[column].iloc[position]
        if pd.isna(value):
            described[column] = None
        elif isinstance(value, int | float | np.number):
            described[column] = float(value)
        else:
            described[column] = str(value)
    return described


def largest_errors(
    test: pd.DataFrame, actual: np.ndarray, predicted: np.ndarray, count: int = LARGEST_ERRORS
) -> list[dict[str, Any]]:
    """The test rows with the largest absolute error of log price, largest first."""
    residual = np.log1p(predicted) - np.log1p(actual)
    order = np.argsort(-np.abs(residual), kind="stable")[:count]
    return [
        {
            "row": int(i),
            "actual": float(actual[i]),
            "predicted": float(predicted[i]),
            "residual_log": float(residual[i]),
            **_describe(test, int(i)),
        }
        for i in order
    ]


def price_deviations(
    actual: np.ndarray, predicted: np.ndarray, *, resamples: int = 200, seed: int = 0
) -> dict[str, float]:
    """Bootstrap standard deviation of each dollar metric (the same resamples as the log ones)."""
    return {
        name: bootstrap_std(fn, actual, predicted, resamples=resamples, seed=seed)
        for name, fn in PRICE_METRICS.items()
    }
