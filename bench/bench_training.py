"""Training script time against a bare xgb.train on the same matrix with the same parameters.

    .venv/bin/python bench/bench_training.py [--repeats 3]

Both run in this process, interleaved, after one warm-up, so imports and the machine's noise
weigh the same on both. The script run is run_training: read the parquet splits, fit the
transform, build the features, train with early stopping, fit the ridge, score validation, refit
on train + validation, and write model.ubj, transform.json, linear.json, model_card.json and
code/. The bare run does the same boosting work and nothing else: xgb.train on the prebuilt
QuantileDMatrix with the same evaluation sets and early stopping, then (when the default refits)
xgb.train for best iteration + 1 rounds on a prebuilt train + validation matrix.
Goal: script / bare <= 1.2.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))

    import pandas as pd
    import xgboost as xgb

    from ml_scripts.common.features import exclusion_mask
    from ml_scripts.common.io import read_split
    from ml_scripts.processing.preprocess import ProcessingConfig, run_processing
    from ml_scripts.training.fit import build_matrix, fit_feature_transform
    from ml_scripts.training.hyperparameters import Hyperparameters
    from ml_scripts.training.train import TrainingPaths, run_training

    load = os.getloadavg()[0]
    hp = Hyperparameters()
    with tempfile.TemporaryDirectory(prefix="bench-training-") as scratch:
        root = Path(scratch)
        run_processing(
            ProcessingConfig(
                input_path=REPO / "data" / "house_data.csv", output_dir=root / "processed"
            )
        )
        processed = root / "processed"
        train = read_split(processed / "train")
        transform = fit_feature_transform(train)
        train = train.iloc[(~exclusion_mask(train)).nonzero()[0]]
        validation = read_split(processed / "validation")
        dtrain = build_matrix(transform, train, nthread=hp.nthread, max_bin=hp.max_bin)
        dvalid = build_matrix(
            transform, validation, nthread=hp.nthread, max_bin=hp.max_bin, ref=dtrain
        )
        both = pd.concat([train, validation.iloc[(~exclusion_mask(validation)).nonzero()[0]]])
        dboth = build_matrix(transform, both, nthread=hp.nthread, max_bin=hp.max_bin)

        def bare() -> float:
            start = time.perf_counter()
            booster = xgb.train(
                hp.xgboost_params(),
                dtrain,
                num_boost_round=hp.num_round,
                evals=[(dtrain, "train"), (dvalid, "validation")],
                early_stopping_rounds=hp.early_stopping_rounds,
                verbose_eval=False,
            )
            if hp.refit_on_validation:
                rounds = int(booster.best_iteration) + 1
                xgb.train(hp.xgboost_params(), dboth, num_boost_round=rounds)
            return time.perf_counter() - start

        def script(index: int) -> float:
            paths = TrainingPaths.from_processing_output(processed, root / f"run-{index}")
            start = time.perf_counter()
            run_training(paths, hp, verbose_eval=False)
            return time.perf_counter() - start

        bare()
        script(-1)
        bare_times: list[float] = []
        script_times: list[float] = []
        for index in range(args.repeats):
            bare_times.append(bare())
            script_times.append(script(index))
            print(
                f"round {index}: bare {bare_times[-1]:.2f} s, script {script_times[-1]:.2f} s",
                flush=True,
            )
    ratios = [s / b for s, b in zip(script_times, bare_times, strict=True)]
    ratio = statistics.median(ratios)
    lines = [
        "## Training script overhead",
        "",
        f"Command: `.venv/bin/python bench/bench_training.py --repeats {args.repeats}`",
        "",
        f"Machine: {os.cpu_count()} cores, shared; Python {platform.python_version()}, xgboost"
        f" {xgb.__version__}; load average {load:.2f} at start. Data: the embedded data set"
        f" ({dtrain.num_row()} training rows, {dtrain.num_col()} features); default"
        f" hyperparameters (nthread={hp.nthread}, early stopping {hp.early_stopping_rounds}).",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| bare `xgb.train` on prebuilt matrices, same boosting work (median of {args.repeats}) |"
        f" {statistics.median(bare_times):.2f} s |",
        f"| `run_training` end to end (median of {args.repeats}) |"
        f" {statistics.median(script_times):.2f} s |",
        f"| **ratio script / bare** (median of per-round ratios) | **{ratio:.2f}x** |",
        "",
        "Goal: ratio <= 1.2. Both sides do the same boosting: early stopping on validation,"
        " then the refit on train + validation. The script adds reading the splits, the"
        " feature transform, the Huber ridge fits, validation scoring and writing the model"
        " directory (with code/).",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "training.md").write_text("\n".join(lines) + "\n")
    print(f"ratio script/bare: {ratio:.2f}x (per round {[f'{r:.2f}' for r in ratios]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
