"""Check typed rows against the data contract and give missing cells their declared meaning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from ml_scripts.common import contract
from ml_scripts.common.cells import control_character, starts_like_formula
from ml_scripts.common.contract import ColumnSpec
from ml_scripts.common.errors import DataContractError
from ml_scripts.common.parse import ParsedFrame

_ALTERNATIVE_DELIMITERS = (";", "\t", "|")


@dataclass
class Validation:
    """Outcome for a batch of rows: which passed, why the others failed, the clean rows.

    `reasons` name each failed row's problems with the offending value where one helps (a value
    outside its range); `kinds` are the same problems without the value, for counting.
    """

    passed: np.ndarray
    reasons: dict[int, list[str]]
    clean: pd.DataFrame
    missing_counts: dict[str, int] = field(default_factory=dict)
    none_counts: dict[str, int] = field(default_factory=dict)
    kinds: dict[int, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RowCheck:
    """Rows failing one rule: the mask, the rule's reason and, to show, the checked values
    (numbers) or a note per row."""

    failing: np.ndarray
    reason: str
    values: np.ndarray | None = None
    notes: np.ndarray | None = None

    def detail(self, position: int) -> str:
        """The reason for one failing row, with its value or note when the rule has one."""
        if self.values is not None:
            return f"{self.reason} (got {number_text(float(self.values[position]))})"
        if self.notes is not None:
            return f"{self.reason} ({self.notes[position]})"
        return self.reason


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


def number_text(value: float, *, grouped_from: float = 10_000) -> str:
    """A number as a reason shows it: whole numbers plainly (thousands grouped from
    `grouped_from`, so years stay 2100), others in Python's shortest exact form (1e+300, 0.5)."""
    if value.is_integer() and abs(value) < 1e15:
        whole = int(value)
        return f"{whole:,}" if abs(whole) >= grouped_from else str(whole)
    return repr(value)


def range_text(spec: ColumnSpec) -> str:
    """The plausible range of a numeric column, in words: `1,000 to 10,000,000`."""
    bounds = [abs(b) for b in (spec.minimum, spec.maximum) if b is not None]
    # Both bounds grouped alike: 1,000 to 10,000,000, but 1800 to 2100.
    grouped_from = 1_000 if max(bounds, default=0.0) >= 10_000 else 10_000
    high = None if spec.maximum is None else number_text(spec.maximum, grouped_from=grouped_from)
    if spec.minimum is None:
        return f"at most {high}"
    low = number_text(spec.minimum, grouped_from=grouped_from)
    if spec.minimum_exclusive:
        return f"above {low}" if high is None else f"above {low} and at most {high}"
    return f"at least {low}" if high is None else f"{low} to {high}"


def _outside(spec: ColumnSpec, values: np.ndarray) -> np.ndarray:
    """Finite values outside the column's range."""
    outside = np.zeros(len(values), dtype=bool)
    if spec.minimum is not None:
        outside |= values <= spec.minimum if spec.minimum_exclusive else values < spec.minimum
    if spec.maximum is not None:
        outside |= values > spec.maximum
    finite_outside: np.ndarray = outside & np.isfinite(values)
    return finite_outside


def _numeric_checks(
    spec: ColumnSpec, values: np.ndarray, not_numeric: np.ndarray | None
) -> list[RowCheck]:
    checks: list[RowCheck] = []
    name = spec.name
    if not_numeric is not None:
        checks.append(RowCheck(not_numeric, f"{name}: not a number"))
    with np.errstate(invalid="ignore"):
        checks.append(RowCheck(np.isinf(values), f"{name}: not finite"))
        if spec.minimum is not None or spec.maximum is not None:
            reason = f"{name}: outside the plausible range {range_text(spec)}"
            checks.append(RowCheck(_outside(spec, values), reason, values))
        if spec.kind == "integer":
            fractional = np.isfinite(values) & (np.floor(values) != values)
            checks.append(RowCheck(fractional, f"{name}: not a whole number"))
    return checks


def _ordinal_check(spec: ColumnSpec, values: pd.Categorical) -> RowCheck:
    allowed = {*spec.scale, contract.NONE_CATEGORY}
    bad_category = np.asarray([str(c) not in allowed for c in values.categories] + [False])
    codes = np.asarray(values.codes, dtype=np.int64)
    outside = bad_category[np.where(codes >= 0, codes, len(values.categories))]
    return RowCheck(outside, f"{spec.name}: not one of {'/'.join(spec.scale)}")


def _text_checks(spec: ColumnSpec, values: pd.Categorical) -> list[RowCheck]:
    """Categories a spreadsheet would run as a formula, or holding a control character."""
    categories = [str(c) for c in values.categories]
    codes = np.asarray(values.codes, dtype=np.int64)
    # Missing cells point one past the categories, at an entry that never fails.
    index = np.where(codes >= 0, codes, len(categories))
    formula = np.asarray([starts_like_formula(c) for c in categories] + [False])
    controls = [control_character(c) for c in categories] + [None]
    has_control = np.asarray([c is not None for c in controls])
    notes = np.asarray([c or "" for c in controls], dtype=object)
    return [
        RowCheck(formula[index], f"{spec.name}: starts like a spreadsheet formula (= + - @)"),
        RowCheck(has_control[index], f"{spec.name}: holds a control character", notes=notes[index]),
    ]


def is_missing(values: Any) -> np.ndarray:
    """Missing cells of a typed column (NaN number, or no category)."""
    if isinstance(values, pd.Categorical):
        return np.asarray(values.codes) < 0
    return np.isnan(np.asarray(values, dtype=np.float64))


def row_checks(parsed: ParsedFrame, *, with_target: bool) -> list[RowCheck]:
    """Every rule's failing rows and reason, for the typed rows."""
    frame = parsed.frame
    checks: list[RowCheck] = []
    for name in contract.required_columns(with_target=with_target):
        if name not in frame.columns:
            continue
        spec = contract.BY_NAME[name]
        values = _column(frame, name)
        not_numeric = parsed.not_numeric.get(name)
        if isinstance(values, pd.Categorical):
            # Ordinal values outside their scale are refused whatever they hold.
            if spec.kind == "ordinal":
                checks.append(_ordinal_check(spec, values))
            else:
                checks.extend(_text_checks(spec, values))
        else:
            checks.extend(_numeric_checks(spec, values, not_numeric))
        if spec.missing == "forbidden":
            absent = is_missing(values)
            if not_numeric is not None:
                absent = absent & ~not_numeric
            checks.append(RowCheck(absent, f"{name}: missing"))
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
    kinds: dict[int, list[str]] = {}
    failed = np.zeros(len(frame), dtype=bool)
    for check in row_checks(parsed, with_target=with_target):
        if check.failing.any():
            failed |= check.failing
            for position in np.flatnonzero(check.failing):
                reasons.setdefault(int(position), []).append(check.detail(int(position)))
                kinds.setdefault(int(position), []).append(check.reason)
    passed = ~failed
    kept = frame.iloc[np.flatnonzero(passed)].reset_index(drop=True)
    clean, missing_counts, none_counts = apply_missing_semantics(kept)
    return Validation(passed, reasons, clean, missing_counts, none_counts, kinds)
