"""Permutation importance of the whole model: trees and ridge blended, on the test split.

For each input column, its values are shuffled across the test rows (seeded) and the blend
predicts again; the importance is how much the RMSE of log price rises. That measures what the
model as shipped relies on, the ridge half and the engineered features included, in the units
of the quality gate. A column the model does not read scores exactly 0.

Every shuffled copy is scored in a few large batches (the feature transform works row by row),
and at most MAX_ROWS test rows take part, so the cost stays bounded on a large test split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml_scripts.common import contract
from ml_scripts.common.metrics import rmse
from ml_scripts.inference.model import HousePriceModel

REPEATS = 3
MAX_ROWS = 2000
BATCH_ROWS = 60_000


@dataclass(frozen=True)
class Importance:
    """Rise in RMSE of log price per shuffled column: mean and spread over the repeats."""

    column: str
    rmse_increase: float
    standard_deviation: float


def _column_values(series: pd.Series) -> tuple[np.ndarray, Any]:
    """(values or category codes, the dtype to rebuild the column with)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), series.dtype
    return series.to_numpy(), None


def _shuffled_batch(frame: pd.DataFrame, tasks: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """One copy of `frame` per task, stacked, each with its column in the task's order."""
    rows = len(frame)
    positions = np.tile(np.arange(rows), len(tasks))
    data: dict[str, Any] = {}
    for name in frame.columns:
        values, dtype = _column_values(frame[name])
        stacked = values[positions]
        for k, (column, order) in enumerate(tasks):
            if column == name:
                stacked[k * rows : (k + 1) * rows] = values[order]
        data[name] = stacked if dtype is None else pd.Categorical.from_codes(stacked, dtype=dtype)
    return pd.DataFrame(data)


def permutation_importance(
    model: HousePriceModel,
    test: pd.DataFrame,
    *,
    repeats: int = REPEATS,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> tuple[list[Importance], int]:
    """(importance of every feature column, largest first; the number of rows used)."""
    rng = np.random.default_rng(seed)
    if len(test) > max_rows:
        test = test.iloc[np.sort(rng.choice(len(test), max_rows, replace=False))]
    frame = test.reset_index(drop=True)
    rows = len(frame)
    actual = np.log1p(frame[contract.TARGET].to_numpy(dtype=np.float64))
    baseline = rmse(actual, model.predict_log(frame))
    columns = [c for c in contract.FEATURE_COLUMNS if c in frame.columns]
    tasks = [(c, rng.permutation(rows)) for c in columns for _ in range(repeats)]
    per_batch = max(1, BATCH_ROWS // max(rows, 1))
    scores: list[float] = []
    for start in range(0, len(tasks), per_batch):
        chunk = tasks[start : start + per_batch]
        predicted = model.predict_log(_shuffled_batch(frame, chunk)).reshape(len(chunk), rows)
        scores.extend(rmse(actual, p) - baseline for p in predicted)
    rises = np.asarray(scores).reshape(len(columns), repeats)
    found = [
        Importance(
            column,
            float(rises[i].mean()),
            float(rises[i].std(ddof=1)) if repeats > 1 else 0.0,
        )
        for i, column in enumerate(columns)
    ]
    return sorted(found, key=lambda x: (-x.rmse_increase, x.column)), rows


def importance_report(
    found: list[Importance], rows: int, repeats: int, seed: int
) -> dict[str, Any]:
    """`permutation_importance` of evaluation.json."""
    return {
        "method": "shuffle one input column across the test rows, score the blend again: the "
        "rise in RMSE of log price (mean over the repeats)",
        "repeats": repeats,
        "seed": seed,
        "rows": rows,
        "columns": [
            {
                "column": item.column,
                "rmse_increase": item.rmse_increase,
                "standard_deviation": item.standard_deviation,
            }
            for item in found
        ],
    }
