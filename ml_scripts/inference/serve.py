"""SageMaker XGBoost serving functions: model_fn, input_fn, predict_fn, output_fn.

Requests carry RAW house rows (the columns of house_data.csv, without SalePrice; any order;
extra columns ignored):

- ``text/csv``: a header row of column names, then one row per house;
- ``application/json``: a list of objects keyed by column name (or {"instances": [...]}).

The saved feature transform is applied to them, exactly as in training. A request with a row
that breaks the data contract fails as a whole, with a message naming each bad row.
Each row gets its predicted price and the ends of its 90% interval (inference/intervals.py).
Responses, in request order: ``text/csv``, one line per row,
``predicted_price,price_low,price_high`` (no header, so that batch transform can join the
answers of many requests), or ``application/json``: ``{"predictions": [{"predicted_price": ...,
"price_low": ..., "price_high": ...}, ...], "interval_level": 0.9}``. A model trained before
intervals existed leaves both ends empty (null in JSON). `output_fn` returns ``(body, content
type)``: the container
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
    PriceRanges,
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


def predict_fn(input_data: ScoringRows, model: HousePriceModel) -> PriceRanges:
    """Predicted sale prices and their interval in dollars, one per input row, in order."""
    return model.predict_ranges(input_data.clean)


def _cents(value: float) -> float | None:
    return round(float(value), 2) if np.isfinite(value) else None


def csv_line(price: float, low: float, high: float) -> str:
    """`price,low,high` with cents; an end the model cannot give is left empty."""
    return ",".join("" if not np.isfinite(v) else f"{v:.2f}" for v in (price, low, high))


def output_fn(prediction: PriceRanges, accept: str | None) -> tuple[bytes, str]:
    """The prices and their ranges as CSV lines or JSON records, with that content type."""
    media = _media_type(accept, CSV)
    rows = zip(prediction.price, prediction.low, prediction.high, strict=True)
    if media == JSON:
        records = [
            {"predicted_price": _cents(p), "price_low": _cents(lo), "price_high": _cents(hi)}
            for p, lo, hi in rows
        ]
        body = {"predictions": records, "interval_level": prediction.level}
        return json.dumps(body).encode("utf-8"), JSON
    if media == CSV:
        return "".join(csv_line(*row) + "\n" for row in rows).encode("utf-8"), CSV
    raise ValueError(f"unsupported accept type {accept!r}: use {CSV} or {JSON}")
