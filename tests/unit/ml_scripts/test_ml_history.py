"""The learning curve: training saves every round's train and validation RMSE into the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_scripts.common.history import TRAINING_HISTORY_FILE, TrainingHistory


def test_training_saves_each_rounds_train_and_validation_rmse(model_dir: Path) -> None:
    card = json.loads((model_dir / "model_card.json").read_text())
    history = TrainingHistory.load(model_dir)

    assert history is not None
    assert history.metric == "rmse"
    assert history.best_iteration == card["model"]["best_iteration"]
    # Early stopping runs past the best round by at most its patience, and never past num_round.
    patience = card["hyperparameters"]["early_stopping_rounds"]
    assert history.best_iteration < history.rounds <= history.best_iteration + 1 + patience
    assert history.rounds <= card["hyperparameters"]["num_round"]
    assert history.validation[history.best_iteration] == min(history.validation)
    # Boosting fits the train split ever more closely.
    assert history.train[-1] < history.train[0]


def test_the_history_round_trips_through_its_file(tmp_path: Path) -> None:
    history = TrainingHistory("rmse", (0.5, 0.3, 0.2), (0.6, 0.4, 0.45), best_iteration=1)
    history.save(tmp_path / TRAINING_HISTORY_FILE)

    assert TrainingHistory.load(tmp_path) == history


def test_a_model_without_a_history_has_none(tmp_path: Path) -> None:
    assert TrainingHistory.load(tmp_path) is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format_version": 9}, "unsupported training history format 9"),
        ({"format_version": 1, "metric": "rmse"}, "malformed training history"),
        (
            {
                "format_version": 1,
                "metric": "rmse",
                "train": [0.5],
                "validation": [0.5, 0.4],
                "best_iteration": 0,
            },
            "as many train as validation values",
        ),
        (
            {
                "format_version": 1,
                "metric": "rmse",
                "train": [0.5],
                "validation": [0.4],
                "best_iteration": 3,
            },
            "best_iteration 3 is outside the 1 rounds",
        ),
    ],
)
def test_a_malformed_history_is_refused_with_the_reason(
    tmp_path: Path, document: dict[str, object], message: str
) -> None:
    (tmp_path / TRAINING_HISTORY_FILE).write_text(json.dumps(document))

    with pytest.raises(ValueError, match=message):
        TrainingHistory.load(tmp_path)


def test_evals_without_a_validation_evaluation_are_refused() -> None:
    with pytest.raises(ValueError, match="no 'validation' evaluation"):
        TrainingHistory.from_evals({"train": {"rmse": [0.1]}}, 0)
