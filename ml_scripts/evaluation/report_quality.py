"""The run report's sections on the model's quality: the gate's verdict and the champion, the
metrics with their bootstrap deviations, the price interval, and the figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ml_scripts.evaluation.context import RunContext
from ml_scripts.evaluation.document import (
    Block,
    Callout,
    Code,
    Figure,
    Figures,
    Paragraph,
    Section,
    Strong,
    table,
    text,
)

DASH = "\u2013"  # an en dash: no value
BOOTSTRAP_RESAMPLES = 200
BOOTSTRAP_SEED = 0


def usd(value: float | None) -> str:
    """$123,456 (or a dash)."""
    return DASH if value is None else f"${value:,.0f}"


def num(value: float | None, digits: int = 4) -> str:
    """A number with `digits` decimals (or a dash)."""
    return DASH if value is None else f"{value:.{digits}f}"


def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage (or a dash)."""
    return DASH if value is None else f"{value:.{digits}%}"


def signed(value: float, digits: int = 4) -> str:
    """A difference with its sign."""
    return f"{value:+.{digits}f}"


def _gate_rows(report: Mapping[str, Any], context: RunContext) -> list[tuple[str, ...]]:
    rmse = float(report["regression_metrics"]["rmse"]["value"])
    above = float(report["champion"]["rmse_above_champion"])
    rows: list[tuple[str, ...]] = []
    if context.rmse_threshold is not None:
        margin = context.rmse_threshold - rmse
        rows.append(
            (
                "RMSE of log price, at most the threshold",
                repr(rmse),
                repr(context.rmse_threshold),
                signed(margin),
                "passes" if rmse <= context.rmse_threshold else "fails",
            )
        )
    if context.champion_tolerance is not None:
        margin = context.champion_tolerance - above
        present = bool(report["champion"]["present"])
        rows.append(
            (
                "RMSE above the champion's, at most the tolerance",
                signed(above) if present else "0 (no champion)",
                repr(context.champion_tolerance),
                signed(margin),
                "passes" if above <= context.champion_tolerance else "fails",
            )
        )
    return rows


def _headline(report: Mapping[str, Any]) -> str:
    rmse = report["regression_metrics"]["rmse"]
    return (
        f" RMSE of log price {rmse['value']:.4f} ± {rmse['standard_deviation']:.4f} "
        f"({usd(report['price_metrics']['rmse_usd'])}) on {int(report['rows']):,} test rows."
    )


def verdict(report: Mapping[str, Any], context: RunContext) -> Section:
    """The quality gate's verdict with its margins, and the champion comparison."""
    rows = _gate_rows(report, context)
    blocks: list[Block] = []
    if len(rows) < 2:
        blocks.append(
            Callout(
                "note",
                "Gate not evaluated here",
                text(
                    _headline(report),
                    " The threshold or the tolerance was not given (a run by hand?).",
                ),
            )
        )
    elif all(row[-1] == "passes" for row in rows):
        blocks.append(
            Callout(
                "pass",
                "Passes the quality gate",
                text(
                    _headline(report),
                    " CheckQuality compares the same figures: RegisterModel registers the model.",
                ),
            )
        )
    else:
        blocks.append(
            Callout(
                "fail",
                "Fails the quality gate",
                text(
                    _headline(report),
                    " CheckQuality compares the same figures: FailOnQuality stops the run and "
                    "the model is not registered.",
                ),
            )
        )
    if rows:
        header = ("check", "this model", "limit", "margin", "result")
        blocks.append(table(header, rows, (False, True, True, True, False)))
        blocks.append(
            Paragraph(text("The margin is how far the figure may move before the result flips."))
        )
    blocks += _champion(report)
    return Section("Verdict", tuple(blocks))


def _champion(report: Mapping[str, Any]) -> list[Block]:
    champion = report["champion"]
    if not champion["present"]:
        return [Paragraph(text(Strong("Champion: "), str(champion["description"]), "."))]
    ours, theirs = report["regression_metrics"], champion["regression_metrics"]
    prices, their_prices = report["price_metrics"], champion["price_metrics"]
    rows: list[tuple[str, str, str, str]] = []
    for name, label in (
        ("rmse", "RMSE of log price"),
        ("mae", "MAE of log price"),
        ("r2", "R² of log price"),
    ):
        a, b = float(ours[name]["value"]), float(theirs[name]["value"])
        rows.append((label, num(a), num(b), signed(a - b)))
    for name, label in (("rmse_usd", "RMSE"), ("mae_usd", "MAE")):
        a, b = float(prices[name]), float(their_prices[name])
        rows.append((label, usd(a), usd(b), f"{'+' if a >= b else '-'}{usd(abs(a - b))}"))
    a, b = float(prices["mape"]), float(their_prices["mape"])
    rows.append(("MAPE", pct(a, 2), pct(b, 2), f"{(a - b) * 100:+.2f} points"))
    return [
        Paragraph(
            text(
                Strong("Champion"),
                " (the newest Approved version, scored on the same test rows): ",
                Code(str(champion["model_uri"])),
            )
        ),
        table(("metric", "this model", "champion", "difference"), rows, (False, True, True, True)),
    ]


