"""Price intervals: split-conformal offsets per sale-condition segment, stored in the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_scripts.common import contract
from ml_scripts.common.io import read_split
from ml_scripts.inference.intervals import (
    INTERVAL_FILE,
    NORMAL_SEGMENT,
    OTHER_SEGMENT,
    PriceInterval,
    conformal_quantile,
    min_rows,
    segment_of,
)
from ml_scripts.inference.model import HousePriceModel


def test_the_conformal_quantile_is_the_finite_sample_rank() -> None:
    scores = np.arange(1.0, 20.0)  # 19 scores
    # ceil((19 + 1) * 0.9) = 18: the second largest score; with 0.5 the 10th smallest.
    assert conformal_quantile(scores, 0.9) == 18.0
    assert conformal_quantile(scores, 0.5) == 10.0
    assert conformal_quantile(np.arange(1.0, 9.0), 0.9) == 8.0  # too few: the largest
    assert min_rows(0.9) == 9


def test_segments_are_normal_sales_and_everything_else() -> None:
    frame = pd.DataFrame({"Sale Condition": ["Normal", "Abnorml", None, "Partial"]})
    assert list(segment_of(frame)) == [NORMAL_SEGMENT, OTHER_SEGMENT, OTHER_SEGMENT, OTHER_SEGMENT]


def test_each_segment_gets_its_own_offset() -> None:
    rng = np.random.default_rng(0)
    normal = rng.normal(0.0, 0.05, 400)
    other = rng.normal(-0.1, 0.2, 200)  # over-predicted and noisier
    residuals = np.concatenate([normal, other])
    segments = np.array([NORMAL_SEGMENT] * 400 + [OTHER_SEGMENT] * 200)

    interval = PriceInterval.calibrate(residuals, segments, level=0.9)

    tight, wide = interval.segments[NORMAL_SEGMENT], interval.segments[OTHER_SEGMENT]
    assert tight.upper == -tight.lower == conformal_quantile(np.abs(normal), 0.9)
    assert wide.upper == -wide.lower == conformal_quantile(np.abs(other), 0.9)
    assert tight.upper < wide.upper
    assert (tight.calibration_rows, wide.calibration_rows) == (400, 200)
    inside = (residuals >= np.where(segments == NORMAL_SEGMENT, tight.lower, wide.lower)) & (
        residuals <= np.where(segments == NORMAL_SEGMENT, tight.upper, wide.upper)
    )
    assert inside[:400].mean() >= 0.9
    assert inside[400:].mean() >= 0.9


def test_a_segment_with_too_few_rows_uses_the_pooled_residuals() -> None:
    residuals = np.linspace(-0.3, 0.3, 100)
    segments = np.array([NORMAL_SEGMENT] * 95 + [OTHER_SEGMENT] * 5)  # 5 < 9 rows

    interval = PriceInterval.calibrate(residuals, segments)

    pooled = interval.segments[OTHER_SEGMENT]
    assert pooled.pooled
    assert pooled.calibration_rows == 5
    assert (pooled.lower, pooled.upper) == pytest.approx((-0.3 * 0.9, 0.3 * 0.9), abs=0.01)


def test_the_interval_is_symmetric_in_log_price() -> None:
    interval = PriceInterval.calibrate(np.full(50, 0.2), np.full(50, NORMAL_SEGMENT))
    frame = pd.DataFrame({"Sale Condition": ["Normal"]})
    low, high = interval.price_bounds(np.log1p(np.array([100_000.0])), frame)
    assert np.log1p(low[0]) == pytest.approx(np.log1p(100_000.0) - 0.2)
    assert np.log1p(high[0]) == pytest.approx(np.log1p(100_000.0) + 0.2)


def test_calibration_refuses_non_finite_residuals_and_bad_levels() -> None:
    with pytest.raises(ValueError, match="finite validation residuals"):
        PriceInterval.calibrate(np.array([0.1, np.nan]), np.full(2, NORMAL_SEGMENT))
    with pytest.raises(ValueError, match="between 0 and 1"):
        PriceInterval.calibrate(np.zeros(30), np.full(30, NORMAL_SEGMENT), level=1.0)


def test_a_broken_interval_file_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / INTERVAL_FILE
    path.write_text(json.dumps({"level": 0.9, "segments": {"Normal": {}}}))
    with pytest.raises(ValueError, match=r"interval\.json is not an interval calibration"):
        PriceInterval.load(path)


def test_training_stores_the_interval_and_the_model_card_describes_it(model_dir: Path) -> None:
    stored = PriceInterval.load(model_dir / INTERVAL_FILE)
    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["interval"]["file"] == INTERVAL_FILE
    assert card["interval"]["level"] == stored.level == 0.9
    calibrated = sum(o.calibration_rows for o in stored.segments.values())
    assert calibrated == card["rows"]["validation"]


def test_predicted_ranges_hold_the_price_and_bracket_it(
    model_dir: Path, processed_dir: Path
) -> None:
    model = HousePriceModel.load(model_dir)
    test = read_split(processed_dir / "test")

    ranges = model.predict_ranges(test)

    assert ranges.level == 0.9
    np.testing.assert_allclose(ranges.price, model.predict_prices(test))
    assert np.all(ranges.low <= ranges.price)
    assert np.all(ranges.price <= ranges.high)
    actual = test[contract.TARGET].to_numpy(dtype=np.float64)
    coverage = float(np.mean((actual >= ranges.low) & (actual <= ranges.high)))
    assert 0.8 < coverage <= 1.0


def test_a_model_without_an_interval_gives_empty_ranges(
    model_dir: Path, processed_dir: Path
) -> None:
    model = HousePriceModel.load(model_dir)
    model.interval = None
    ranges = model.predict_ranges(read_split(processed_dir / "test").head(3))
    assert ranges.level is None
    assert np.all(np.isnan(ranges.low)) and np.all(np.isnan(ranges.high))
