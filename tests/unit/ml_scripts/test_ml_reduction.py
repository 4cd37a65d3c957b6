"""Statistics over rows spread across hosts equal the statistics of one host (reduction.py).

The hosts are simulated by threads (testsupport/thread_cluster.py); the run-local tests run
the same code across processes with XGBoost's collective.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_scripts.common import contract
from ml_scripts.common.features import exclusion_mask, target_to_model
from ml_scripts.common.io import read_split
from ml_scripts.common.linear import RidgeModel
from ml_scripts.common.reduction import (
    LOCAL,
    Reducer,
    distributed_nanmedian,
    from_ordered_keys,
    nan_extreme,
    ordered_keys,
)
from ml_scripts.inference.intervals import PriceInterval
from ml_scripts.inference.model import HousePriceModel
from ml_scripts.training.fit import calibrate_interval, fit_feature_transform
from testsupport.thread_cluster import ThreadReducer, run_on_threads


def _share(rows: int, reducer: ThreadReducer) -> slice:
    return slice(
        reducer.rank * rows // reducer.world_size, (reducer.rank + 1) * rows // reducer.world_size
    )


def test_ordered_keys_sort_as_the_floats_and_map_back() -> None:
    values = np.asarray([-np.inf, -1e300, -2.5, -0.0, 0.0, 1e-300, 3.0, 1e300, np.inf])
    keys = ordered_keys(values)
    assert list(np.argsort(keys, kind="stable")) == list(range(len(values)))
    assert np.array_equal(from_ordered_keys(keys), values)


@pytest.mark.parametrize("rows", [1, 2, 7, 600, 601, 2000])
def test_the_distributed_median_is_numpys_exactly(rows: int) -> None:
    rng = np.random.default_rng(rows)
    matrix = rng.normal(size=(rows, 5)) * 1000
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    matrix[:, 1] = np.round(matrix[:, 1] / 500)  # many ties
    matrix[:, 2] = np.nan  # nothing left to take the median of
    matrix[: rows // 2, 3] = -matrix[: rows // 2, 3]
    expected = LOCAL.nanmedian(matrix)
    # One host running the distributed algorithm, and three hosts with a share each.
    assert np.array_equal(distributed_nanmedian(matrix, LOCAL), expected, equal_nan=True)
    results = run_on_threads(3, lambda r: r.nanmedian(matrix[_share(rows, r)]))
    for result in results:
        assert np.array_equal(result, expected, equal_nan=True)


def test_extremes_ignore_nan_and_hosts_without_rows() -> None:
    matrix = np.asarray([[1.0, np.nan], [-4.0, np.nan], [2.0, np.nan]])

    def extremes(reducer: ThreadReducer) -> tuple[np.ndarray, np.ndarray]:
        mine = matrix if reducer.rank == 1 else matrix[:0]
        return nan_extreme(mine, reducer, lowest=True), nan_extreme(mine, reducer, lowest=False)

    for low, high in run_on_threads(3, extremes):
        assert np.array_equal(low, [-4.0, np.nan], equal_nan=True)
        assert np.array_equal(high, [2.0, np.nan], equal_nan=True)


@dataclass(frozen=True)
class FitRows:
    train: pd.DataFrame
    features: np.ndarray
    target: np.ndarray
    names: list[str]


@pytest.fixture(scope="module")
def fit_rows(processed_dir: Path) -> FitRows:
    """The embedded train split, and its features and target as the ridge is fitted on them."""
    train = read_split(processed_dir / "train")
    transform = fit_feature_transform(train)
    kept = train.iloc[np.flatnonzero(~exclusion_mask(train))]
    target = target_to_model(kept[contract.TARGET].to_numpy(dtype=np.float64))
    return FitRows(train, transform.transform(kept), target, transform.feature_names)


def test_the_ridge_fitted_across_three_hosts_is_the_single_host_fit(fit_rows: FitRows) -> None:
    features, target, names = fit_rows.features, fit_rows.target, fit_rows.names

    def fit(rows: slice, reducer: Reducer = LOCAL) -> RidgeModel:
        return RidgeModel.fit(
            features[rows],
            target[rows],
            names,
            alpha=10.0,
            blend_weight=0.5,
            huber_k=1.345,
            reducer=reducer,
        )

    single = fit(slice(None))
    models = run_on_threads(3, lambda reducer: fit(_share(len(target), reducer), reducer))

    for model in models:
        # Medians, extremes and the log columns are exact; sums differ only in their order.
        assert (model.fill, model.lower, model.upper) == (single.fill, single.lower, single.upper)
        assert model.log_columns == single.log_columns
        np.testing.assert_allclose(model.coef, single.coef, rtol=0, atol=1e-9)
        assert abs(model.intercept - single.intercept) < 1e-9


def test_the_transform_fitted_across_three_hosts_is_the_single_host_transform(
    fit_rows: FitRows,
) -> None:
    train = fit_rows.train
    single = fit_feature_transform(train).to_dict()

    def fit(reducer: ThreadReducer) -> dict[str, object]:
        share = train.iloc[_share(len(train), reducer)]
        return fit_feature_transform(share, reducer).to_dict()

    assert run_on_threads(3, fit) == [single] * 3


def test_the_interval_calibrated_across_three_hosts_is_the_single_host_interval(
    processed_dir: Path, model_dir: Path
) -> None:
    # Every host must calibrate on every validation row, not only on its own share.
    model = HousePriceModel.load(model_dir)
    validation = read_split(processed_dir / "validation")
    single = calibrate_interval(model, validation)

    def calibrate(reducer: ThreadReducer) -> PriceInterval:
        return calibrate_interval(model, validation.iloc[_share(len(validation), reducer)], reducer)

    intervals = run_on_threads(3, calibrate)
    assert intervals == [single] * 3
    rows = sum(offsets.calibration_rows for offsets in single.segments.values())
    assert rows == len(validation)
