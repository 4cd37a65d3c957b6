"""Property: every raw row is counted exactly once, whatever mix of problems the input has."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_scripts.common.errors import DataContractError
from ml_scripts.processing.preprocess import ProcessingConfig, run_processing
from testsupport.ml_scripts_testkit import HEADER, ROWS, column

MUTATIONS = ("ok", "few", "many", "bad_price", "negative_area", "quoted_newline", "duplicate")
BAD_PRICES = ("abc", "-1", "0", "inf", "", "1e999")
CLEAN_ROWS = ROWS[:40]

row_specs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=len(CLEAN_ROWS) - 1),
        st.sampled_from(MUTATIONS),
        st.sampled_from(BAD_PRICES),
    ),
    min_size=1,
    max_size=25,
)


# Mutations that set one field: (column, value), where None stands for the sampled bad price.
FIELD_MUTATIONS: dict[str, tuple[str, str | None]] = {
    "bad_price": ("SalePrice", None),
    "negative_area": ("Gr Liv Area", "-10"),
    "quoted_newline": ("Exterior 1st", "Vinyl\nSd"),
}


def _mutate(
    row: list[str], mutation: str, price: str, earlier: list[list[str]], index: int
) -> list[str]:
    """The row with its mutation applied; "duplicate" copies one of the `earlier` rows."""
    if mutation == "duplicate":
        return list(earlier[index % len(earlier)]) if earlier else row
    if mutation == "few":
        return row[:-1]
    if mutation == "many":
        return [*row, "x"]
    if mutation in FIELD_MUTATIONS:
        name, value = FIELD_MUTATIONS[mutation]
        row[column(name)] = price if value is None else value
    return row


def _build(specs: list[tuple[int, str, str]]) -> tuple[list[list[str]], dict[str, int]]:
    rows: list[list[str]] = []
    expected = {"quarantined": 0, "duplicate": 0}
    seen: set[tuple[str, ...]] = set()
    for index, mutation, price in specs:
        row = list(CLEAN_ROWS[index])
        # Unique identifiers: only the "duplicate" mutation repeats a row exactly.
        row[column("Order")] = str(len(rows) + 1)
        row = _mutate(row, mutation, price, rows, index)
        rows.append(row)
        if len(row) != len(HEADER):
            expected["quarantined"] += 1
        elif tuple(row) in seen:
            expected["duplicate"] += 1
        else:
            seen.add(tuple(row))
            if mutation in ("bad_price", "negative_area", "quoted_newline") or row_has_error(row):
                expected["quarantined"] += 1
    return rows, expected


def row_has_error(row: list[str]) -> bool:
    price = row[column("SalePrice")]
    area = row[column("Gr Liv Area")]
    # A newline is a control character: no category may hold one.
    return price in BAD_PRICES or area == "-10" or "\n" in row[column("Exterior 1st")]


def _count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=row_specs, crlf=st.booleans(), blank_lines=st.integers(0, 2))
def test_rows_in_equals_clean_plus_quarantined_plus_duplicate(
    specs: list[tuple[int, str, str]], crlf: bool, blank_lines: int
) -> None:
    rows, expected = _build(specs)
    newline = "\r\n" if crlf else "\n"
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        source = root / "raw.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator=newline)
            writer.writerow(HEADER)
            writer.writerows(rows)
            handle.write(newline * blank_lines)
        config = ProcessingConfig(
            input_path=source, output_dir=root / "out", max_quarantine_rate=1.0, output_format="csv"
        )
        try:
            report = run_processing(config).to_dict(config)
        except DataContractError as exc:
            # Tiny inputs may legitimately fail; the report still accounts for every row.
            assert str(exc).startswith(("zero valid rows", "no rows landed in the train split"))
            report = json.loads((root / "out/report/processing_report.json").read_text())
        split_rows = sum(
            _count_rows(root / "out" / split / f"{split}.csv")
            for split in ("train", "validation", "test")
        )
        quarantined = _count_rows(root / "out/quarantine/quarantine.csv")

    assert report["rows_in"] == len(rows)
    assert report["rows_in"] == (
        report["rows_clean"] + report["rows_quarantined"] + report["rows_duplicate"]
    )
    assert report["invariant_holds"] is True
    assert report["rows_quarantined"] == expected["quarantined"] == quarantined
    assert report["rows_duplicate"] == expected["duplicate"]
    assert report["rows_clean"] == split_rows
