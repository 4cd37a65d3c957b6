"""Turn well-formed CSV records (or JSON records) into a typed frame, noting cells that are not
numbers where the contract wants numbers.

The typed frame has float64 for numeric columns (NaN = missing) and pandas Categorical columns
of stripped strings for the text ones (missing = no category). Categoricals keep the few
distinct values once, so cleaning and encoding work on categories instead of on every cell,
and no library version converts millions of strings back and forth. Identifier and unknown
columns are not read.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

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


def as_categorical(values: Any) -> pd.Categorical:
    """A pandas Categorical view of a column (Series, array or Categorical)."""
    if isinstance(values, pd.Categorical):
        return values
    if not isinstance(values, pd.Series):
        values = pd.Series(np.asarray(values, dtype=object), dtype=object)
    if not isinstance(values.dtype, pd.CategoricalDtype):
        # Factorising in the column's own string type is far cheaper than via Python objects.
        values = values.astype("category")
    return cast(pd.Categorical, values.array)


def category_codes(values: Any, categories: Sequence[str]) -> np.ndarray:
    """Position of each value in `categories`; -1 for missing or other values."""
    cat = as_categorical(values)
    own = np.asarray(cat.categories.astype(str), dtype=object)
    lookup = pd.Index(list(categories), dtype=object).get_indexer(pd.Index(own))
    lookup = lookup.astype(np.int64)
    codes = np.asarray(cat.codes, dtype=np.int64)
    if not len(own):
        return np.full(len(codes), -1, dtype=np.int64)
    return np.where(codes >= 0, lookup[codes], -1)


def category_values(values: Any, mapping: Mapping[str, float]) -> np.ndarray:
    """float64 value of each cell's category per `mapping`; NaN for missing or unmapped."""
    cat = as_categorical(values)
    own = [str(c) for c in cat.categories]
    table = np.asarray([mapping.get(c, np.nan) for c in own] + [np.nan], dtype=np.float64)
    codes = np.asarray(cat.codes, dtype=np.int64)
    return table[np.where(codes >= 0, codes, len(own))]


def normalize_categorical(values: Any) -> pd.Categorical:
    """Categorical of stripped strings; missing tokens and blanks become missing."""
    if isinstance(values, pd.Series) and values.dtype.kind in "fiub" and values.isna().all():
        values = pd.Series(np.full(len(values), None, dtype=object), dtype=object)
    cat = as_categorical(values)
    own = list(cat.categories)
    cleaned: list[str | None] = []
    for category in own:
        text = str(category).strip()
        cleaned.append(None if text in contract.MISSING_TOKENS else text)
    if cleaned == own:
        return cat  # already clean: the common case, no copy
    categories = list(dict.fromkeys(c for c in cleaned if c is not None))
    position = {c: i for i, c in enumerate(categories)}
    lookup = np.asarray([-1 if c is None else position[c] for c in cleaned] + [-1])
    codes = np.asarray(cat.codes, dtype=np.int64)
    new_codes = lookup[np.where(codes >= 0, codes, len(cleaned))]
    return pd.Categorical.from_codes(new_codes, categories=pd.Index(categories, dtype=object))


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
    columns: dict[str, Any] = {}
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


def _read_csv(blob: bytes, dtypes: dict[str, str], options: dict[str, Any]) -> pd.DataFrame:
    with warnings.catch_warnings():
        # Text columns whose type differs between the parser's internal blocks come back as
        # mixed objects, which the categorical conversion handles; the warning is noise.
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        frame: pd.DataFrame = pd.read_csv(io.BytesIO(blob), dtype=dtypes, **options)
    return frame


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
    # Numbers parse natively as float64. Text columns keep the reader's own (fastest) string
    # type, except codes that look like numbers; a text column the reader still took for
    # numbers (for example all empty in this chunk) is read again as text, so text stays exact.
    text = [c for c in usecols if c not in numeric]
    dtypes: dict[str, str] = dict.fromkeys(numeric, "float64")
    dtypes.update({c: "category" for c in text if contract.BY_NAME[c].numeric_looking})
    try:
        raw = _read_csv(blob, dtypes, options)
    except ValueError:
        # Some cell is not a number: read the numeric columns as text and find the culprits.
        dtypes.update(dict.fromkeys(numeric, "object"))
        raw = _read_csv(blob, dtypes, options)
    inferred = [c for c in text if c not in dtypes and raw[c].dtype.kind in "fiub"]
    if inferred and raw[inferred].notna().to_numpy().any():
        dtypes.update(dict.fromkeys(inferred, "category"))
        raw = _read_csv(blob, dtypes, options)
    if len(raw) != expected_rows:
        raise RuntimeError(f"CSV parser returned {len(raw)} rows, expected {expected_rows}")
    return _typed(raw[usecols])


def parse_json_records(records: Sequence[Mapping[str, Any]]) -> ParsedFrame:
    """Typed frame from JSON objects keyed by raw column names (unknown keys are ignored)."""
    wanted = set(contract.REQUIRED_COLUMNS)
    present = [
        c for c in contract.CANONICAL_COLUMNS if c in wanted and any(c in r for r in records)
    ]
    data = {c: pd.Series([_cell_text(r.get(c)) for r in records], dtype=object) for c in present}
    return _typed(pd.DataFrame(data, index=pd.RangeIndex(len(records))))
