"""Validation semantics (none vs unknown) and the feature transform on small frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_scripts.common import contract
from ml_scripts.common.features import ENGINEERED, FeatureTransform, TransformFitter, fit_transform
from ml_scripts.common.parse import ParsedFrame, parse_csv_records, parse_json_records
from ml_scripts.common.validate import check_header, validate
from testsupport.ml_scripts_testkit import HEADER, ROWS, column, to_csv


def parsed(rows: list[list[str]]) -> ParsedFrame:
    blob = to_csv(HEADER, rows).split(b"\n", 1)[1]
    return parse_csv_records(blob, HEADER, len(rows))


def clean_rows(count: int = 300) -> pd.DataFrame:
    outcome = validate(parsed([list(r) for r in ROWS[:count]]), with_target=True)
    return outcome.clean


def test_empty_pool_quality_means_none_when_the_pool_area_is_zero() -> None:
    row = list(ROWS[0])
    row[column("Pool QC")], row[column("Pool Area")] = "", "0"
    clean = validate(parsed([row]), with_target=True).clean
    assert clean["Pool QC"].iloc[0] == contract.NONE_CATEGORY


def test_empty_pool_quality_means_unknown_when_there_is_a_pool() -> None:
    row = list(ROWS[0])
    row[column("Pool QC")], row[column("Pool Area")] = "", "512"
    clean = validate(parsed([row]), with_target=True).clean
    assert pd.isna(clean["Pool QC"].iloc[0])


def test_no_garage_fills_garage_amounts_with_zero_and_year_stays_missing() -> None:
    row = list(ROWS[0])
    for name in ("Garage Type", "Garage Yr Blt", "Garage Finish", "Garage Qual", "Garage Cond"):
        row[column(name)] = ""
    row[column("Garage Cars")], row[column("Garage Area")] = "", ""
    outcome = validate(parsed([row]), with_target=True)
    clean = outcome.clean
    assert (clean["Garage Cars"].iloc[0], clean["Garage Area"].iloc[0]) == (0.0, 0.0)
    assert pd.isna(clean["Garage Yr Blt"].iloc[0])
    assert clean["Garage Qual"].iloc[0] == contract.NONE_CATEGORY
    assert outcome.none_counts["Garage Area"] == 1


def test_values_are_stripped_and_na_token_is_missing() -> None:
    row = list(ROWS[0])
    row[column("Sale Type")], row[column("Alley")] = "WD ", "NA"
    clean = validate(parsed([row]), with_target=True).clean
    assert clean["Sale Type"].iloc[0] == "WD"
    assert clean["Alley"].iloc[0] == contract.NONE_CATEGORY


def test_scoring_input_needs_no_target() -> None:
    rows = [r[: column("SalePrice")] for r in ROWS[:3]]
    header = HEADER[: column("SalePrice")]
    check_header(header, "request", with_target=False)
    blob = to_csv(header, rows).split(b"\n", 1)[1]
    outcome = validate(parse_csv_records(blob, header, 3), with_target=False)
    assert outcome.passed.all()


def test_json_records_parse_like_csv_rows() -> None:
    records: list[dict[str, object]] = [dict(zip(HEADER, r, strict=True)) for r in ROWS[:5]]
    records[0]["Gr Liv Area"] = 1656  # numbers may arrive as JSON numbers
    records[0]["MS SubClass"] = 20.0  # a numeric code sent as a float is still the code "20"
    from_json = validate(parse_json_records(records), with_target=True).clean
    from_csv = clean_rows(5)
    pd.testing.assert_frame_equal(
        from_json.astype(object), from_csv[from_json.columns].astype(object), check_dtype=False
    )


def test_transform_is_json_round_trippable(tmp_path: Path) -> None:
    clean = clean_rows()
    transform = fit_transform(clean)
    transform.save(tmp_path / "t.json")
    loaded = FeatureTransform.load(tmp_path / "t.json")
    assert loaded.feature_names == transform.feature_names
    np.testing.assert_array_equal(loaded.transform(clean), transform.transform(clean))


def test_chunked_fit_equals_one_shot_fit() -> None:
    clean = clean_rows()
    fitter = TransformFitter()
    for start in range(0, len(clean), 70):
        fitter.update(clean.iloc[start : start + 70])
    assert fitter.finish().to_dict() == fit_transform(clean).to_dict()


def test_transform_handles_unseen_and_missing_levels() -> None:
    clean = clean_rows()
    transform = fit_transform(clean)
    odd = clean.iloc[:2].copy()
    odd["Neighborhood"] = pd.Categorical(["Atlantis", None])
    matrix = transform.transform(odd)
    encoded = transform.feature_names.index("Neighborhood (target mean)")
    prior = transform.target_encoding["Neighborhood"].prior
    assert matrix[:, encoded].tolist() == pytest.approx([prior, prior])
    one_hot = [i for i, n in enumerate(transform.feature_names) if n.startswith("Neighborhood=")]
    assert matrix[:, one_hot].sum() == 0


def test_ordinal_quality_scale_is_ranked() -> None:
    clean = clean_rows(40)
    transform = fit_transform(clean)
    ranks = transform.ordinal["Kitchen Qual"]
    assert ranks["None"] < ranks["Po"] < ranks["Fa"] < ranks["TA"] < ranks["Gd"] < ranks["Ex"]


def test_engineered_features_follow_the_documentation() -> None:
    clean = clean_rows(5)
    transform = fit_transform(clean)
    matrix = transform.transform(clean)
    name = transform.feature_names
    total = clean["Gr Liv Area"] + clean["Total Bsmt SF"]
    np.testing.assert_allclose(matrix[:, name.index("Total SF")], total)
    age = clean["Yr Sold"] - clean["Year Built"]
    np.testing.assert_allclose(matrix[:, name.index("House Age")], age)
    assert set(ENGINEERED) <= set(name)


def test_target_encoding_uses_only_the_rows_it_was_fitted_on() -> None:
    clean = clean_rows()
    first = fit_transform(clean.iloc[:150]).target_encoding["Neighborhood"]
    both = fit_transform(clean).target_encoding["Neighborhood"]
    assert first.levels != both.levels
