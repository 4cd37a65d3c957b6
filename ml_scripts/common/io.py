"""Small file helpers shared by the steps: JSON, split tables, hashes, logging, paths."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from ml_scripts.common import contract
from ml_scripts.common.parse import as_categorical

PARQUET_SUFFIX = ".parquet"
# The processing step's 64-bit content key of each clean row (processing/keys.py). It travels
# with the row in the splits, so a row that two processing hosts both kept (it was in both of
# their shards) is recognised when the parts are read together, and kept once.
ROW_KEY = "row_key"
CSV_SUFFIXES = (".csv", ".csv.gz")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

logger = logging.getLogger(__name__)


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Plain logging to stdout, or `stream` (called by each main, never at import)."""
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=stream or sys.stdout, force=True)


def env_path(name: str, default: str) -> Path:
    """A path from the environment variable `name`, else `default`."""
    return Path(os.environ.get(name) or default)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write pretty, key-sorted JSON (NaN is refused: it is not JSON)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_json(path: Path) -> Any:
    """Parse a JSON file."""
    return json.loads(path.read_text())


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_files(directory: Path) -> list[Path]:
    """Parquet or CSV files of a split directory (recursively, in a stable order)."""
    if directory.is_file():
        return [directory]
    files = [
        p
        for p in directory.rglob("*")
        if p.is_file() and (p.name.endswith(PARQUET_SUFFIX) or p.name.endswith(CSV_SUFFIXES))
    ]
    return sorted(files)


def _csv_dtypes() -> dict[str, str]:
    types = {s.name: ("float64" if s.is_numeric else "category") for s in contract.COLUMNS}
    return {**types, ROW_KEY: "uint64"}


def read_table(path: Path) -> pd.DataFrame:
    """One split file as a frame with float64 numeric and object text columns."""
    if path.name.endswith(PARQUET_SUFFIX):
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(
            path, dtype=_csv_dtypes(), keep_default_na=False, na_values=[""], encoding="utf-8"
        )
    return normalize_clean_frame(frame)


def normalize_clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes whatever the reader or library version: float64 numbers, categorical text."""
    columns: dict[str, Any] = {}
    for name in frame.columns:
        spec = contract.BY_NAME.get(name)
        if name == ROW_KEY:
            columns[name] = frame[name].to_numpy(dtype=np.uint64)
        elif spec is not None and spec.is_numeric:
            columns[name] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            columns[name] = as_categorical(frame[name])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def read_split(directory: Path) -> pd.DataFrame:
    """All rows of a split directory (or file) written by the processing step.

    The parts of several processing hosts are read in name order; a row whose key an earlier
    part already holds is dropped (the same row in two hosts' shards), as one host would have
    counted it a duplicate.
    """
    files = table_files(directory)
    if not files:
        raise FileNotFoundError(f"no parquet or CSV files under {directory}")
    frames = [read_table(p) for p in files]
    frames = [f for f in frames if len(f.columns)]
    if len(frames) == 1:
        return frames[0]
    frame = normalize_clean_frame(pd.concat(frames, ignore_index=True))
    keep = first_occurrences(frame[ROW_KEY].to_numpy()) if ROW_KEY in frame else None
    if keep is None or keep.all():
        return frame
    logger.info("%s: dropped %d rows repeated across parts", directory, int((~keep).sum()))
    return frame.iloc[np.flatnonzero(keep)].reset_index(drop=True)


def first_occurrences(keys: np.ndarray) -> np.ndarray:
    """Mask of the rows whose key was not seen earlier in `keys`."""
    keep = np.zeros(len(keys), dtype=bool)
    keep[np.unique(keys, return_index=True)[1]] = True
    return keep


def hash_files(paths: Iterable[Path], root: Path | None = None) -> dict[str, str]:
    """{relative path: sha256} for the given files."""
    out: dict[str, str] = {}
    for path in paths:
        key = str(path.relative_to(root)) if root is not None else str(path)
        out[key] = sha256_file(path)
    return out