def _metric_rows(
    report: Mapping[str, Any], dollar_sd: Mapping[str, float]
) -> list[tuple[str, ...]]:
    log = report["regression_metrics"]
    price = report["price_metrics"]
    rows: list[tuple[str, ...]] = [
        (
            "RMSE of log price (= RMSLE; the gate's figure)",
            num(log["rmse"]["value"]),
            num(log["rmse"]["standard_deviation"]),
        ),
        ("MAE of log price", num(log["mae"]["value"]), num(log["mae"]["standard_deviation"])),
        ("R² of log price", num(log["r2"]["value"]), num(log["r2"]["standard_deviation"])),
        ("RMSE", usd(price["rmse_usd"]), usd(dollar_sd.get("rmse_usd"))),
        ("MAE", usd(price["mae_usd"]), usd(dollar_sd.get("mae_usd"))),
        ("MAPE", pct(price["mape"], 2), pct(dollar_sd.get("mape"), 2)),
    ]
    components = report.get("components_rmse_log1p") or {}
    for name, label in (("trees", "XGBoost half alone"), ("ridge", "ridge half alone")):
        if components.get(name) is not None:
            rows.append((f"RMSE of log price, {label}", num(components[name]), ""))
    return rows


def metrics(report: Mapping[str, Any], dollar_sd: Mapping[str, float]) -> Section:
    """Test metrics with their bootstrap deviations, and the price interval."""
    rows = int(report["rows"])
    blocks: list[Block] = [
        Paragraph(
            text(
                f"On the {rows:,} test rows, which neither training nor early stopping saw. "
                f"± is the standard deviation over {BOOTSTRAP_RESAMPLES} bootstrap resamples of "
                f"those rows (seeded, seed {BOOTSTRAP_SEED}): how much the figure would move "
                "on another test split of this size."
            )
        ),
        table(("metric", "value", "±"), _metric_rows(report, dollar_sd), (False, True, True)),
    ]
    interval = report.get("prediction_interval")
    if interval:
        segments = interval.get("by_segment") or {}
        lines = [("all test rows", interval)] + [
            (f"Sale Condition {k}", v) for k, v in segments.items()
        ]
        blocks.append(
            Paragraph(
                text(
                    Strong(f"Price range ({interval['level']:.0%} interval): "),
                    f"{interval['method']}.",
                )
            )
        )
        blocks.append(
            table(
                ("rows", "count", "coverage", "median width", "median width / price"),
                [
                    (
                        name,
                        f"{v['rows']:,}",
                        pct(v.get("coverage")),
                        usd(v.get("median_width")),
                        pct(v.get("median_relative_width")),
                    )
                    for name, v in lines
                ],
                (False, True, True, True, True),
            )
        )
    return Section("Metrics on the test split", tuple(blocks))


def _figure(figures: Mapping[str, bytes], name: str, caption: str) -> list[Figure]:
    return [Figure(f"plots/{name}", figures[name], caption)] if name in figures else []


def _largest_errors(errors: Sequence[Mapping[str, Any]]) -> Block:
    rows = []
    for number, e in enumerate(errors, start=1):
        area = e.get("Gr Liv Area")
        rows.append(
            (
                f"#{number}",
                usd(e["actual"]),
                usd(e["predicted"]),
                pct(e["predicted"] / e["actual"] - 1, 0),
                str(e.get("Neighborhood") or DASH),
                str(e.get("Sale Condition") or DASH),
                DASH if e.get("Overall Qual") is None else f"{e['Overall Qual']:.0f}",
                DASH if area is None else f"{area:,.0f}",
                DASH if e.get("Year Built") is None else f"{e['Year Built']:.0f}",
            )
        )
    header = (
        "",
        "actual",
        "predicted",
        "off by",
        "Neighborhood",
        "Sale Condition",
        "quality",
        "living area (sq ft)",
        "built",
    )
    return table(header, rows, (False, True, True, True, False, False, True, True, True))


def predictions(figures: Mapping[str, bytes], errors: Sequence[Mapping[str, Any]]) -> Section:
    """Predicted vs actual and the residuals, and the largest errors."""
    shown = _figure(
        figures,
        "predicted_vs_actual.png",
        "Predicted vs actual price, log scales; numbered: the largest errors",
    ) + _figure(
        figures,
        "residuals.png",
        "Residuals of log price with the ±RMSE band and ±2 RMSE lines; numbered: the largest "
        "errors",
    )
    blocks: list[Block] = [Figures(tuple(shown))] if shown else [_no_figures()]
    if errors:
        blocks.append(
            Paragraph(text(Strong("The largest errors"), " (numbered as in the figure):"))
        )
        blocks.append(_largest_errors(errors))
    return Section("Predictions", tuple(blocks))


def segments(
    figures: Mapping[str, bytes], found: Mapping[str, Sequence[Mapping[str, Any]]]
) -> Section:
    """Error by Sale Condition and by Neighborhood."""
    shown = []
    for column in found:
        name = "error_by_" + column.lower().replace(" ", "_") + ".png"
        shown += _figure(figures, name, f"RMSE of log price by {column}, with each segment's rows")
    blocks: list[Block] = [
        Paragraph(
            text(
                "Where the error sits. Segments with few rows are noisy: a handful of sales "
                "decide their figure. Bias is the mean of log predicted minus log actual "
                "(above 0: the model overprices the segment)."
            )
        ),
        Figures(tuple(shown)) if shown else _no_figures(),
    ]
    for column, rows in found.items():
        if len(rows) <= 12:
            blocks.append(
                table(
                    (column, "rows", "RMSE of log price", "bias"),
                    [
                        (s["segment"], str(s["rows"]), num(s["rmse"]), signed(s["bias"]))
                        for s in rows
                    ],
                    (False, True, True, True),
                )
            )
    return Section("Error by segment", tuple(blocks))


def _no_figures() -> Paragraph:
    return Paragraph(text("No figures: matplotlib is not installed where this evaluation ran."))
