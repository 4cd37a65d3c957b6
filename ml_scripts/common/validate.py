"""Check typed rows against the data contract and give missing cells their declared meaning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from ml_scripts.common import contract
from ml_scripts.common.contract import ColumnSpec
from ml_scripts.common.errors import DataContractError
from ml_scripts.common.parse import ParsedFrame

_ALTERNATIVE_DELIMITERS = (";", "\t", "|")


@dataclass
class Validation:
    """Outcome for a batch of rows: which passed, why the others failed, the clean rows."""

    passed: np.ndarray
    reasons: dict[int, list[str]]
    clean: pd.DataFrame
    missing_counts: dict[str, int] = field(default_factory=dict)
    none_counts: dict[str, int] = field(default_factory=dict)


def check_header(names: Iterable[str], source: str, *, with_target: bool) -> list[str]:
    """Raise on a header that breaks the contract; return the extra (ignored) column names."""
    names = list(names)
    required = contract.required_columns(with_target=with_target)
    if len(names) == 1 and len(required) > 1:
        for delimiter in _ALTERNATIVE_DELIMITERS:
            if delimiter in names[0]:
                shown = "\\t" if delimiter == "\t" else delimiter
                raise DataContractError(
                    f"{source}: wrong delimiter: the header is separated by '{shown}', "
                    f"expected '{contract.DELIMITER}'"
                )
    duplicated = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicated:
        raise DataContractError(f"{source}: duplicate column names: {duplicated}")
    present = set(names)
    missing = [c for c in required if c not in present]
    if missing:
        shown = ", ".join(repr(c) for c in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise DataContractError(f"{source}: missing required column(s): {shown}{more}")
    known = set(contract.CANONICAL_COLUMNS)
    return [n for n in names if n not in known]


def _bound_text(value: float) -> str:
    return f"{value:g}"


def _numeric_checks(
    spec: ColumnSpec, values: np.ndarray, not_numeric: np.ndarray | None
) -> list[tuple[np.ndarray, str]]:
    checks: list[tuple[np.ndarray, str]] = []
    name = spec.name
    if not_numeric is not None:
        checks.append((not_numeric, f"{name}: not a number"))
    with np.errstate(invalid="ignore"):
        checks.append((np.isinf(values), f"{name}: not finite"))
        finite = np.isfinite(values)
        if spec.minimum is not None:
            if spec.minimum_exclusive:
                low = finite & (values <= spec.minimum)
                checks.append((low, f"{name}: must be > {_bound_text(spec.minimum)}"))
            else:
                low = finite & (values < spec.minimum)
                checks.append((low, f"{name}: must be >= {_bound_text(spec.minimum)}"))
        if spec.maximum is not None:
            high = finite & (values > spec.maximum)
            checks.append((high, f"{name}: must be <= {_bound_text(spec.maximum)}"))
        if spec.kind == "integer":
            fractional = finite & (np.floor(values) != values)
            checks.append((fractional, f"{name}: not a whole number"))
    return checks


def _ordinal_check(spec: ColumnSpec, values: pd.Categorical) -> tuple[np.ndarray, str]:
    allowed = {*spec.scale, contract.NONE_CATEGORY}
    bad_category = np.asarray([str(c) not in allowed for c in values.categories] + [False])
    codes = np.asarray(values.codes, dtype=np.int64)
    outside = bad_category[np.where(codes >= 0, codes, len(values.categories))]
    return outside, f"{spec.name}: not one of {'/'.join(spec.scale)}"


def is_missing(values: Any) -> np.ndarray:
    """Missing cells of a typed column (NaN number, or no category)."""
    if isinstance(values, pd.Categorical):
        return np.asarray(values.codes) < 0
    return np.isnan(np.asarray(values, dtype=np.float64))


def row_checks(parsed: ParsedFrame, *, with_target: bool) -> list[tuple[np.ndarray, str]]:
    """Every (failing-rows mask, reason) pair for the typed rows."""
    frame = parsed.frame
    checks: list[tuple[np.ndarray, str]] = []
    for name in contract.required_columns(with_target=with_target):
        if name not in frame.columns:
            continue
        spec = contract.BY_NAME[name]
        values = _column(frame, name)
        not_numeric = parsed.not_numeric.get(name)
        if isinstance(values, pd.Categorical):
            if spec.kind == "ordinal":
                checks.append(_ordinal_check(spec, values))
        else:
            checks.extend(_numeric_checks(spec, values, not_numeric))
        if spec.missing == "forbidden":
            absent = is_missing(values)
            if not_numeric is not None:
                absent = absent & ~not_numeric
            checks.append((absent, f"{name}: missing"))
    return checks


def _column(frame: pd.DataFrame, name: str) -> np.ndarray | pd.Categorical:
    series = frame[name]
    if isinstance(series.dtype, pd.CategoricalDtype):
        return cast(pd.Categorical, series.array)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _absent(indicator: np.ndarray | pd.Categorical) -> np.ndarray:
    """Where an indicator column shows the feature is absent (zero amount, or empty category)."""
    if isinstance(indicator, pd.Categorical):
        return is_missing(indicator)
    with np.errstate(invalid="ignore"):
        return np.asarray(indicator == 0)


def _fill_none(values: np.ndarray | pd.Categorical, fill: np.ndarray, spec: ColumnSpec) -> Any:
    if isinstance(values, pd.Categorical):
        categories = [str(c) for c in values.categories]
        if contract.NONE_CATEGORY not in categories:
            categories.append(contract.NONE_CATEGORY)
        codes = np.asarray(values.codes, dtype=np.int64).copy()
        codes[fill] = categories.index(contract.NONE_CATEGORY)
        return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))
    filled = values.copy()
    filled[fill] = spec.none_value
    return filled


def apply_missing_semantics(
    frame: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
    """Fill "none" cells per the contract; return (frame, raw missing counts, none counts)."""
    raw = {name: _column(frame, name) for name in frame.columns}
    resolved: dict[str, Any] = {}
    missing_counts: dict[str, int] = {}
    none_counts: dict[str, int] = {}
    # Numeric columns first: categorical "none" rules read the resolved numeric indicators.
    ordered = sorted(frame.columns, key=lambda c: not contract.BY_NAME[c].is_numeric)
    for name in ordered:
        spec = contract.BY_NAME[name]
        values = raw[name]
        missing = is_missing(values)
        missing_counts[name] = int(missing.sum())
        if spec.missing == "none" and missing.any():
            fill = missing
            indicator = spec.none_if_absent
            if indicator is not None and indicator in frame.columns:
                source = raw[indicator] if spec.is_numeric else resolved[indicator]
                fill = missing & _absent(source)
            values = _fill_none(values, fill, spec)
            none_counts[name] = int(fill.sum())
        resolved[name] = values
    clean = pd.DataFrame({name: resolved[name] for name in frame.columns}, index=frame.index)
    return clean, missing_counts, none_counts


def validate(parsed: ParsedFrame, *, with_target: bool) -> Validation:
    """Apply every row check, then the missing-value semantics to the rows that passed."""
    frame = parsed.frame
    reasons: dict[int, list[str]] = {}
    failed = np.zeros(len(frame), dtype=bool)
    for mask, reason in row_checks(parsed, with_target=with_target):
        if mask.any():
            failed |= mask
            for position in np.flatnonzero(mask):
                reasons.setdefault(int(position), []).append(reason)
    passed = ~failed
    kept = frame.iloc[np.flatnonzero(passed)].reset_index(drop=True)
    clean, missing_counts, none_counts = apply_missing_semantics(kept)
    return Validation(passed, reasons, clean, missing_counts, none_counts)
