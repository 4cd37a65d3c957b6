"""Fitting: XGBoost on log1p(SalePrice) with early stopping on the validation split, blended
with a robust ridge regression, then (by default) both refitted on train + validation.

The validation split first picks the number of boosting rounds (early stopping) and gives the
honest validation figures of the model card; the shipped booster and ridge are then refitted on
the training and validation rows together, with that number of rounds, so the validation rows
also inform the model (5-fold cross-validation on train + validation: RMSLE 0.1167 -> 0.1143).

With several hosts each one passes its own share of the rows and a reducer over all of them
(training/cluster.py): XGBoost allreduces its histograms and metrics itself inside the
collective, and every other statistic (row counts, the transform's sums, the ridge, the
validation figures) goes through the reducer, so every host builds the same model. Every host
makes the same calls in the same order, which collective operations require.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from ml_scripts.common import contract
from ml_scripts.common.features import (
    FeatureTransform,
    TransformFitter,
    exclusion_mask,
    model_to_price,
    target_to_model,
)
from ml_scripts.common.history import TrainingHistory
from ml_scripts.common.linear import RidgeModel
from ml_scripts.common.metrics import log_metric_values, price_metrics, rmse
from ml_scripts.common.reduction import LOCAL, Reducer
from ml_scripts.inference.intervals import PriceInterval, segment_of
from ml_scripts.inference.model import HousePriceModel
from ml_scripts.training.hyperparameters import Hyperparameters

logger = logging.getLogger(__name__)


@dataclass
class TrainingResult:
    """What training produced, for the model card and the logs."""

    model: HousePriceModel
    best_iteration: int
    validation_metrics: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)
    # Wall time of the boosting rounds (early stopping, refit) and of the ridge fits: not part
    # of the model card, which stays the same for the same data.
    timing: dict[str, dict[str, float]] = field(default_factory=dict)
    history: TrainingHistory | None = None


class RoundTimer(xgb.callback.TrainingCallback):
    """Wall time of the boosting rounds of one xgb.train call."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.perf_counter()
        self.rounds = 0

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        """Count the round; never stops training."""
        self.rounds += 1
        return False

    def summary(self) -> dict[str, float]:
        """Rounds, seconds and seconds per round so far."""
        seconds = time.perf_counter() - self.started
        per_round = seconds / self.rounds if self.rounds else 0.0
        return {"rounds": self.rounds, "seconds": seconds, "seconds_per_round": per_round}


def calibrate_interval(
    model: HousePriceModel, validation: pd.DataFrame, reducer: Reducer = LOCAL
) -> PriceInterval:
    """The price interval from the validation residuals of the model fitted on train only; with
    several hosts, from every host's validation rows (so every host calibrates the same)."""
    residuals = _labels(validation) - model.predict_log(validation)
    parts = reducer.gather((residuals, segment_of(validation)))
    return PriceInterval.calibrate(
        np.concatenate([part[0] for part in parts]), np.concatenate([part[1] for part in parts])
    )


def quantile_matrix(
    features: np.ndarray,
    label: np.ndarray,
    transform: FeatureTransform,
    *,
    nthread: int,
    max_bin: int,
    ref: Any = None,
) -> xgb.QuantileDMatrix:
    """A transformed feature matrix and its log1p target as a QuantileDMatrix (hist method)."""
    return xgb.QuantileDMatrix(
        features,
        label=label,
        feature_names=transform.feature_names,
        nthread=nthread,
        max_bin=max_bin,
        ref=ref,
        missing=np.nan,
    )


def build_matrix(
    transform: FeatureTransform, frame: pd.DataFrame, *, nthread: int, max_bin: int, ref: Any = None
) -> xgb.QuantileDMatrix:
    """Feature matrix of clean rows with the log1p target, as a QuantileDMatrix."""
    return quantile_matrix(
        transform.transform(frame),
        _labels(frame),
        transform,
        nthread=nthread,
        max_bin=max_bin,
        ref=ref,
    )


def _labels(frame: pd.DataFrame) -> np.ndarray:
    return target_to_model(frame[contract.TARGET].to_numpy(dtype=np.float64))


def total(reducer: Reducer, count: int) -> int:
    """A count summed over every host."""
    return int(reducer.sum(np.asarray([count], dtype=np.int64))[0])


def fit_feature_transform(train: pd.DataFrame, reducer: Reducer = LOCAL) -> FeatureTransform:
    """The feature transform fitted on the train rows (training exclusions left out) of every
    host: each host counts its own rows, and the exact integer sums are added up."""
    fitter = TransformFitter()
    fitter.update(train.iloc[np.flatnonzero(~exclusion_mask(train))])
    merged = TransformFitter()
    for part in reducer.gather(fitter):
        merged.merge(part)
    return merged.finish()


def _fit_linear(
    features: np.ndarray,
    target: np.ndarray,
    transform: FeatureTransform,
    hp: Hyperparameters,
    reducer: Reducer,
    *,
    timing: dict[str, dict[str, float]],
) -> RidgeModel | None:
    if hp.linear_weight <= 0:
        return None
    started = time.perf_counter()
    ridge = RidgeModel.fit(
        features,
        target,
        transform.feature_names,
        alpha=hp.ridge_alpha,
        blend_weight=hp.linear_weight,
        huber_k=hp.ridge_huber,
        reducer=reducer,
    )
    spent = timing.setdefault("ridge", {"fits": 0, "seconds": 0.0})
    spent["fits"] += 1
    spent["seconds"] += time.perf_counter() - started
    return ridge


