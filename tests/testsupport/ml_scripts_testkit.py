"""Helpers shared by the ml_scripts tests: the embedded data's rows and a CSV writer."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_FILE = REPO_ROOT / "data" / "house_data.csv"


def _read_rows() -> tuple[list[str], list[list[str]]]:
    with DATA_FILE.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


HEADER, ROWS = _read_rows()


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]], *, newline: str = "\n") -> bytes:
    """CSV bytes (minimal quoting) for a header and rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def column(name: str) -> int:
    """Position of a raw column in HEADER."""
    return HEADER.index(name)
