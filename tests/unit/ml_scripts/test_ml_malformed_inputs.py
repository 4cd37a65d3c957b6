"""Malformed raw inputs: each case asserts the exact failure message or quarantine reason."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ml_scripts.common.errors import DataContractError
from ml_scripts.processing.preprocess import ProcessingConfig, main, run_processing
from testsupport.ml_scripts_testkit import column, to_csv

Rows = list[list[str]]
PRICE_RANGE = "SalePrice: outside the plausible range 1,000 to 10,000,000"


def process(input_path: Path, output: Path, **options: Any) -> dict[str, Any]:
    """Run processing (CSV output, permissive rate unless given) and return the report."""
    options.setdefault("max_quarantine_rate", 1.0)
    config = ProcessingConfig(input_path=input_path, output_dir=output, **options)
    run_processing(config)
    return read_report(output)


def read_report(output: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((output / "report" / "processing_report.json").read_text())
    return report


def quarantine(output: Path) -> list[dict[str, str]]:
    with (output / "quarantine" / "quarantine.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fails_with(input_path: Path, output: Path, message: str, **options: Any) -> dict[str, Any]:
    options.setdefault("max_quarantine_rate", 1.0)
    config = ProcessingConfig(input_path=input_path, output_dir=output, **options)
    with pytest.raises(DataContractError) as caught:
        run_processing(config)
    assert message in str(caught.value)
    report = read_report(output)
    assert report["status"] == "failed"
    assert message in report["failure"]
    return report


# --- file-level breaches -------------------------------------------------------------------


def test_missing_input_path_fails_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    fails_with(missing, tmp_path / "out", f"missing file: input path {missing} does not exist")


def test_folder_without_csv_files_fails(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "notes.txt").write_text("not data")
    fails_with(folder, tmp_path / "out", f"missing file: no .csv or .csv.gz file under {folder}")


def test_empty_file_fails(tmp_path: Path, write_input: Callable[..., Path]) -> None:
    path = write_input(b"")
    fails_with(path, tmp_path / "out", "input.csv: empty file: no header and no data rows")


def test_header_only_file_fails(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str]
) -> None:
    path = write_input(to_csv(header, []))
    fails_with(path, tmp_path / "out", "input.csv: header-only file: no data rows")


@pytest.mark.parametrize(("delimiter", "shown"), [(";", ";"), ("\t", "\\t")])
def test_wrong_delimiter_fails_naming_it(
    *,
    tmp_path: Path,
    write_input: Callable[..., Path],
    header: list[str],
    rows: Rows,
    delimiter: str,
    shown: str,
) -> None:
    text = "\n".join(delimiter.join(r) for r in [header, *rows[:3]]) + "\n"
    path = write_input(text.encode())
    fails_with(
        path,
        tmp_path / "out",
        f"input.csv: wrong delimiter: the header is separated by '{shown}', expected ','",
    )


def test_non_utf8_bytes_fail_naming_the_line(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    rows[2][column("Neighborhood")] = "Caf\u00e9"
    content = to_csv(header, rows).decode().encode("latin-1")
    path = write_input(content)
    fails_with(
        path,
        tmp_path / "out",
        "input.csv: undecodable bytes: line 4 is not valid UTF-8 (byte 0xe9)",
    )


def test_utf16_file_fails_as_undecodable(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    path = write_input(to_csv(header, rows).decode().encode("utf-16"))
    fails_with(
        path, tmp_path / "out", "input.csv: undecodable bytes: the file is UTF-16, expected UTF-8"
    )


def test_missing_required_column_fails_naming_it(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    drop = column("SalePrice")
    path = write_input(to_csv(header[:drop], [r[:drop] for r in rows]))
    fails_with(path, tmp_path / "out", "input.csv: missing required column(s): 'SalePrice'")


def test_duplicate_column_names_fail(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    path = write_input(to_csv([*header, "SalePrice"], [[*r, r[-1]] for r in rows]))
    fails_with(path, tmp_path / "out", "input.csv: duplicate column names: ['SalePrice']")


def test_unterminated_quote_fails_naming_its_line(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    content = to_csv(header, rows[:3]) + b'1,"unterminated,2\n' + to_csv(header, rows[3:5])
    path = write_input(content)
    fails_with(path, tmp_path / "out", "input.csv: unterminated quoted field starting at line 5")


def test_zero_valid_rows_fails(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    for row in rows:
        row[column("SalePrice")] = "-1"
    path = write_input(to_csv(header, rows))
    report = fails_with(path, tmp_path / "out", "zero valid rows: all 40 rows were quarantined")
    assert report["rows_quarantined"] == 40


def test_quarantine_rate_above_the_default_limit_fails(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    for row in rows[:3]:
        row[column("SalePrice")] = "abc"
    path = write_input(to_csv(header, rows))
    report = fails_with(
        path,
        tmp_path / "out",
        "quarantine rate 7.50% is above the limit 5.00% (3 of 40 rows; "
        "most common: 'SalePrice: not a number' x3)",
        max_quarantine_rate=0.05,
    )
    assert report["invariant_holds"] is True


def test_cli_exits_non_zero_with_one_message(
    tmp_path: Path, write_input: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_input(b"")
    code = main(["--input-dir", str(path), "--output-dir", str(tmp_path / "out")])
    assert code == 1
    assert capsys.readouterr().err == (
        "processing failed: input.csv: empty file: no header and no data rows\n"
    )


# --- accepted inputs -----------------------------------------------------------------------


def test_utf8_bom_is_accepted(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    path = write_input(b"\xef\xbb\xbf" + to_csv(header, rows))
    report = process(path, tmp_path / "out")
    assert (report["status"], report["rows_clean"], report["warnings"]) == ("succeeded", 40, [])


def test_crlf_line_endings_are_accepted(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    report = process(write_input(to_csv(header, rows, newline="\r\n")), tmp_path / "out")
    assert (report["rows_in"], report["rows_clean"]) == (40, 40)


def test_quoted_newline_is_one_row_and_later_line_numbers_stay_right(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    rows[0][column("Exterior 1st")] = "Vinyl\nSd"
    rows[1][column("SalePrice")] = "-5"
    report = process(write_input(to_csv(header, rows)), tmp_path / "out")
    assert (report["rows_in"], report["rows_clean"], report["rows_quarantined"]) == (40, 38, 2)
    bad = quarantine(tmp_path / "out")
    # Header is line 1, the quoted row spans lines 2-3, so the next row starts on line 4. A
    # newline is no part of any category, so the quoted row itself is refused too.
    assert [(b["line_number"], b["reason"]) for b in bad] == [
        ("2", "Exterior 1st: holds a control character (U+000A)"),
        ("4", "SalePrice: outside the plausible range 1,000 to 10,000,000 (got -5)"),
    ]


def test_extra_columns_are_ignored_with_a_warning(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    path = write_input(to_csv([*header, "Agent"], [[*r, "x"] for r in rows]))
    report = process(path, tmp_path / "out")
    assert report["rows_clean"] == 40
    assert report["warnings"] == ["input.csv: ignored extra column(s) ['Agent']"]
    assert report["files"][0]["extra_columns"] == ["Agent"]


def test_gzip_and_many_files_with_different_column_orders(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    order = list(reversed(range(len(header))))
    reordered = to_csv([header[i] for i in order], [[r[i] for i in order] for r in rows[20:]])
    write_input(gzip.compress(to_csv(header, rows[:20])), "part-1.csv.gz")
    # The second file repeats rows 20-39 in another column order: those are duplicates.
    write_input(reordered, "part-2.csv")
    write_input(to_csv(header, rows[20:]), "sub/part-3.csv")
    report = process(tmp_path / "input", tmp_path / "out")
    files = {
        f["file"]: (f["rows_in"], f["rows_clean"], f["rows_duplicate"]) for f in report["files"]
    }
    assert files == {
        "part-1.csv.gz": (20, 20, 0),
        "part-2.csv": (20, 20, 0),
        "sub/part-3.csv": (20, 0, 20),
    }


# --- row-level problems are quarantined with line number and reason ------------------------


@pytest.mark.parametrize(
    ("column_name", "value", "reason"),
    [
        ("SalePrice", "abc", "SalePrice: not a number"),
        ("SalePrice", "-100", f"{PRICE_RANGE} (got -100)"),
        ("SalePrice", "0", f"{PRICE_RANGE} (got 0)"),
        ("SalePrice", "1e300", f"{PRICE_RANGE} (got 1e+300)"),
        ("SalePrice", "1e-300", f"{PRICE_RANGE} (got 1e-300)"),
        ("SalePrice", "215", f"{PRICE_RANGE} (got 215)"),
        ("SalePrice", "12000000", f"{PRICE_RANGE} (got 12,000,000)"),
        ("SalePrice", "inf", "SalePrice: not finite"),
        ("SalePrice", "", "SalePrice: missing"),
        ("SalePrice", "nan", "SalePrice: not a number"),
        ("Wood Deck SF", "-3", "Wood Deck SF: outside the plausible range 0 to 50,000 (got -3)"),
        (
            "Gr Liv Area",
            "1e9",
            "Gr Liv Area: outside the plausible range above 0 and at most "
            "50,000 (got 1,000,000,000)",
        ),
        (
            "Lot Area",
            "0",
            "Lot Area: outside the plausible range above 0 and at most 5,000,000 (got 0)",
        ),
        (
            "Lot Frontage",
            "31300",
            "Lot Frontage: outside the plausible range 0 to 5000 (got 31,300)",
        ),
        (
            "Misc Val",
            "2.5e6",
            "Misc Val: outside the plausible range 0 to 1,000,000 (got 2,500,000)",
        ),
        ("Bedroom AbvGr", "33", "Bedroom AbvGr: outside the plausible range 0 to 20 (got 33)"),
        ("TotRms AbvGrd", "51", "TotRms AbvGrd: outside the plausible range 0 to 50 (got 51)"),
        (
            "Garage Yr Blt",
            "2207",
            "Garage Yr Blt: outside the plausible range 1800 to 2100 (got 2207)",
        ),
        ("Year Built", "1700", "Year Built: outside the plausible range 1800 to 2100 (got 1700)"),
        ("Overall Qual", "5.5", "Overall Qual: not a whole number"),
        ("Kitchen Qual", "Superb", "Kitchen Qual: not one of Po/Fa/TA/Gd/Ex"),
        ("Neighborhood", "", "Neighborhood: missing"),
    ],
)
def test_bad_cell_quarantines_the_row(
    *,
    tmp_path: Path,
    write_input: Callable[..., Path],
    header: list[str],
    rows: Rows,
    column_name: str,
    value: str,
    reason: str,
) -> None:
    rows[5][column(column_name)] = value
    report = process(write_input(to_csv(header, rows)), tmp_path / "out")
    bad = quarantine(tmp_path / "out")
    assert [(b["source_file"], b["line_number"], b["reason"]) for b in bad] == [
        ("input.csv", "7", reason)
    ]
    assert bad[0]["raw_row"].split(",")[0] == rows[5][0]
    # The report counts each rule once, without the values.
    assert report["reasons"] == {reason.split(" (got ", maxsplit=1)[0]: 1}
    assert (report["rows_clean"], report["rows_quarantined"]) == (39, 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (-1, "row: too few fields (expected 82, found 81)"),
        (1, "row: too many fields (expected 82, found 83)"),
    ],
)
def test_wrong_field_count_quarantines_the_row(
    *,
    tmp_path: Path,
    write_input: Callable[..., Path],
    header: list[str],
    rows: Rows,
    change: int,
    reason: str,
) -> None:
    rows[3] = rows[3][:-1] if change < 0 else [*rows[3], "extra"]
    process(write_input(to_csv(header, rows)), tmp_path / "out")
    assert [(b["line_number"], b["reason"]) for b in quarantine(tmp_path / "out")] == [
        ("5", reason)
    ]


def test_exact_duplicates_are_counted_not_quarantined(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    report = process(
        write_input(to_csv(header, [*rows, rows[0], rows[1], rows[0]])), tmp_path / "out"
    )
    assert (report["rows_in"], report["rows_clean"], report["rows_duplicate"]) == (43, 40, 3)
    assert report["rows_quarantined"] == 0
    assert report["invariant_holds"] is True


def test_several_problems_in_one_row_are_all_named(
    tmp_path: Path, write_input: Callable[..., Path], header: list[str], rows: Rows
) -> None:
    rows[0][column("SalePrice")] = "-1"
    rows[0][column("Mo Sold")] = "13"
    report = process(write_input(to_csv(header, rows)), tmp_path / "out")
    assert [b["reason"] for b in quarantine(tmp_path / "out")] == [
        f"Mo Sold: outside the plausible range 1 to 12 (got 13); {PRICE_RANGE} (got -1)"
    ]
    assert report["reasons"] == {"Mo Sold: outside the plausible range 1 to 12": 1, PRICE_RANGE: 1}