def _validation_metrics(
    model: HousePriceModel, validation: pd.DataFrame, reducer: Reducer
) -> dict[str, Any]:
    trees, ridge = model.predict_components(validation)
    actual = validation[contract.TARGET].to_numpy(dtype=np.float64)
    parts = reducer.gather((actual, trees, ridge))
    actual = np.concatenate([part[0] for part in parts])
    trees = np.concatenate([part[1] for part in parts])
    ridges = [part[2] for part in parts if part[2] is not None]
    ridge = np.concatenate(ridges) if len(ridges) == len(parts) else None
    predicted = model_to_price(model.blend(trees, ridge))
    log_actual = target_to_model(actual)
    return {
        "log1p_price": log_metric_values(actual, predicted),
        "price_metrics": price_metrics(actual, predicted),
        "rmse_log1p_trees_only": rmse(log_actual, trees),
        "rmse_log1p_ridge_only": None if ridge is None else rmse(log_actual, ridge),
        "rows": len(actual),
        "model": "fitted on the train split only (before any refit on train + validation)",
    }


def _row_counts(
    train: pd.DataFrame, excluded: np.ndarray, validation: pd.DataFrame, reducer: Reducer
) -> dict[str, int]:
    counts = np.asarray(
        [len(train), int(excluded.sum()), len(train) - int(excluded.sum()), len(validation)],
        dtype=np.int64,
    )
    train_rows, train_excluded, train_fitted, validation_rows = reducer.sum(counts).tolist()
    if not validation_rows:
        raise ValueError("the validation split has no rows: early stopping needs them")
    if not train_fitted:
        raise ValueError("the train split has no rows left to fit")
    return {
        "train": int(train_rows),
        "train_excluded": int(train_excluded),
        "train_fitted": int(train_fitted),
        "validation": int(validation_rows),
        "validation_fitted": 0,
    }


def train_model(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    transform: FeatureTransform,
    hp: Hyperparameters,
    *,
    verbose_eval: int | bool = 200,
    reducer: Reducer = LOCAL,
) -> TrainingResult:
    """Fit the booster with early stopping (keeping the trees up to the best validation
    iteration) and the ridge on the train split; score them on validation; then, when
    hp.refit_on_validation, refit both with the same number of rounds on train + validation.
    With several hosts, `train` and `validation` are this host's share of the rows."""
    excluded = exclusion_mask(train)
    rows = _row_counts(train, excluded, validation, reducer)
    fit_rows = train.iloc[np.flatnonzero(~excluded)]
    logger.info(
        "training on %d rows (%d excluded by the contract), validating on %d",
        rows["train_fitted"],
        rows["train_excluded"],
        rows["validation"],
    )
    features = transform.transform(fit_rows)
    target = _labels(fit_rows)
    valid_features = transform.transform(validation)
    valid_target = _labels(validation)
    # Features are computed once per split and shared by early stopping, the ridge and the refit.
    dtrain = quantile_matrix(features, target, transform, nthread=hp.nthread, max_bin=hp.max_bin)
    dvalid = quantile_matrix(
        valid_features,
        valid_target,
        transform,
        nthread=hp.nthread,
        max_bin=hp.max_bin,
        ref=dtrain,
    )
    timer = RoundTimer()
    evals_result: dict[str, Any] = {}
    booster = xgb.train(
        hp.xgboost_params(),
        dtrain,
        num_boost_round=hp.num_round,
        evals=[(dtrain, "train"), (dvalid, "validation")],
        early_stopping_rounds=hp.early_stopping_rounds,
        verbose_eval=verbose_eval,
        callbacks=[timer],
        evals_result=evals_result,
    )
    best = int(booster.best_iteration)
    timing = {"early_stopping": timer.summary()}
    history = TrainingHistory.from_evals(evals_result, best)
    # The quantised matrices are as large as the features: freed before the ridge's design is
    # built (the booster keeps no reference to them), so the peak is one large matrix lower.
    del dtrain, dvalid
    linear = _fit_linear(features, target, transform, hp, reducer, timing=timing)
    model = HousePriceModel(booster[: best + 1], transform, linear)
    metrics = _validation_metrics(model, validation, reducer)
    # Conformal calibration needs rows the model did not fit: the validation rows, before the
    # refit below uses them too (inference/intervals.py).
    model.interval = calibrate_interval(model, validation, reducer)
    if hp.refit_on_validation:
        kept = ~exclusion_mask(validation)
        all_features = np.vstack([features, valid_features[kept]])
        all_target = np.concatenate([target, valid_target[kept]])
        del features, valid_features
        rows["validation_fitted"] = total(reducer, int(kept.sum()))
        logger.info(
            "refitting on %d train + validation rows, %d rounds",
            rows["train_fitted"] + rows["validation_fitted"],
            best + 1,
        )
        dall = quantile_matrix(
            all_features, all_target, transform, nthread=hp.nthread, max_bin=hp.max_bin
        )
        refit_timer = RoundTimer()
        refitted = xgb.train(
            hp.xgboost_params(), dall, num_boost_round=best + 1, callbacks=[refit_timer]
        )
        timing["refit"] = refit_timer.summary()
        del dall
        linear = _fit_linear(all_features, all_target, transform, hp, reducer, timing=timing)
        model = HousePriceModel(refitted, transform, linear, model.interval)
    return TrainingResult(model, best, metrics, rows, timing, history)
