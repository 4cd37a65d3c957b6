"""How well the model's price interval does on the test split: coverage and width.

`prediction_interval` in evaluation.json:

- ``level``: the interval's nominal coverage (0.9);
- ``coverage``: the share of test rows whose actual price lies within [price_low, price_high];
- ``median_width``: the median of price_high - price_low, in dollars;
- ``median_relative_width``: the median of that width over the predicted price;
- ``rows``; ``by_segment``: the same figures for normal sales and the other sale conditions,
  the segments the interval is calibrated on;
- ``method``: how the interval was calibrated.

None when the model has no interval (a model trained before intervals existed).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ml_scripts.inference.intervals import METHOD, SEGMENTS, segment_of
from ml_scripts.inference.model import PriceRanges


def _figures(actual: np.ndarray, ranges: PriceRanges, chosen: np.ndarray) -> dict[str, Any]:
    if not chosen.any():
        return {"rows": 0, "coverage": None, "median_width": None}
    low, high, price = ranges.low[chosen], ranges.high[chosen], ranges.price[chosen]
    inside = (actual[chosen] >= low) & (actual[chosen] <= high)
    width = high - low
    return {
        "rows": int(chosen.sum()),
        "coverage": float(inside.mean()),
        "median_width": float(np.median(width)),
        "median_relative_width": float(np.median(width / price)),
    }


def interval_report(
    actual: np.ndarray, ranges: PriceRanges, test: pd.DataFrame
) -> dict[str, Any] | None:
    """Coverage and widths of the interval on the test rows (None without an interval)."""
    if ranges.level is None:
        return None
    segments = segment_of(test)
    return {
        "level": ranges.level,
        **_figures(actual, ranges, np.ones(len(actual), dtype=bool)),
        "by_segment": {name: _figures(actual, ranges, segments == name) for name in SEGMENTS},
        "method": METHOD,
    }
