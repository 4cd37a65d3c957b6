"""Training step: fit XGBoost on log1p(SalePrice) with early stopping on the validation split,
blend it with a robust ridge regression, then (by default) refit both on train + validation.

The validation split first picks the number of boosting rounds (early stopping) and gives the
honest validation figures of the model card; the shipped booster and ridge are then refitted on
the training and validation rows together, with that number of rounds, so the validation rows
also inform the model (5-fold cross-validation on train + validation: RMSLE 0.1167 -> 0.1143).

Run by the SageMaker ModelTrainer driver as ``python ml_scripts/training/train.py --max_depth 4
...`` (PYTHONPATH = the code folder). Hyperparameters are read, in increasing priority, from the
hyperparameters file (SM_INPUT_TRAINING_CONFIG_FILE), the SM_HPS environment variable (JSON,
values may be strings) and the command line (``--max_depth`` or ``--max-depth``).

Writes to the model directory: model.ubj (XGBoost UBJSON, portable across versions),
transform.json, model_card.json and code/ (the serving bundle: code/inference.py plus
code/ml_scripts/{__init__.py, layout.py, common/, inference/}) so the XGBoost serving container
can load the model without a repack job.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import platform
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

import ml_scripts
from ml_scripts import layout
from ml_scripts.common import contract
from ml_scripts.common.features import (
    FeatureTransform,
    exclusion_mask,
    model_to_price,
    target_to_model,
)
from ml_scripts.common.io import configure_logging, env_path, read_split, table_files, write_json
from ml_scripts.common.io import hash_files as sha256_files
from ml_scripts.common.linear import RidgeModel
from ml_scripts.common.metrics import log_metric_values, price_metrics, rmse
from ml_scripts.inference.model import (
    LINEAR_FILE,
    MODEL_CARD_FILE,
    MODEL_FILE,
    TRANSFORM_FILE,
    HousePriceModel,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hyperparameters:
    """XGBoost settings; defaults chosen by cross-validation on the training data."""

    max_depth: int = layout.DEFAULT_MAX_DEPTH
    eta: float = layout.DEFAULT_ETA
    num_round: int = layout.DEFAULT_NUM_ROUND
    early_stopping_rounds: int = 200
    subsample: float = 0.7
    colsample_bytree: float = 0.5
    min_child_weight: float = 2.0
    reg_lambda: float = 1.0
    reg_alpha: float = 0.0
    gamma: float = 0.0
    max_bin: int = 256
    # Share of the ridge regression in the blended log-price prediction (0 = trees only).
    linear_weight: float = 0.5
    ridge_alpha: float = 10.0
    # Huber threshold of the ridge fit in robust residual standard deviations (0 = squared loss).
    ridge_huber: float = 1.345
    # 1: after early stopping, refit trees (best iteration + 1 rounds) and ridge on
    # train + validation; 0: ship the models fitted on the train split alone.
    refit_on_validation: int = 1
    seed: int = 42
    # The hist method builds the same model for any thread count (1 and 2 threads give
    # byte-identical boosters). One thread is the default because OpenMP threads that share
    # busy cores slow training down by an order of magnitude; raise it for large data on a
    # dedicated instance.
    nthread: int = 1

    def xgboost_params(self) -> dict[str, Any]:
        """Parameters for xgb.train."""
        return {
            "objective": "reg:squarederror",
            "eval_metric": "rmse",
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.eta,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "min_child_weight": self.min_child_weight,
            "lambda": self.reg_lambda,
            "alpha": self.reg_alpha,
            "gamma": self.gamma,
            "max_bin": self.max_bin,
            "seed": self.seed,
            "nthread": self.nthread,
        }


# Accepted spellings of each hyperparameter (underscore and dash forms are added for all).
ALIASES: dict[str, tuple[str, ...]] = {
    "eta": ("learning_rate",),
    "num_round": ("num_boost_round", "n_estimators"),
    "reg_lambda": ("lambda",),
    "reg_alpha": ("alpha",),
    "nthread": ("n_jobs",),
}


def _field_types() -> dict[str, type]:
    return {
        f.name: type(getattr(Hyperparameters(), f.name))
        for f in dataclasses.fields(Hyperparameters)
    }


def _canonical_name(key: str) -> str | None:
    name = key.strip().lstrip("-").replace("-", "_")
    if name in _field_types():
        return name
    for canonical, aliases in ALIASES.items():
        if name in aliases:
            return canonical
    return None


def _convert(name: str, value: Any) -> Any:
    kind = _field_types()[name]
    text = str(value).strip()
    try:
        return int(float(text)) if kind is int else kind(text)
    except ValueError as exc:
        raise ValueError(f"hyperparameter {name}={value!r} is not a valid {kind.__name__}") from exc


def merge_hyperparameters(*sources: Mapping[str, Any]) -> tuple[Hyperparameters, list[str]]:
    """Defaults overridden by each source in turn (string values are converted)."""
    values: dict[str, Any] = {}
    ignored: list[str] = []
    for source in sources:
        for key, value in source.items():
            name = _canonical_name(key)
            if name is None:
                ignored.append(key)
            elif value is not None:
                values[name] = _convert(name, value)
    hp = Hyperparameters(**values)
    _check(hp)
    return hp, ignored


def _check(hp: Hyperparameters) -> None:
    problems = []
    if hp.max_depth < 1:
        problems.append("max_depth must be >= 1")
    if not 0 < hp.eta <= 1:
        problems.append("eta must be in (0, 1]")
    if hp.num_round < 1 or hp.early_stopping_rounds < 1:
        problems.append("num_round and early_stopping_rounds must be >= 1")
    if not 0 < hp.subsample <= 1 or not 0 < hp.colsample_bytree <= 1:
        problems.append("subsample and colsample_bytree must be in (0, 1]")
    if hp.nthread < 1:
        problems.append("nthread must be >= 1")
    if not 0 <= hp.linear_weight <= 1 or hp.ridge_alpha < 0 or hp.ridge_huber < 0:
        problems.append("linear_weight must be in [0, 1], ridge_alpha and ridge_huber >= 0")
    if hp.refit_on_validation not in (0, 1):
        problems.append("refit_on_validation must be 0 or 1")
    if problems:
        raise ValueError("; ".join(problems))


def environment_hyperparameters(
    environ: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(hyperparameters file, SM_HPS) as dicts; absent or empty sources give {}."""
    from_file: dict[str, Any] = {}
    config = environ.get("SM_INPUT_TRAINING_CONFIG_FILE", layout.TRAINING_HYPERPARAMETERS_FILE)
    path = Path(config)
    if path.is_file():
        from_file = dict(json.loads(path.read_text() or "{}"))
    from_env: dict[str, Any] = dict(json.loads(environ.get("SM_HPS") or "{}"))
    return from_file, from_env


