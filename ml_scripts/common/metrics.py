"""Regression metrics, in the model's target space (log1p of the price) and in dollars.

The model is trained on log1p(price), so its RMSE *is* the RMSLE of the price:
rmse(log1p(y), log1p(p)) == sqrt(mean((log1p(p) - log1p(y))^2)). Every metric under
``regression_metrics`` is computed on that log scale; dollar figures are reported separately.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MetricFn = Callable[[np.ndarray, np.ndarray], float]


def mse(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean squared error."""
    return float(np.mean((predicted - actual) ** 2))


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(mse(actual, predicted)))


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(predicted - actual)))


def r2(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Coefficient of determination (1 - SSE/SST); 0 when the actual values are constant."""
    total = float(np.sum((actual - actual.mean()) ** 2))
    if total == 0.0:
        return 0.0
    return 1.0 - float(np.sum((actual - predicted) ** 2)) / total


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute percentage error (actual values are prices, always > 0)."""
    return float(np.mean(np.abs(predicted - actual) / actual))


LOG_METRICS: dict[str, MetricFn] = {"mse": mse, "rmse": rmse, "rmsle": rmse, "mae": mae, "r2": r2}
PRICE_METRICS: dict[str, MetricFn] = {"rmse_usd": rmse, "mae_usd": mae, "mape": mape}


def bootstrap_std(
    metric: MetricFn,
    actual: np.ndarray,
    predicted: np.ndarray,
    *,
    resamples: int = 200,
    seed: int = 0,
) -> float:
    """Standard deviation of a metric over seeded bootstrap resamples of the rows."""
    rows = len(actual)
    if rows < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    values = np.empty(resamples)
    for i in range(resamples):
        index = rng.integers(0, rows, rows)
        values[i] = metric(actual[index], predicted[index])
    return float(np.std(values, ddof=1))


def log_scale_metrics(
    price: np.ndarray, predicted_price: np.ndarray, *, resamples: int = 200, seed: int = 0
) -> dict[str, dict[str, float]]:
    """SageMaker-shaped {"mse": {"value", "standard_deviation"}, ...} on log1p(price)."""
    actual = np.log1p(np.asarray(price, dtype=np.float64))
    predicted = np.log1p(np.asarray(predicted_price, dtype=np.float64))
    return {
        name: {
            "value": fn(actual, predicted),
            "standard_deviation": bootstrap_std(
                fn, actual, predicted, resamples=resamples, seed=seed
            ),
        }
        for name, fn in LOG_METRICS.items()
    }


def log_metric_values(price: np.ndarray, predicted_price: np.ndarray) -> dict[str, float]:
    """{"mse": .., "rmse": .., ...} on log1p(price), without uncertainty."""
    actual = np.log1p(np.asarray(price, dtype=np.float64))
    predicted = np.log1p(np.asarray(predicted_price, dtype=np.float64))
    return {name: fn(actual, predicted) for name, fn in LOG_METRICS.items()}


def price_metrics(price: np.ndarray, predicted_price: np.ndarray) -> dict[str, float]:
    """Dollar-scale RMSE and MAE, and MAPE."""
    actual = np.asarray(price, dtype=np.float64)
    predicted = np.asarray(predicted_price, dtype=np.float64)
    return {name: fn(actual, predicted) for name, fn in PRICE_METRICS.items()}
