"""The champion's score on the same test split, for the gate's comparison.

EvaluateModel always has a champion input. It holds either the champion's `model.tar.gz` (the
ChampionModelData run parameter named one: the newest Approved version of the group) or the
placeholder the stack deploys as that parameter's default (`NO_CHAMPION.json`, layout.py): no
champion. A run cannot leave the input empty, because SageMaker needs an S3 object behind
every processing input, and the job cannot look the champion up itself, because it runs with
network isolation.

`champion` in evaluation.json:

- ``present``: whether there was a champion to compare with;
- ``model_uri``: the ChampionModelData it came from (None without a champion);
- ``rmse``, ``regression_metrics``, ``price_metrics``: the champion on the same test rows;
- ``rmse_above_champion``: this model's RMSE minus the champion's (negative when this model is
  better; 0 without a champion). CheckQuality requires it to be at most the deploy-time
  tolerance (the `championTolerance` setting);
- ``description``: one sentence with both figures, which FailOnQuality quotes.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from ml_scripts import layout
from ml_scripts.common.features import model_to_price
from ml_scripts.common.metrics import log_scale_metrics, price_metrics
from ml_scripts.common.numbers import readable
from ml_scripts.inference.model import MODEL_ARCHIVE, HousePriceModel, model_directory

NO_CHAMPION_DESCRIPTION = (
    "there is no champion to compare with (no Approved model version of the group)"
)


def has_champion(champion_dir: Path | None) -> bool:
    """True when the input holds a champion's model.tar.gz; False for the placeholder.

    Raises FileNotFoundError when it holds neither: the input is wired wrong.
    """
    if champion_dir is None:
        return False
    if (champion_dir / MODEL_ARCHIVE).is_file():
        return True
    if (champion_dir / layout.NO_CHAMPION_FILE).is_file():
        return False
    raise FileNotFoundError(
        f"the champion input {champion_dir} holds neither {MODEL_ARCHIVE} nor the "
        f"{layout.NO_CHAMPION_FILE} placeholder"
    )


def _score(champion_dir: Path, test: pd.DataFrame, uri: str | None) -> np.ndarray:
    """The champion's predicted prices; ValueError naming the champion when it cannot score."""
    try:
        with model_directory(champion_dir / MODEL_ARCHIVE) as model_dir:
            model = HousePriceModel.load(model_dir)
            predicted = model_to_price(model.predict_log(test))
    except (OSError, ValueError, KeyError, tarfile.TarError, xgb.core.XGBoostError) as error:
        raise ValueError(
            f"the champion model ({uri or champion_dir}) cannot be scored: {error}; reject "
            "that model version to run without it, or approve one this pipeline trained"
        ) from error
    if not np.all(np.isfinite(predicted)):
        raise ValueError(f"the champion model ({uri or champion_dir}) predicts non-finite prices")
    return predicted


def champion_report(
    champion_dir: Path | None,
    uri: str | None,
    test: pd.DataFrame,
    actual: np.ndarray,
    rmse: float,
    *,
    seed: int = 0,
    tolerance: float | None = None,
) -> dict[str, Any]:
    """The `champion` section of evaluation.json for this model's test `rmse`; its sentence
    shows the difference with enough digits to tell it from the `tolerance`."""
    if not has_champion(champion_dir):
        return {
            "present": False,
            "model_uri": None,
            "rmse": None,
            "regression_metrics": None,
            "price_metrics": None,
            "rmse_above_champion": 0.0,
            "description": NO_CHAMPION_DESCRIPTION,
        }
    assert champion_dir is not None
    predicted = _score(champion_dir, test, uri)
    metrics = log_scale_metrics(actual, predicted, seed=seed)
    champion_rmse = float(metrics["rmse"]["value"])
    above = rmse - champion_rmse
    difference = readable(abs(above), *(() if tolerance is None else (tolerance,)))
    return {
        "present": True,
        "model_uri": uri,
        "rmse": champion_rmse,
        "regression_metrics": metrics,
        "price_metrics": price_metrics(actual, predicted),
        "rmse_above_champion": above,
        "description": (
            f"the champion ({uri or 'ChampionModelData'}) scores an RMSE of log price of "
            f"{readable(champion_rmse, rmse)} on the same {len(test)} test rows, and this model's "
            f"is {difference} {'higher' if above > 0 else 'lower or equal'}"
        ),
    }