@dataclass(frozen=True)
class TrainingPaths:
    """Inputs and outputs of the training step."""

    train: Path
    validation: Path
    transform: Path
    model_dir: Path
    output_data_dir: Path


@dataclass
class TrainingResult:
    """What training produced, for the model card and the logs."""

    model: HousePriceModel
    best_iteration: int
    validation_metrics: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)


def _transform_path(location: Path) -> Path:
    return location / layout.TRANSFORM_FILE if location.is_dir() else location


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


def _fit_linear(
    features: np.ndarray, target: np.ndarray, transform: FeatureTransform, hp: Hyperparameters
) -> RidgeModel | None:
    if hp.linear_weight <= 0:
        return None
    return RidgeModel.fit(
        features,
        target,
        transform.feature_names,
        alpha=hp.ridge_alpha,
        blend_weight=hp.linear_weight,
        huber_k=hp.ridge_huber,
    )


def _validation_metrics(model: HousePriceModel, validation: pd.DataFrame) -> dict[str, Any]:
    trees, ridge = model.predict_components(validation)
    predicted = model_to_price(model.blend(trees, ridge))
    actual = validation[contract.TARGET].to_numpy(dtype=np.float64)
    log_actual = target_to_model(actual)
    return {
        "log1p_price": log_metric_values(actual, predicted),
        "price_metrics": price_metrics(actual, predicted),
        "rmse_log1p_trees_only": rmse(log_actual, trees),
        "rmse_log1p_ridge_only": None if ridge is None else rmse(log_actual, ridge),
        "rows": len(validation),
        "model": "fitted on the train split only (before any refit on train + validation)",
    }


