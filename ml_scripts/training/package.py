"""The model directory training leaves behind: model.ubj (XGBoost UBJSON, portable across
versions), transform.json, linear.json (when the ridge is blended in), interval.json (the
calibrated price interval, inference/intervals.py), training_history.json (the learning curve,
common/history.py), model_card.json, and
code/, the serving bundle (code/inference.py plus code/ml_scripts/{__init__.py, layout.py,
common/, inference/}), so the XGBoost serving container loads the model without a repack job.
"""

from __future__ import annotations

import dataclasses
import platform
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

import ml_scripts
from ml_scripts import layout
from ml_scripts.common import contract
from ml_scripts.common.history import TRAINING_HISTORY_FILE
from ml_scripts.common.io import write_json
from ml_scripts.inference.intervals import INTERVAL_FILE
from ml_scripts.inference.model import (
    LINEAR_FILE,
    MODEL_CARD_FILE,
    MODEL_FILE,
    TRANSFORM_FILE,
)
from ml_scripts.training.fit import TrainingResult
from ml_scripts.training.hyperparameters import Hyperparameters

# The subpackages the serving code imports (besides the package's top-level modules).
SERVING_PACKAGES = ("common", "inference")


def copy_serving_code(code_dir: Path) -> list[str]:
    """Write code/inference.py and code/ml_scripts/{__init__, layout, common, inference}."""
    package = Path(ml_scripts.__file__).resolve().parent
    if code_dir.exists():
        shutil.rmtree(code_dir)
    target = code_dir / "ml_scripts"
    copied: list[str] = []
    sources = [package / module for module in layout.PACKAGE_MODULES]
    for sub in SERVING_PACKAGES:
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


def model_card(
    result: TrainingResult,
    hp: Hyperparameters,
    data_sha256: dict[str, dict[str, str]],
    *,
    hosts: int = 1,
) -> dict[str, Any]:
    """Provenance and quality of the trained model; `data_sha256` fingerprints its inputs."""
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
        "data_sha256": data_sha256,
        "rows": result.rows,
        # Hosts that trained this model together (TrainingInstanceCount); the transform, the
        # ridge and the validation figures are taken over all of their rows.
        "training_hosts": hosts,
        "training_exclusions": [
            {"column": e.column, "above": e.above, "reason": e.reason}
            for e in contract.TRAINING_EXCLUSIONS
        ],
        "validation_metrics": result.validation_metrics,
        "interval": (
            {"file": INTERVAL_FILE, **result.model.interval.to_dict()}
            if result.model.interval is not None
            else None
        ),
        "contract_version": contract.CONTRACT_VERSION,
        "library_versions": _library_versions(),
    }


def save_model(
    result: TrainingResult,
    hp: Hyperparameters,
    model_dir: Path,
    data_sha256: dict[str, dict[str, str]],
    *,
    hosts: int = 1,
) -> dict[str, Any]:
    """Write model.ubj, transform.json, linear.json, interval.json, training_history.json,
    model_card.json and code/."""
    model_dir.mkdir(parents=True, exist_ok=True)
    result.model.booster.save_model(str(model_dir / MODEL_FILE))
    result.model.transform.save(model_dir / TRANSFORM_FILE)
    if result.model.linear is not None:
        result.model.linear.save(model_dir / LINEAR_FILE)
    if result.model.interval is not None:
        result.model.interval.save(model_dir / INTERVAL_FILE)
    if result.history is not None:
        result.history.save(model_dir / TRAINING_HISTORY_FILE)
    card = model_card(result, hp, data_sha256, hosts=hosts)
    card["serving_code"] = copy_serving_code(model_dir / layout.SERVING_CODE_DIR)
    write_json(model_dir / MODEL_CARD_FILE, card)
    return card
