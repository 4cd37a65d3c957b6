"""Helpers shared by the ml_scripts tests: the embedded data's rows, a CSV writer, and a way to
run a script as its container does."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
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


def run_python(
    args: Sequence[str],
    *,
    cwd: Path,
    pythonpath: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run this interpreter in a bare environment (PATH, PYTHONPATH and `env` only), as a
    container runs a step; fail with its output unless it exits 0, else return its stdout."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        **({"PYTHONPATH": str(pythonpath)} if pythonpath is not None else {}),
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, *args],
        check=False,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
