"""Training hyperparameters: their defaults, accepted spellings, and how sources are merged.

Sources, in increasing priority: the hyperparameters file (SM_INPUT_TRAINING_CONFIG_FILE), the
SM_HPS environment variable (JSON, values may be strings) and the command line (``--max_depth``
or ``--max-depth``). SageMaker passes every value as a string; each is converted to the type of
its default.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml_scripts import layout


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

# The type of each field's default, which a value given as a string is converted to.
FIELD_TYPES: dict[str, type] = {
    f.name: type(f.default) for f in dataclasses.fields(Hyperparameters)
}


def cli_flags(name: str) -> list[str]:
    """Command-line flags of a hyperparameter: each spelling with underscores and with dashes."""
    flags: list[str] = []
    for spelling in (name, *ALIASES.get(name, ())):
        for flag in (f"--{spelling}", f"--{spelling.replace('_', '-')}"):
            if flag not in flags:
                flags.append(flag)
    return flags


def _canonical_name(key: str) -> str | None:
    name = key.strip().lstrip("-").replace("-", "_")
    if name in FIELD_TYPES:
        return name
    for canonical, aliases in ALIASES.items():
        if name in aliases:
            return canonical
    return None


def _convert(name: str, value: Any) -> Any:
    kind = FIELD_TYPES[name]
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
