"""The run report's figures, each with its figures on it, as PNG bytes.

matplotlib is optional (the XGBoost image has it; a bare environment may not): without it
there are no figures, a log line says so, and the report says so too.
"""

from __future__ import annotations

import importlib
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ml_scripts.common.history import TrainingHistory
from ml_scripts.evaluation.importance import Importance

logger = logging.getLogger(__name__)

TOP_FEATURES = 15
MAX_POINTS = 5000  # scatter points drawn; every figure's numbers use all rows
SMALL_SEGMENT = 10
DPI = 110
BLUE, ORANGE, GREY, RED = "#1f77b4", "#ff7f0e", "#8c8c8c", "#d62728"


@dataclass(frozen=True)
class FigureData:
    """What the figures show; prices in dollars, metrics on log1p(price)."""

    actual: np.ndarray
    predicted: np.ndarray
    rmse: float
    rmse_sd: float
    r2: float
    rmse_usd: float
    largest_errors: Sequence[Mapping[str, Any]] = ()
    history: TrainingHistory | None = None
    segments: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    importance: Sequence[Importance] = ()
    seed: int = 0


def pyplot() -> Any | None:
    """matplotlib.pyplot on a file-only backend, or None when matplotlib is missing."""
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        logger.warning("matplotlib is not installed: evaluation plots skipped")
        return None
    # A file-only backend: containers have no display.
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def dollars(value: float) -> str:
    """$123,456 as plot text (a bare $ pair would start matplotlib's math mode)."""
    return rf"\${value:,.0f}"


PRICE_TICKS = (10_000, 25_000, 50_000, 100_000, 200_000, 400_000, 800_000, 1_600_000, 3_200_000)


def _price_axis(axis: Any, low: float, high: float) -> None:
    """A log price axis labelled $25k, $50k, ... instead of powers of ten."""
    ticker = importlib.import_module("matplotlib.ticker")
    ticks = [float(t) for t in PRICE_TICKS if low <= t <= high] or [low, high]
    axis.set_major_locator(ticker.FixedLocator(ticks))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: rf"\${v / 1000:,.0f}k"))
    axis.set_minor_formatter(ticker.NullFormatter())


def _png(plt: Any, fig: Any) -> bytes:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _shown(data: FigureData) -> np.ndarray:
    """Indices of the points drawn: all, or a seeded sample of MAX_POINTS."""
    rows = len(data.actual)
    if rows <= MAX_POINTS:
        return np.arange(rows)
    return np.sort(np.random.default_rng(data.seed).choice(rows, MAX_POINTS, replace=False))


def _note(ax: Any, text: str) -> None:
    ax.text(
        0.02,
        0.98,
        text,
        transform=ax.transAxes,
        va="top",
        fontsize=9,
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": GREY, "alpha": 0.9},
    )


def predicted_vs_actual(plt: Any, data: FigureData) -> bytes:
    """Log-log scatter with the diagonal, the metrics and the largest errors numbered."""
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    shown = _shown(data)
    ax.scatter(data.actual[shown], data.predicted[shown], s=9, alpha=0.45, color=BLUE)
    low = float(min(data.actual.min(), data.predicted.min())) * 0.9
    high = float(max(data.actual.max(), data.predicted.max())) * 1.1
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="predicted = actual")
    ax.set(xscale="log", yscale="log", xlim=(low, high), ylim=(low, high))
    _price_axis(ax.xaxis, low, high)
    _price_axis(ax.yaxis, low, high)
    ax.set(xlabel="actual price (\\$, log scale)", ylabel="predicted price (\\$, log scale)")
    for number, error in enumerate(data.largest_errors, start=1):
        x, y = error["actual"], error["predicted"]
        ax.scatter([x], [y], s=70, facecolors="none", edgecolors=RED, linewidths=1.5)
        ax.annotate(f"#{number}", (x, y), xytext=(6, 4), textcoords="offset points", color=RED)
    drawn = "" if len(shown) == len(data.actual) else f" ({len(shown):,} drawn)"
    _note(
        ax,
        f"RMSE of log price {data.rmse:.4f} ± {data.rmse_sd:.4f}\n"
        f"R² of log price {data.r2:.3f}\n"
        f"RMSE {dollars(data.rmse_usd)}\n"
        f"n = {len(data.actual):,} test rows{drawn}",
    )
    ax.set_title("Predicted vs actual price, test split (#: largest errors)")
    ax.legend(loc="lower right", fontsize=8)
    return _png(plt, fig)


