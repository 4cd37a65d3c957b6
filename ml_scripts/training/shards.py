"""The rows of a split that one training host reads: its contiguous share of all parts.

Every host gets every part of a channel (FullyReplicated: the processed splits are compact
parquet), reads the row keys of all of them, and then only its own rows. The rows of all parts,
in part-name order and without the rows repeated across parts (the same row in two processing
hosts' shards, recognised by its row key; the first part keeps it), are cut into as many
contiguous slices as there are hosts; host r reads slice r, and from parquet only the row
groups that hold it. So the hosts' shards, one after the other, are exactly the rows one host
would read, in the same order, whatever the number of parts: one part from a single
processing instance is still shared by every training host (ShardedByS3Key on the channel
would leave a host without data whenever there are fewer parts than hosts).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ml_scripts.common.io import (
    PARQUET_SUFFIX,
    ROW_KEY,
    first_occurrences,
    normalize_clean_frame,
    read_table,
    table_files,
)


@dataclass(frozen=True)
class Shard:
    """Where this host's rows lie among all rows of a split."""

    parts: int
    rows: int  # rows of all parts, repeats across parts left out
    repeated: int  # rows left out because an earlier part holds the same row
    start: int  # this host's rows are [start, stop) of the `rows`
    stop: int


def _row_count(path: Path) -> int:
    if path.name.endswith(PARQUET_SUFFIX):
        import pyarrow.parquet as pq  # noqa: PLC0415 (parquet parts imply pyarrow)

        return int(pq.ParquetFile(path).metadata.num_rows)
    return len(read_table(path))


def _row_keys(path: Path) -> np.ndarray | None:
    """The part's row keys (None when it has none: written before keys, or by hand)."""
    if path.name.endswith(PARQUET_SUFFIX):
        import pyarrow.parquet as pq  # noqa: PLC0415

        if ROW_KEY not in pq.ParquetFile(path).schema_arrow.names:
            return None
        column = pq.read_table(path, columns=[ROW_KEY]).column(ROW_KEY)
        return np.asarray(column.to_numpy(), dtype=np.uint64)
    header = pd.read_csv(path, nrows=0).columns
    if ROW_KEY not in header:
        return None
    return pd.read_csv(path, usecols=[ROW_KEY], dtype={ROW_KEY: "uint64"})[ROW_KEY].to_numpy()


def _read_rows(path: Path, wanted: np.ndarray, total: int) -> pd.DataFrame:
    """Rows `wanted` (sorted positions) of one part, reading only the row groups that hold them."""
    if len(wanted) == total or not path.name.endswith(PARQUET_SUFFIX):
        frame = read_table(path)
        return frame if len(wanted) == total else frame.iloc[wanted].reset_index(drop=True)
    import pyarrow.parquet as pq  # noqa: PLC0415

    handle = pq.ParquetFile(path)
    sizes = [handle.metadata.row_group(i).num_rows for i in range(handle.num_row_groups)]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    holding = np.searchsorted(starts, wanted[[0, -1]], side="right") - 1
    # Every group from the first to the last that holds a wanted row: a host's rows are one
    # run of the part (with at most a few repeated rows left out).
    groups = list(range(int(holding[0]), int(holding[1]) + 1))
    offset = int(starts[groups[0]])
    frame = normalize_clean_frame(handle.read_row_groups(groups).to_pandas())
    return frame.iloc[wanted - offset].reset_index(drop=True)


def read_shard(directory: Path, rank: int, size: int) -> tuple[pd.DataFrame, Shard]:
    """This host's rows of the split under `directory` (rank of size hosts), and where they lie."""
    files = table_files(directory)
    if not files:
        raise FileNotFoundError(f"no parquet or CSV files under {directory}")
    counts = [_row_count(path) for path in files]
    keys = [_row_keys(path) for path in files]
    if all(k is not None for k in keys) and keys:
        keep = first_occurrences(np.concatenate([k for k in keys if k is not None]))
    else:
        keep = np.ones(sum(counts), dtype=bool)
    positions = np.flatnonzero(keep)
    start, stop = rank * len(positions) // size, (rank + 1) * len(positions) // size
    mine = positions[start:stop]
    frames = []
    offset = 0
    for path, count in zip(files, counts, strict=True):
        local = mine[(mine >= offset) & (mine < offset + count)] - offset
        if len(local):
            frames.append(_read_rows(path, local, count))
        offset += count
    if not frames:
        frame = normalize_clean_frame(read_table(files[0]).iloc[:0])
    elif len(frames) == 1:
        frame = frames[0]
    else:
        frame = normalize_clean_frame(pd.concat(frames, ignore_index=True))
    shard = Shard(
        parts=len(files),
        rows=len(positions),
        repeated=int((~keep).sum()),
        start=start,
        stop=stop,
    )
    return frame, shard
