"""The data contract is consistent with itself and with the embedded data."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from ml_scripts.common import contract
from testsupport.ml_scripts_testkit import DATA_FILE, HEADER, ROWS, column, to_csv


def test_contract_columns_are_the_embedded_files_columns_in_order() -> None:
    assert tuple(HEADER) == contract.CANONICAL_COLUMNS


def test_required_columns_are_the_features_plus_the_target() -> None:
    assert contract.required_columns(with_target=True)[-1] == contract.TARGET
    assert contract.TARGET not in contract.required_columns(with_target=False)
    assert not set(contract.ID_COLUMNS) & set(contract.REQUIRED_COLUMNS)


def test_none_rules_never_form_a_cycle() -> None:
    # Numeric columns read categorical indicators and vice versa, so one pass resolves both.
    for spec in contract.COLUMNS:
        if spec.none_if_absent is None:
            continue
        indicator = contract.BY_NAME[spec.none_if_absent]
        assert spec.missing == "none"
        assert spec.is_numeric != indicator.is_numeric, spec.name


def test_ordinal_columns_declare_a_scale_and_others_do_not() -> None:
    for spec in contract.COLUMNS:
        assert bool(spec.scale) == (spec.kind == "ordinal"), spec.name


def test_none_value_is_the_none_category_zero_or_nan_for_years() -> None:
    assert contract.BY_NAME["Pool QC"].none_value == contract.NONE_CATEGORY
    assert contract.BY_NAME["Garage Area"].none_value == 0.0
    assert pd.isna(contract.BY_NAME["Garage Yr Blt"].none_value)


def test_documented_none_columns_mean_none() -> None:
    for name in ("Pool QC", "Alley", "Fence", "Fireplace Qu", "Misc Feature", "Garage Qual"):
        assert contract.BY_NAME[name].missing == "none", name


def test_embedded_data_types_match_the_contract() -> None:
    frame = pd.read_csv(DATA_FILE, keep_default_na=False, na_values=[""])
    for spec in contract.COLUMNS:
        if spec.is_numeric:
            assert pd.api.types.is_numeric_dtype(frame[spec.name]), spec.name


def test_pandera_schema_built_from_the_contract_accepts_the_clean_rows() -> None:
    pandera = pytest.importorskip("pandera.pandas")
    checks = {}
    for spec in contract.COLUMNS:
        if not spec.is_numeric:
            continue
        rules = []
        if spec.minimum is not None:
            op = pandera.Check.gt if spec.minimum_exclusive else pandera.Check.ge
            rules.append(op(spec.minimum))
        if spec.maximum is not None:
            rules.append(pandera.Check.le(spec.maximum))
        checks[spec.name] = pandera.Column(float, rules, nullable=spec.missing != "forbidden")
    schema = pandera.DataFrameSchema(checks)
    frame = pd.read_csv(DATA_FILE, keep_default_na=False, na_values=[""])
    numeric = frame[list(checks)].astype(float)
    # The one row the contract quarantines (Garage Yr Blt 2207) is the one pandera rejects too.
    bad = numeric["Garage Yr Blt"] > contract.YEAR_MAX
    assert int(bad.sum()) == 1
    schema.validate(numeric[~bad])


def test_every_numeric_column_has_a_plausible_range_the_embedded_data_keeps_to() -> None:
    frame = pd.read_csv(DATA_FILE, keep_default_na=False, na_values=[""])
    outside: dict[str, int] = {}
    for spec in contract.COLUMNS:
        if not spec.is_numeric:
            continue
        assert spec.minimum is not None and spec.maximum is not None, spec.name
        values = frame[spec.name].dropna().astype(float)
        low = values <= spec.minimum if spec.minimum_exclusive else values < spec.minimum
        count = int((low | (values > spec.maximum)).sum())
        if count:
            outside[spec.name] = count
    # The one typo of the data set (a garage built in 2207); no real row is outside a range.
    assert outside == {"Garage Yr Blt": 1}


def test_absurd_prices_added_to_the_embedded_data_are_quarantined(tmp_path: Path) -> None:
    """F2 of the security review: one added row with SalePrice 1e300 used to land in train."""
    from ml_scripts.processing.preprocess import ProcessingConfig, run_processing

    huge, tiny = list(ROWS[0]), list(ROWS[1])
    huge[column("SalePrice")], tiny[column("SalePrice")] = "1e300", "1e-300"
    source = tmp_path / "sales.csv"
    source.write_bytes(to_csv(HEADER, [*ROWS, huge, tiny]))

    report = run_processing(ProcessingConfig(input_path=source, output_dir=tmp_path / "out"))

    assert (report.rows_in, report.rows_clean, report.rows_quarantined) == (2639, 2636, 3)
    assert report.splits == {"train": 1857, "validation": 427, "test": 352}
    with (tmp_path / "out" / "quarantine" / "quarantine.csv").open(newline="") as handle:
        bad = {row["line_number"]: row["reason"] for row in csv.DictReader(handle)}
    price_range = "SalePrice: outside the plausible range 1,000 to 10,000,000"
    assert bad["2639"] == f"{price_range} (got 1e+300)"
    assert bad["2640"] == f"{price_range} (got 1e-300)"
    assert report.reasons[price_range] == 2
