"""The totals of a ProcessData run on several instances, as one instance would report them.

Each instance reports its own shard (`report/processing_report-<host>.json`), and its row
invariant holds there. A row that is in two shards (the same row in two input files that
different instances read) is counted once per shard: kept as clean by both, or quarantined by
both, where one instance would keep the first and count the other as a duplicate. Every clean
row and every quarantined row of the right shape carries its content key (`row_key`), so the
repeats are found here: the first part in name order keeps the row, and the others' copies
move from clean (or quarantined) to duplicate. Readers of the splits drop the same copies
(`common/io.read_split`, `training/shards.py`).

    python -m ml_scripts.processing.combine FOLDER   # the folder that holds train/, report/, ...
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ml_scripts import layout
from ml_scripts.common.io import ROW_KEY, first_occurrences, read_table, table_files

COUNTS = ("rows_in", "rows_clean", "rows_quarantined", "rows_duplicate")


def _split_keys(folder: Path) -> np.ndarray:
    parts = [read_table(path)[ROW_KEY].to_numpy() for path in table_files(folder)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def _quarantine_keys(folder: Path) -> list[int]:
    keys: list[int] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            keys.extend(int(row[ROW_KEY]) for row in csv.DictReader(handle) if row.get(ROW_KEY))
    return keys


def combine(output: Path) -> dict[str, Any]:
    """Totals over every instance's report, with rows repeated across shards counted once."""
    paths = sorted((output / layout.REPORT_OUTPUT).glob("*.json"))
    reports = [json.loads(path.read_text()) for path in paths]
    if not reports:
        raise FileNotFoundError(f"no processing report under {output / layout.REPORT_OUTPUT}")
    totals = {name: sum(int(r[name]) for r in reports) for name in COUNTS}
    splits: dict[str, int] = {}
    repeated_clean = 0
    for split in layout.SPLITS:
        keys = _split_keys(output / split)
        keep = first_occurrences(keys)
        splits[split] = int(keep.sum())
        repeated_clean += int((~keep).sum())
    quarantined = np.asarray(_quarantine_keys(output / layout.QUARANTINE_OUTPUT), dtype=np.uint64)
    repeated_bad = int((~first_occurrences(quarantined)).sum())
    totals["rows_clean"] -= repeated_clean
    totals["rows_quarantined"] -= repeated_bad
    totals["rows_duplicate"] += repeated_clean + repeated_bad
    return {
        "instances": [r.get("host") for r in reports],
        "per_instance_invariant_holds": all(bool(r["invariant_holds"]) for r in reports),
        **totals,
        "repeated_across_shards": {"clean": repeated_clean, "quarantined": repeated_bad},
        "invariant_holds": totals["rows_in"]
        == totals["rows_clean"] + totals["rows_quarantined"] + totals["rows_duplicate"],
        "splits": splits,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the combined totals as JSON; exit 1 when the folder holds no report."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m ml_scripts.processing.combine OUTPUT_FOLDER", file=sys.stderr)
        return 2
    try:
        print(json.dumps(combine(Path(args[0])), indent=2, sort_keys=True))
    except FileNotFoundError as error:
        print(f"combine: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