def residuals(plt: Any, data: FigureData) -> bytes:
    """Residuals of log price against the predicted price, with ±RMSE and ±2 RMSE bands."""
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    residual = np.log1p(data.predicted) - np.log1p(data.actual)
    shown = _shown(data)
    ax.axhspan(-data.rmse, data.rmse, color=BLUE, alpha=0.12, label=f"±RMSE ({data.rmse:.3f})")
    for sign in (-1, 1):
        ax.axhline(sign * 2 * data.rmse, color=GREY, linestyle=":", linewidth=1)
    ax.axhline(0.0, color="black", linewidth=1)
    ax.scatter(data.predicted[shown], residual[shown], s=9, alpha=0.45, color=BLUE)
    for number, error in enumerate(data.largest_errors, start=1):
        x, y = error["predicted"], error["residual_log"]
        ax.scatter([x], [y], s=70, facecolors="none", edgecolors=RED, linewidths=1.5)
        ax.annotate(f"#{number}", (x, y), xytext=(6, 4), textcoords="offset points", color=RED)
    # Room above the points for the note, so it hides none of them.
    low = min(float(residual.min()), -2 * data.rmse)
    high = max(float(residual.max()), 2 * data.rmse)
    ax.set_ylim(low - 0.05 * (high - low), high + 0.3 * (high - low))
    ax.set(xscale="log", xlabel="predicted price (\\$, log scale)")
    _price_axis(ax.xaxis, float(data.predicted.min()), float(data.predicted.max()))
    ax.set(ylabel="residual: log predicted - log actual")
    within = float(np.mean(np.abs(residual) <= data.rmse))
    beyond = float(np.mean(np.abs(residual) > 2 * data.rmse))
    _note(
        ax,
        f"within ±RMSE: {within:.0%} of rows\n"
        f"beyond ±2 RMSE (dotted): {beyond:.1%}\n"
        f"±RMSE is a price off by about ±{np.expm1(data.rmse):.0%}",
    )
    ax.set_title("Residuals, test split (above 0: overpriced; #: largest errors)")
    ax.legend(loc="lower right", fontsize=8)
    return _png(plt, fig)


METRIC_TICKS = (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


def _metric_axis(axis: Any, low: float, high: float) -> None:
    """A log axis of RMSE labelled 0.05, 0.1, 0.2, ... instead of powers of ten."""
    ticker = importlib.import_module("matplotlib.ticker")
    ticks = [t for t in METRIC_TICKS if low <= t <= high] or [low, high]
    axis.set_major_locator(ticker.FixedLocator(ticks))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def learning_curve(plt: Any, history: TrainingHistory) -> bytes:
    """Train and validation RMSE per round of the early-stopping fit, the kept round marked."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    rounds = np.arange(1, history.rounds + 1)
    ax.plot(rounds, history.train, color=BLUE, label="train split")
    ax.plot(rounds, history.validation, color=ORANGE, label="validation split")
    best = history.best_iteration
    ax.axvline(best + 1, color=GREY, linestyle="--", linewidth=1)
    # The label goes to the side of the line with more room.
    offset = (-150, 40) if best + 1 > 0.6 * history.rounds else (12, 40)
    ax.annotate(
        f"kept: {best + 1} rounds\nvalidation RMSE {history.validation[best]:.4f}",
        (best + 1, history.validation[best]),
        xytext=offset,
        textcoords="offset points",
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": GREY},
    )
    ax.set(yscale="log", xlabel="boosting round", ylabel=f"{history.metric.upper()} of log price")
    values = (*history.train, *history.validation)
    _metric_axis(ax.yaxis, min(values), max(values))
    ax.set_title(f"Learning curve: {history.rounds} rounds, early stopping (log scale)")
    ax.legend(loc="upper right", fontsize=8)
    return _png(plt, fig)


def segment_errors(
    plt: Any, column: str, segments: Sequence[Mapping[str, Any]], overall: float
) -> bytes:
    """RMSE of log price per value of `column`, with each segment's row count."""
    height = 1.2 + 0.28 * len(segments)
    fig, ax = plt.subplots(figsize=(6.4, height))
    ordered = list(reversed(segments))  # largest RMSE at the top
    names = [str(s["segment"]) for s in ordered]
    values = [float(s["rmse"]) for s in ordered]
    colours = [GREY if s["rows"] < SMALL_SEGMENT else BLUE for s in ordered]
    bars = ax.barh(names, values, color=colours)
    for bar, segment in zip(bars, ordered, strict=True):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" n={segment['rows']}",
            va="center",
            fontsize=8,
        )
    ax.axvline(overall, color="black", linestyle="--", linewidth=1, label=f"all rows {overall:.3f}")
    ax.set(xlabel="RMSE of log price", xlim=(0, max([*values, overall]) * 1.25))
    ax.set_title(f"Error by {column} (grey: fewer than {SMALL_SEGMENT} rows)")
    ax.legend(loc="lower right", fontsize=8)
    return _png(plt, fig)


def importance(plt: Any, found: Sequence[Importance]) -> bytes:
    """The columns whose shuffling raises the blend's RMSE most, with their spread."""
    top = list(found[:TOP_FEATURES])
    fig, ax = plt.subplots(figsize=(6.4, 1.2 + 0.3 * len(top)))
    ordered = list(reversed(top))
    ax.barh(
        [f.column for f in ordered],
        [f.rmse_increase for f in ordered],
        xerr=[f.standard_deviation for f in ordered],
        color=BLUE,
        ecolor=GREY,
    )
    ax.set(xlabel="rise in RMSE of log price when the column is shuffled")
    ax.set_title(f"Permutation importance of the blend (top {len(top)})")
    return _png(plt, fig)


def make_figures(data: FigureData) -> dict[str, bytes]:
    """File name -> PNG of every figure the data allows (none without matplotlib)."""
    plt = pyplot()
    if plt is None or not len(data.actual):
        return {}
    figures = {
        "predicted_vs_actual.png": predicted_vs_actual(plt, data),
        "residuals.png": residuals(plt, data),
    }
    if data.history is not None:
        figures["learning_curve.png"] = learning_curve(plt, data.history)
    for column, segments in data.segments.items():
        name = "error_by_" + column.lower().replace(" ", "_") + ".png"
        figures[name] = segment_errors(plt, column, segments, data.rmse)
    if data.importance:
        figures["feature_importance.png"] = importance(plt, data.importance)
    return figures
