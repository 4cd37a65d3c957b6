"""SageMaker XGBoost serving functions: model_fn, input_fn, predict_fn, output_fn.

Requests carry RAW house rows (the columns of house_data.csv, without SalePrice; any order;
extra columns ignored):

- ``text/csv``: a header row of column names, then one row per house;
- ``application/json``: a list of objects keyed by column name (or {"instances": [...]}).

The saved feature transform is applied to them, exactly as in training. A request with a row
that breaks the data contract fails as a whole, with a message naming each bad row.
Responses: ``text/csv`` (one price per line, in request order) or ``application/json``
(``{"predictions": [...]}``). `output_fn` returns ``(body, content type)``: the container
(sagemaker-containers' ``_transformer.Transformer.transform``) turns that tuple into a response
with that Content-Type, where a bare body would go out as Flask's ``text/html``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ml_scripts.common.errors import DataContractError, RowError
from ml_scripts.common.parse import parse_json_records
from ml_scripts.common.validate import check_header
from ml_scripts.inference.model import (
    HousePriceModel,
    ScoringRows,
    check_scoring_rows,
    csv_scoring_rows,
    format_row_errors,
    json_records,
)

CSV = "text/csv"
JSON = "application/json"


def _media_type(content_type: str | None, default: str) -> str:
    if not content_type:
        return default
    media = content_type.split(";")[0].strip().lower()
    return default if media in ("*/*", "") else media


def _as_bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    raise TypeError(f"unsupported request body type {type(body).__name__}")


def model_fn(model_dir: str) -> HousePriceModel:
    """Load the booster and the feature transform from the model directory."""
    return HousePriceModel.load(Path(model_dir))


def input_fn(request_body: Any, request_content_type: str | None) -> ScoringRows:
    """Parse and validate raw rows; raises ValueError naming every row that cannot be scored."""
    media = _media_type(request_content_type, CSV)
    body = _as_bytes(request_body)
    try:
        if media == CSV:
            return csv_scoring_rows(body)
        if media == JSON:
            records = json_records(json.loads(body.decode("utf-8")))
            parsed = parse_json_records(records)
            check_header(parsed.frame.columns, "request", with_target=False)
            labels = [f"record {i}" for i in range(len(records))]
            rows, errors = check_scoring_rows(parsed, labels)
            if errors:
                raise RowError(format_row_errors(errors))
            return rows
    except (DataContractError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(str(exc)) from exc
    raise ValueError(f"unsupported content type {request_content_type!r}: use {CSV} or {JSON}")


def predict_fn(input_data: ScoringRows, model: HousePriceModel) -> np.ndarray:
    """Predicted sale prices in dollars, one per input row, in order."""
    return model.predict_prices(input_data.clean)


def output_fn(prediction: np.ndarray, accept: str | None) -> tuple[bytes, str]:
    """The prices as CSV (one per line) or JSON ({"predictions": [...]}), with that type."""
    media = _media_type(accept, CSV)
    values = [round(float(v), 2) for v in np.asarray(prediction).ravel()]
    if media == JSON:
        return json.dumps({"predictions": values}).encode("utf-8"), JSON
    if media == CSV:
        return "".join(f"{v:.2f}\n" for v in values).encode("utf-8"), CSV
    raise ValueError(f"unsupported accept type {accept!r}: use {CSV} or {JSON}")