def train_model(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    transform: FeatureTransform,
    hp: Hyperparameters,
    *,
    verbose_eval: int | bool = 200,
) -> TrainingResult:
    """Fit the booster with early stopping (keeping the trees up to the best validation
    iteration) and the ridge on the train split; score them on validation; then, when
    hp.refit_on_validation, refit both with the same number of rounds on train + validation."""
    if not len(validation):
        raise ValueError("the validation split has no rows: early stopping needs them")
    excluded = exclusion_mask(train)
    fit_rows = train.iloc[np.flatnonzero(~excluded)]
    if not len(fit_rows):
        raise ValueError("the train split has no rows left to fit")
    logger.info(
        "training on %d rows (%d excluded by the contract), validating on %d",
        len(fit_rows),
        int(excluded.sum()),
        len(validation),
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
    booster = xgb.train(
        hp.xgboost_params(),
        dtrain,
        num_boost_round=hp.num_round,
        evals=[(dtrain, "train"), (dvalid, "validation")],
        early_stopping_rounds=hp.early_stopping_rounds,
        verbose_eval=verbose_eval,
    )
    best = int(booster.best_iteration)
    model = HousePriceModel(
        booster[: best + 1], transform, _fit_linear(features, target, transform, hp)
    )
    metrics = _validation_metrics(model, validation)
    rows = {
        "train": len(train),
        "train_excluded": int(excluded.sum()),
        "train_fitted": len(fit_rows),
        "validation": len(validation),
        "validation_fitted": 0,
    }
    if hp.refit_on_validation:
        kept = ~exclusion_mask(validation)
        all_features = np.vstack([features, valid_features[kept]])
        all_target = np.concatenate([target, valid_target[kept]])
        logger.info("refitting on %d train + validation rows, %d rounds", len(all_target), best + 1)
        dall = quantile_matrix(
            all_features, all_target, transform, nthread=hp.nthread, max_bin=hp.max_bin
        )
        refitted = xgb.train(hp.xgboost_params(), dall, num_boost_round=best + 1)
        linear = _fit_linear(all_features, all_target, transform, hp)
        model = HousePriceModel(refitted, transform, linear)
        rows["validation_fitted"] = int(kept.sum())
    return TrainingResult(model, best, metrics, rows)


def copy_serving_code(code_dir: Path) -> list[str]:
    """Write code/inference.py and code/ml_scripts/{__init__, layout, common, inference}."""
    package = Path(ml_scripts.__file__).resolve().parent
    if code_dir.exists():
        shutil.rmtree(code_dir)
    target = code_dir / "ml_scripts"
    copied: list[str] = []
    sources = [package / module for module in layout.PACKAGE_MODULES]
    for sub in ("common", "inference"):
        sources.extend(sorted((package / sub).rglob("*.py")))
    for source in sources:
        if "__pycache__" in source.parts:
            continue
        destination = target / source.relative_to(package)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        copied.append(str(destination.relative_to(code_dir)))
    shutil.copyfile(package / "inference" / "entry.py", code_dir / layout.SERVING_ENTRY)
    copied.append(layout.SERVING_ENTRY)
    return sorted(copied)


def _library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    try:
        import pyarrow  # noqa: PLC0415 (optional: only reported)

        versions["pyarrow"] = pyarrow.__version__
    except ImportError:
        versions["pyarrow"] = None
    return versions


def model_card(result: TrainingResult, hp: Hyperparameters, paths: TrainingPaths) -> dict[str, Any]:
    """Provenance and quality of the trained model."""
    data = {
        "train": sha256_files(
            table_files(paths.train), paths.train if paths.train.is_dir() else None
        ),
        "validation": sha256_files(
            table_files(paths.validation), paths.validation if paths.validation.is_dir() else None
        ),
        "transform": sha256_files(
            [_transform_path(paths.transform)], _transform_path(paths.transform).parent
        ),
    }
    return {
        "model": {
            "file": MODEL_FILE,
            "format": "XGBoost UBJSON (Booster.save_model)",
            "best_iteration": result.best_iteration,
            "trees": result.best_iteration + 1,
            "features": len(result.model.transform.feature_names),
            "linear_file": LINEAR_FILE if result.model.linear is not None else None,
            "blend": "log1p price = (1 - w) * trees + w * ridge, w = linear_weight",
            "fitted_on": "train + validation" if hp.refit_on_validation else "train",
        },
        "target": {
            "column": contract.TARGET,
            "model_output": "log1p(SalePrice)",
            "prediction": "expm1(model output), US dollars",
        },
        "hyperparameters": dataclasses.asdict(hp),
        "xgboost_params": hp.xgboost_params(),
        "data_sha256": data,
        "rows": result.rows,
        "training_exclusions": [
            {"column": e.column, "above": e.above, "reason": e.reason}
            for e in contract.TRAINING_EXCLUSIONS
        ],
        "validation_metrics": result.validation_metrics,
        "contract_version": contract.CONTRACT_VERSION,
        "library_versions": _library_versions(),
    }


def save_model(result: TrainingResult, hp: Hyperparameters, paths: TrainingPaths) -> dict[str, Any]:
    """Write model.ubj, transform.json, model_card.json and code/ into the model directory."""
    model_dir = paths.model_dir
    model_dir.mkdir(parents=True, exist_ok=True)
    result.model.booster.save_model(str(model_dir / MODEL_FILE))
    result.model.transform.save(model_dir / TRANSFORM_FILE)
    if result.model.linear is not None:
        result.model.linear.save(model_dir / LINEAR_FILE)
    card = model_card(result, hp, paths)
    card["serving_code"] = copy_serving_code(model_dir / layout.SERVING_CODE_DIR)
    write_json(model_dir / MODEL_CARD_FILE, card)
    return card


def run_training(
    paths: TrainingPaths, hp: Hyperparameters, *, verbose_eval: int | bool = 200
) -> dict[str, Any]:
    """Load the splits and transform, train, write the model directory; return the model card."""
    transform = FeatureTransform.load(_transform_path(paths.transform))
    train = read_split(paths.train)
    validation = read_split(paths.validation)
    result = train_model(train, validation, transform, hp, verbose_eval=verbose_eval)
    card = save_model(result, hp, paths)
    write_json(paths.output_data_dir / "training_summary.json", card)
    rmse = result.validation_metrics["log1p_price"]["rmse"]
    logger.info(
        "best iteration %d; validation rmse (log1p price) %.5f", result.best_iteration, rmse
    )
    return card


def parse_args(argv: Sequence[str] | None) -> tuple[TrainingPaths, dict[str, Any]]:
    """Paths (argument, else SageMaker environment, else container default), CLI hyperparameters."""
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train XGBoost (+ ridge blend) on log1p(SalePrice).",
        allow_abbrev=False,
    )

    def channel(name: str) -> Path:
        return env_path(f"SM_CHANNEL_{name.upper()}", f"{layout.TRAINING_CHANNEL_ROOT}/{name}")

    parser.add_argument("--train", type=Path, default=None)
    parser.add_argument("--validation", type=Path, default=None)
    parser.add_argument("--transform", type=Path, default=None)
    parser.add_argument("--model-dir", "--model_dir", dest="model_dir", type=Path, default=None)
    parser.add_argument(
        "--output-data-dir", "--output_data_dir", dest="output_data_dir", type=Path, default=None
    )
    defaults = Hyperparameters()
    for f in dataclasses.fields(Hyperparameters):
        flags: list[str] = []
        for spelling in (f.name, *ALIASES.get(f.name, ())):
            for flag in (f"--{spelling}", f"--{spelling.replace('_', '-')}"):
                if flag not in flags:
                    flags.append(flag)
        parser.add_argument(
            *flags, dest=f.name, type=str, default=None, help=f"default {getattr(defaults, f.name)}"
        )
    args = parser.parse_args(argv)
    paths = TrainingPaths(
        train=args.train or channel(layout.TRAIN_SPLIT),
        validation=args.validation or channel(layout.VALIDATION_SPLIT),
        transform=args.transform or channel(layout.TRANSFORM_OUTPUT),
        model_dir=args.model_dir or env_path("SM_MODEL_DIR", layout.MODEL_DIR),
        output_data_dir=args.output_data_dir
        or env_path("SM_OUTPUT_DATA_DIR", layout.TRAINING_OUTPUT_DATA_DIR),
    )
    cli = {f.name: getattr(args, f.name) for f in dataclasses.fields(Hyperparameters)}
    return paths, {k: v for k, v in cli.items() if v is not None}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, 1 when inputs or hyperparameters are unusable."""
    configure_logging()
    paths, cli = parse_args(argv)
    try:
        from_file, from_env = environment_hyperparameters(os.environ)
        hp, ignored = merge_hyperparameters(from_file, from_env, cli)
        for key in ignored:
            logger.warning("ignored unknown hyperparameter %r", key)
        logger.info("hyperparameters: %s", dataclasses.asdict(hp))
        run_training(paths, hp)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        logger.error("training failed: %s", exc)
        print(f"training failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
