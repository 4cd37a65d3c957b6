"""Turn well-formed CSV records (or JSON records) into a typed frame, noting cells that are not
numbers where the contract wants numbers.

The typed frame has float64 for numeric columns (NaN = missing) and object columns of stripped
strings (NaN = missing) for categorical ones. Identifier and unknown columns are not read.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml_scripts.common import contract


@dataclass
class ParsedFrame:
    """A typed frame plus, per numeric column, a mask of cells that were not numbers."""

    frame: pd.DataFrame
    not_numeric: dict[str, np.ndarray] = field(default_factory=dict)


def _clean_text(series: pd.Series) -> pd.Series:
    """Stripped strings as an object Series, NaN for missing tokens (input: strings or NaN)."""
    text = series.astype(object).str.strip()
    return text.where(~text.isin(contract.MISSING_TOKENS) & text.notna(), np.nan)


def normalize_categorical(series: pd.Series) -> np.ndarray:
    """Stripped strings with NaN for missing tokens, as an object array."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Work on the few distinct categories rather than on every cell.
        categories = pd.Series(np.asarray(series.cat.categories.astype(str), dtype=object))
        cleaned = _clean_text(categories).to_numpy(dtype=object)
        codes = series.cat.codes.to_numpy()
        if not len(cleaned):
            return np.full(len(series), np.nan, dtype=object)
        return np.where(codes >= 0, cleaned[codes], np.nan).astype(object)
    return _clean_text(series).to_numpy(dtype=object)


def coerce_numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, mask of cells that are present but not numbers)."""
    if series.dtype.kind in "fiub":
        return series.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(series), bool)
    text = _clean_text(series)
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    not_numeric = np.isnan(numbers) & text.notna().to_numpy()
    return numbers, not_numeric


def _cell_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        # JSON clients send codes such as MS SubClass as numbers: 20.0 means the category "20".
        return str(int(value))
    return str(value)


def _typed(raw: pd.DataFrame) -> ParsedFrame:
    columns: dict[str, np.ndarray] = {}
    not_numeric: dict[str, np.ndarray] = {}
    for name in raw.columns:
        spec = contract.BY_NAME[name]
        if spec.is_numeric:
            columns[name], bad = coerce_numeric(raw[name])
            if bad.any():
                not_numeric[name] = bad
        else:
            columns[name] = normalize_categorical(raw[name])
    return ParsedFrame(pd.DataFrame(columns, index=pd.RangeIndex(len(raw))), not_numeric)


def wanted_columns(file_columns: Sequence[str]) -> list[str]:
    """Contract columns (features and target) present in the file, in file order."""
    wanted = set(contract.REQUIRED_COLUMNS)
    return [name for name in file_columns if name in wanted]


def parse_csv_records(blob: bytes, file_columns: Sequence[str], expected_rows: int) -> ParsedFrame:
    """Parse records that all have len(file_columns) fields into a typed frame."""
    usecols = wanted_columns(file_columns)
    numeric = [c for c in usecols if contract.BY_NAME[c].is_numeric]
    options: dict[str, Any] = {
        "header": None,
        "names": list(file_columns),
        "usecols": usecols,
        "na_values": list(contract.MISSING_TOKENS),
        "keep_default_na": False,
        "skip_blank_lines": True,
        "engine": "c",
        "encoding": contract.ENCODING,
        "quotechar": '"',
    }
    # Category dtype parses text columns fastest (few distinct values); floats parse natively.
    fast = {c: ("float64" if c in numeric else "category") for c in usecols}
    try:
        raw = pd.read_csv(io.BytesIO(blob), dtype=fast, **options)
    except ValueError:
        # Some cell is not a number: read those columns as text and find the culprits.
        slow: dict[str, str] = {c: ("object" if c in numeric else "category") for c in usecols}
        raw = pd.read_csv(io.BytesIO(blob), dtype=slow, **options)
    if len(raw) != expected_rows:
        raise RuntimeError(f"CSV parser returned {len(raw)} rows, expected {expected_rows}")
    return _typed(raw[usecols])


def parse_json_records(records: Sequence[Mapping[str, Any]]) -> ParsedFrame:
    """Typed frame from JSON objects keyed by raw column names (unknown keys are ignored)."""
    names = [c for c in contract.CANONICAL_COLUMNS if c in contract.BY_NAME]
    wanted = set(contract.REQUIRED_COLUMNS)
    present = [c for c in names if c in wanted and any(c in r for r in records)]
    data = {c: pd.Series([_cell_text(r.get(c)) for r in records], dtype=object) for c in present}
    return _typed(pd.DataFrame(data, index=pd.RangeIndex(len(records))))
