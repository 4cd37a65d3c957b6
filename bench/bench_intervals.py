"""The 90% price interval: how it was chosen (cross-validation) and how it does on the test split.

    .venv/bin/python bench/bench_intervals.py

Candidates are split-conformal intervals calibrated on the residuals (log1p price) of the
early-stopping fit on the validation rows, applied to the shipped model (refitted on train +
validation): one pooled interval or one per Sale Condition segment (Normal, other), each
symmetric (|residual|) or with a signed quantile per tail. They are scored by the 5-fold
cross-validation of `bench_model_quality.py` on train + validation, which replays the pipeline
inside each fold (transform fitted on the inner train part, early stopping on an inner
validation part of the pipeline's size, then `train_model` as the training step runs it): the
coverage of the held-out fifth, per fold and per segment, and the median width in dollars. The
shipped method is the one `train_model` itself calibrates (`ml_scripts/inference/intervals.py`).
Then the real steps run on the embedded data and the test split's figures are read from
evaluation.json, once, after the choice.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
LEVEL = 0.9
TARGET = (0.87, 0.93)

Offsets = tuple[Any, Any]


def _methods() -> dict[str, Callable[[Any, Any, Any], Offsets]]:
    """name -> f(residuals, calibration segments, segments to cover) -> (lower, upper) offsets."""
    import numpy as np

    from ml_scripts.inference.intervals import SEGMENTS, conformal_quantile

    tail = 1.0 - (1.0 - LEVEL) / 2.0

    def symmetric(residuals: Any) -> tuple[float, float]:
        half = conformal_quantile(np.abs(residuals), LEVEL)
        return -half, half

    def signed(residuals: Any) -> tuple[float, float]:
        return -conformal_quantile(-residuals, tail), conformal_quantile(residuals, tail)

    def pooled(rule: Callable[[Any], tuple[float, float]]) -> Callable[..., Offsets]:
        def offsets(residuals: Any, _calibration: Any, segments: Any) -> Offsets:
            low, high = rule(residuals)
            return np.full(len(segments), low), np.full(len(segments), high)

        return offsets

    def by_segment(rule: Callable[[Any], tuple[float, float]]) -> Callable[..., Offsets]:
        def offsets(residuals: Any, calibration: Any, segments: Any) -> Offsets:
            low, high = np.zeros(len(segments)), np.zeros(len(segments))
            for segment in SEGMENTS:
                chosen = segments == segment
                low[chosen], high[chosen] = rule(residuals[calibration == segment])
            return low, high

        return offsets

    return {
        "one pooled interval, absolute residuals": pooled(symmetric),
        "one pooled interval, a signed quantile per tail": pooled(signed),
        "**shipped: per segment (Normal, other), absolute residuals**": by_segment(symmetric),
        "per segment, a signed quantile per tail": by_segment(signed),
    }


def fold_figures(dev: Any, share: float) -> dict[str, list[dict[str, float]]]:
    """Per method, per fold: coverage (all, Normal, other) and median width of the held-out rows."""
    import numpy as np
    from bench_model_quality import CV_SEED, FOLDS  # type: ignore[import-not-found]

    from ml_scripts.common.features import exclusion_mask, fit_transform
    from ml_scripts.training.fit import train_model
    from ml_scripts.training.hyperparameters import Hyperparameters

    figures: dict[str, list[dict[str, float]]] = {name: [] for name in _methods()}
    order = np.random.default_rng(CV_SEED).permutation(len(dev))
    for fold in range(FOLDS):
        held = dev.iloc[np.sort(order[fold::FOLDS])]
        rest = np.random.default_rng(100 + fold).permutation(
            np.setdiff1d(np.arange(len(dev)), np.sort(order[fold::FOLDS]))
        )
        inner = round(share * len(rest))
        validation, train = dev.iloc[np.sort(rest[:inner])], dev.iloc[np.sort(rest[inner:])]
        transform = fit_transform(train.iloc[np.flatnonzero(~exclusion_mask(train))])
        early = train_model(
            train, validation, transform, Hyperparameters(refit_on_validation=0), verbose_eval=False
        ).model
        shipped = train_model(train, validation, transform, Hyperparameters(), verbose_eval=False)
        for name, scores in score(early, shipped.model, validation, held).items():
            figures[name].append(scores)
        print(f"fold {fold + 1}/{FOLDS} done", flush=True)
    return figures


def score(early: Any, shipped: Any, validation: Any, held: Any) -> dict[str, dict[str, float]]:
    """Per method: coverage (all, Normal, other) and median width on `held`, calibrated on the
    early-stopping model's residuals on `validation` and applied to the shipped model."""
    import numpy as np

    from ml_scripts.common.features import target_to_model
    from ml_scripts.inference.intervals import NORMAL_SEGMENT, segment_of

    residuals = target_to_model(validation["SalePrice"].to_numpy()) - early.predict_log(validation)
    predicted = shipped.predict_log(held)
    actual = target_to_model(held["SalePrice"].to_numpy())
    segments = segment_of(held)
    normal = segments == NORMAL_SEGMENT
    scores: dict[str, dict[str, float]] = {}
    for name, method in _methods().items():
        low, high = method(residuals, segment_of(validation), segments)
        inside = (actual >= predicted + low) & (actual <= predicted + high)
        width = np.expm1(predicted + high) - np.expm1(predicted + low)
        scores[name] = {
            "coverage": float(inside.mean()),
            "normal": float(inside[normal].mean()),
            "other": float(inside[~normal].mean()),
            "width": float(np.median(width)),
        }
    return scores


