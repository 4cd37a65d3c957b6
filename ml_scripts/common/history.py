"""The learning curve of a trained model: training writes it into the model, evaluation plots it.

`training_history.json` holds the metric of every boosting round of the early-stopping fit (the
booster trained on the train split and scored on the validation split each round), and which
round early stopping kept. The shipped booster may be a refit on train + validation with that
many rounds (training/fit.py): its own rounds have no held-out score, so they are not here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRAINING_HISTORY_FILE = "training_history.json"
FORMAT_VERSION = 1
TRAIN = "train"
VALIDATION = "validation"


@dataclass(frozen=True)
class TrainingHistory:
    """Per-round train and validation metric of the early-stopping fit."""

    metric: str
    train: tuple[float, ...]
    validation: tuple[float, ...]
    best_iteration: int

    def __post_init__(self) -> None:
        if not self.train or len(self.train) != len(self.validation):
            raise ValueError(
                f"a training history needs as many train as validation values, at least one "
                f"(got {len(self.train)} and {len(self.validation)})"
            )
        if not 0 <= self.best_iteration < len(self.train):
            raise ValueError(
                f"best_iteration {self.best_iteration} is outside the {len(self.train)} rounds"
            )
        if not all(math.isfinite(v) for v in (*self.train, *self.validation)):
            raise ValueError("a training history holds a value that is not a finite number")

    @property
    def rounds(self) -> int:
        """Boosting rounds the early-stopping fit ran."""
        return len(self.train)

    @classmethod
    def from_evals(
        cls, evals_result: Mapping[str, Mapping[str, Sequence[float]]], best_iteration: int
    ) -> TrainingHistory:
        """From xgb.train's `evals_result` with evals named "train" and "validation"."""
        try:
            train, validation = evals_result[TRAIN], evals_result[VALIDATION]
        except KeyError as error:
            raise ValueError(f"evals_result has no {error.args[0]!r} evaluation") from error
        metric = next(iter(validation), None)
        if metric is None or metric not in train:
            raise ValueError("evals_result has no metric common to train and validation")
        return cls(
            metric=metric,
            train=tuple(float(v) for v in train[metric]),
            validation=tuple(float(v) for v in validation[metric]),
            best_iteration=best_iteration,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "format_version": FORMAT_VERSION,
            "metric": self.metric,
            "scale": "log1p(SalePrice)",
            "fit": "early stopping: trained on the train split, scored on validation each round",
            "rounds": self.rounds,
            "best_iteration": self.best_iteration,
            TRAIN: list(self.train),
            VALIDATION: list(self.validation),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingHistory:
        """Inverse of to_dict; ValueError for another format or a malformed document."""
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported training history format {data.get('format_version')!r}")
        try:
            return cls(
                metric=str(data["metric"]),
                train=tuple(float(v) for v in data[TRAIN]),
                validation=tuple(float(v) for v in data[VALIDATION]),
                best_iteration=int(data["best_iteration"]),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed training history: {error}") from error

    def save(self, path: Path) -> None:
        """Write the history as JSON."""
        path.write_text(json.dumps(self.to_dict(), allow_nan=False) + "\n")

    @classmethod
    def load(cls, model_dir: Path) -> TrainingHistory | None:
        """The history in a model directory; None for a model trained before it existed."""
        path = model_dir / TRAINING_HISTORY_FILE
        if not path.is_file():
            return None
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path.name} is not JSON: {error}") from error
