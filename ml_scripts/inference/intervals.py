"""Price ranges: a 90% interval around each predicted price, by split-conformal calibration.

At training time the model fitted on the train split (the one early stopping chose, before the
refit on train + validation) predicts the validation rows; the absolute values of their
residuals on the log scale, |y - prediction|, calibrate the interval. For a level of 1 - a, the
offset is the ceil((n + 1)(1 - a))-th smallest of the n absolute residuals, so the interval
prediction +- offset covers at least 1 - a of new rows from the same distribution.

The calibration is done per segment of `Sale Condition` (Mondrian conformal): normal sales, and
every other condition (abnormal, partial, family, allocation, adjoining land, or unknown)
together. Most of the error lies in the second group, so one pooled interval is too wide for
normal sales and too narrow for the rest. In 5-fold cross-validation on train + validation
(`bench/bench_intervals.py`, figures in bench/RESULTS.md) the segments bring the other sales'
coverage from 0.78 to 0.92 and narrow the median interval by a tenth; a signed quantile per
tail instead of the absolute residuals covers more than asked (its two finite-sample
corrections add up on the small segment) and is wider. A segment with too few validation rows
for its quantile uses the pooled residuals.

The offsets are stored in the model directory as `interval.json` and applied to the shipped
model's prediction: `exp(prediction + offset) - 1` gives `price_low` and `price_high` in dollars.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

INTERVAL_FILE = "interval.json"
DEFAULT_LEVEL = 0.9
SEGMENT_COLUMN = "Sale Condition"
NORMAL_SEGMENT = "Normal"
OTHER_SEGMENT = "other"
SEGMENTS = (NORMAL_SEGMENT, OTHER_SEGMENT)
METHOD = (
    "split-conformal on the absolute validation residuals (log1p price) of the early-stopping "
    "fit, by Sale Condition: Normal, other"
)


def segment_of(frame: pd.DataFrame) -> np.ndarray:
    """Each row's segment: Normal for normal sales, other for the rest (missing included)."""
    if SEGMENT_COLUMN not in frame.columns:
        return np.full(len(frame), OTHER_SEGMENT, dtype=object)
    normal = frame[SEGMENT_COLUMN].astype(object).to_numpy() == NORMAL_SEGMENT
    return np.where(normal, NORMAL_SEGMENT, OTHER_SEGMENT)


def min_rows(level: float) -> int:
    """The fewest calibration rows for which the conformal quantile is finite."""
    # (n + 1) * level <= n; rounded first, so that 0.9 / 0.1 is 9 and not 9.000000000000002.
    return math.ceil(round(level / (1.0 - level), 9))


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ceil((n + 1) * level)-th smallest score (the largest one when n is too small)."""
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    rank = min(math.ceil(round((len(ordered) + 1) * level, 9)), len(ordered))
    return float(ordered[rank - 1])


@dataclass(frozen=True)
class Offsets:
    """Log-scale offsets added to a prediction for the interval's ends."""

    lower: float
    upper: float
    calibration_rows: int
    pooled: bool = False

    @classmethod
    def from_residuals(cls, residuals: np.ndarray, level: float, *, pooled: bool) -> Offsets:
        """The conformal quantile of the absolute residuals, on both sides of the prediction."""
        half = conformal_quantile(np.abs(residuals), level)
        return cls(-half, half, len(residuals), pooled)


@dataclass(frozen=True)
class PriceInterval:
    """Calibrated interval offsets per segment, and the level they are for."""

    level: float
    segments: dict[str, Offsets]

    @classmethod
    def calibrate(
        cls, residuals: np.ndarray, segments: np.ndarray, level: float = DEFAULT_LEVEL
    ) -> PriceInterval:
        """Offsets from validation residuals (actual - predicted, log1p price) per segment."""
        residuals = np.asarray(residuals, dtype=np.float64)
        if not len(residuals) or not np.all(np.isfinite(residuals)):
            raise ValueError("the interval needs finite validation residuals")
        if not 0.0 < level < 1.0:
            raise ValueError(f"the interval level must lie between 0 and 1, got {level}")
        pooled = Offsets.from_residuals(residuals, level, pooled=True)
        offsets: dict[str, Offsets] = {}
        for segment in SEGMENTS:
            own = residuals[segments == segment]
            if len(own) >= min_rows(level):
                offsets[segment] = Offsets.from_residuals(own, level, pooled=False)
            else:
                offsets[segment] = Offsets(pooled.lower, pooled.upper, len(own), pooled=True)
        return cls(level, offsets)

    def log_bounds(
        self, predicted_log: np.ndarray, segments: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) on the log1p scale for predictions and their segments."""
        lower = np.zeros(len(predicted_log))
        upper = np.zeros(len(predicted_log))
        for segment, offsets in self.segments.items():
            chosen = segments == segment
            lower[chosen], upper[chosen] = offsets.lower, offsets.upper
        return predicted_log + lower, predicted_log + upper

    def price_bounds(
        self, predicted_log: np.ndarray, frame: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray]:
        """(price_low, price_high) in dollars for the rows of `frame` and their predictions."""
        low, high = self.log_bounds(np.asarray(predicted_log, dtype=np.float64), segment_of(frame))
        return np.expm1(low), np.expm1(high)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored as interval.json."""
        return {
            "level": self.level,
            "method": METHOD,
            "scale": "log1p(SalePrice): price = expm1(prediction + offset)",
            "segment_column": SEGMENT_COLUMN,
            "segments": {
                name: {
                    "lower_offset": o.lower,
                    "upper_offset": o.upper,
                    "calibration_rows": o.calibration_rows,
                    "pooled": o.pooled,
                }
                for name, o in self.segments.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PriceInterval:
        """Read the JSON form; ValueError when it is not one."""
        try:
            segments = {
                name: Offsets(
                    float(item["lower_offset"]),
                    float(item["upper_offset"]),
                    int(item["calibration_rows"]),
                    bool(item["pooled"]),
                )
                for name, item in data["segments"].items()
            }
            interval = cls(float(data["level"]), segments)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"{INTERVAL_FILE} is not an interval calibration: {error}") from error
        if set(segments) != set(SEGMENTS):
            raise ValueError(f"{INTERVAL_FILE} must calibrate the segments {', '.join(SEGMENTS)}")
        return interval

    def save(self, path: Path) -> None:
        """Write interval.json."""
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> PriceInterval:
        """Read interval.json."""
        return cls.from_dict(json.loads(path.read_text()))