def _row(name: str, folds: list[dict[str, float]], test: dict[str, float]) -> str:
    import numpy as np

    def mean(key: str) -> float:
        return float(np.mean([f[key] for f in folds]))

    spread = ", ".join(f"{f['coverage']:.3f}" for f in folds)
    return (
        f"| {name} | {mean('coverage'):.3f} ({spread}) | {mean('normal'):.3f} |"
        f" {mean('other'):.3f} | ${mean('width'):,.0f} | {test['coverage']:.3f},"
        f" ${test['width']:,.0f} |"
    )


def test_split_figures(
    root: Path,
) -> tuple[dict[str, Any], dict[str, int], dict[str, dict[str, float]]]:
    """The real steps on the embedded data: evaluation.json, the split sizes, and each
    candidate's figures on the test split (for the record)."""
    from bench_model_quality import model_archive

    from ml_scripts.common.features import FeatureTransform
    from ml_scripts.common.io import read_split
    from ml_scripts.evaluation.evaluate import run_evaluation
    from ml_scripts.inference.model import HousePriceModel
    from ml_scripts.processing.preprocess import ProcessingConfig, run_processing
    from ml_scripts.training.fit import train_model
    from ml_scripts.training.hyperparameters import Hyperparameters
    from ml_scripts.training.train import TrainingPaths, run_training

    processed = root / "processed"
    report = run_processing(
        ProcessingConfig(input_path=REPO / "data" / "house_data.csv", output_dir=processed)
    )
    paths = TrainingPaths.from_processing_output(processed, root)
    run_training(paths, Hyperparameters(), verbose_eval=False)
    evaluation = run_evaluation(
        model_archive(paths.model_dir, root / "archive"), processed / "test", root / "evaluation"
    )
    train, validation = read_split(processed / "train"), read_split(processed / "validation")
    # The transform the training step fitted and shipped in the model.
    transform = FeatureTransform.load(paths.model_dir / "transform.json")
    early = train_model(
        train, validation, transform, Hyperparameters(refit_on_validation=0), verbose_eval=False
    ).model
    shipped = HousePriceModel.load(paths.model_dir)
    candidates = score(early, shipped, validation, read_split(processed / "test"))
    return evaluation, dict(report.splits), candidates


def main() -> int:
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "bench"))

    import pandas as pd

    from ml_scripts.common.io import read_split

    with tempfile.TemporaryDirectory(prefix="bench-intervals-") as scratch:
        root = Path(scratch)
        evaluation, splits, on_test = test_split_figures(root)
        train = read_split(root / "processed" / "train")
        validation = read_split(root / "processed" / "validation")
        dev = pd.concat([train, validation], ignore_index=True)
        figures = fold_figures(dev, len(validation) / len(dev))

    interval = evaluation["prediction_interval"]
    segments = interval["by_segment"]
    low, high = TARGET
    met = "met" if low <= interval["coverage"] <= high else "not met"
    lines = [
        "## Price interval (90%): cross-validation, then the test split",
        "",
        "Command: `.venv/bin/python bench/bench_intervals.py`",
        "",
        f"Machine: {os.cpu_count()} cores, shared; Python {platform.python_version()}; load"
        f" average {os.getloadavg()[0]:.2f}. Data: embedded `data/house_data.csv`:"
        f" {splits['train']} train / {splits['validation']} validation / {splits['test']} test"
        " rows. Method: `ml_scripts/inference/intervals.py`.",
        "",
        "### Candidates: 5-fold cross-validation on train + validation (the protocol of the"
        " model-quality benchmark, fold seed 0)",
        "",
        "Calibrated on the inner validation rows' residuals of the early-stopping fit, scored"
        " on the held-out fifth with the refitted model. Chosen by the CV columns: coverage"
        " of both segments nearest 0.90 (every conformal interval covers at least that much),"
        " then width. The last column is the test split, for the record.",
        "",
        "| method | CV coverage, mean (per fold) | CV Normal sales | CV other sales | CV median"
        " width | test coverage, median width |",
        "| --- | --- | --- | --- | --- | --- |",
        *[_row(name, folds, on_test[name]) for name, folds in figures.items()],
        "",
        "How the choice was made: a first scratch harness (5 folds of its own, every fold"
        " reusing the pipeline's transform) scored the per-segment variants alike (coverage"
        " 0.900 absolute, 0.899 signed) and the signed one was shipped first; it covered 0.935"
        " of the test split. This benchmark, which fits the transform inside each fold as the"
        " model-quality benchmark does, shows the signed variant over-covering in every fold"
        " (its two per-tail finite-sample corrections add up on the small segment) and wider,"
        " so the absolute residuals replaced it. The same scratch harness also calibrated on"
        " out-of-fold residuals of all of train + validation (five more fits at training time):"
        " coverage 0.904 against 0.899, width $45,901 against $45,204: no better, not kept.",
        "",
        "### The shipped interval on the test split (evaluation.json, `prediction_interval`)",
        "",
        "| rows | coverage | median width | median width / predicted price |",
        "| --- | --- | --- | --- |",
        f"| all {interval['rows']} | **{interval['coverage']:.3f}** |"
        f" **${interval['median_width']:,.0f}** | {interval['median_relative_width']:.1%} |",
        *[
            f"| {name} {s['rows']} | {s['coverage']:.3f} | ${s['median_width']:,.0f} |"
            f" {s['median_relative_width']:.1%} |"
            for name, s in segments.items()
        ],
        "",
        f"Target: coverage {low:.2f}-{high:.2f} for the 90% interval: {met}. One test split of"
        f" {interval['rows']} rows measures coverage with a binomial sd of about"
        f" {(LEVEL * (1 - LEVEL) / interval['rows']) ** 0.5:.3f}.",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "intervals.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
