"""Serving entry point, shipped in the model archive as code/inference.py.

The SageMaker XGBoost serving container imports this file (SAGEMAKER_PROGRAM=inference.py,
SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code). The package `ml_scripts` sits beside it in
code/; the path is added on first use rather than at import, so importing stays side-effect free.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any


def _serve() -> ModuleType:
    here = Path(__file__).resolve().parent
    if (here / "ml_scripts").is_dir() and str(here) not in sys.path:
        sys.path.insert(0, str(here))
    return importlib.import_module("ml_scripts.inference.serve")


def model_fn(model_dir: str) -> Any:
    """Load the model (see ml_scripts.inference.serve.model_fn)."""
    return _serve().model_fn(model_dir)


def input_fn(request_body: Any, request_content_type: str | None) -> Any:
    """Parse raw rows (see ml_scripts.inference.serve.input_fn)."""
    return _serve().input_fn(request_body, request_content_type)


def predict_fn(input_data: Any, model: Any) -> Any:
    """Predict prices (see ml_scripts.inference.serve.predict_fn)."""
    return _serve().predict_fn(input_data, model)


def output_fn(prediction: Any, accept: str | None) -> Any:
    """Serialise prices (see ml_scripts.inference.serve.output_fn)."""
    return _serve().output_fn(prediction, accept)
