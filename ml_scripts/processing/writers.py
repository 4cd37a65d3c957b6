"""Streaming writers for the processing outputs: the three splits and the quarantine file."""

from __future__ import annotations

import csv
import importlib.util
import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from ml_scripts.common import contract
from ml_scripts.common.cells import neutralised

OutputFormat = Literal["parquet", "csv"]
# row_key: the row's content key (processing/keys.py), empty for a row of the wrong shape
# (its key was never taken): the same bad row quarantined by two instances has the same key.
QUARANTINE_COLUMNS = ("source_file", "line_number", "reason", "raw_row", "row_key")

logger = logging.getLogger(__name__)


def resolve_format(requested: str) -> OutputFormat:
    """'auto' means parquet when pyarrow can be imported, CSV otherwise."""
    has_pyarrow = importlib.util.find_spec("pyarrow") is not None
    if requested == "parquet" and not has_pyarrow:
        raise RuntimeError("parquet output needs pyarrow, which is not installed")
    if requested == "csv" or not has_pyarrow:
        if requested == "auto":
            logger.warning("pyarrow is not installed: writing the splits as CSV")
        return "csv"
    return "parquet"


_Writer = TypeVar("_Writer", bound="_ClosedOnExit")


class _ClosedOnExit:
    """A writer used in a `with` block: leaving the block closes it, error or not."""

    def close(self) -> None:
        """Flush and close."""
        raise NotImplementedError

    def __enter__(self: _Writer) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SplitWriters(_ClosedOnExit):
    """One table per split under `<output>/<split>/`, written chunk by chunk.

    Parquet text columns are dictionary-encoded: smaller, faster to write, and read back by
    pandas as categoricals. `key_column` names the rows' content keys, passed beside the
    frame and stored as an unsigned 64-bit last column. `name_suffix` tells the files of one
    instance from another's (`train-algo-2.parquet`).
    """

    def __init__(
        self,
        output_dir: Path,
        splits: Sequence[str],
        columns: Sequence[str],
        fmt: OutputFormat,
        *,
        name_suffix: str = "",
        key_column: str | None = None,
    ) -> None:
        self.format = fmt
        self.splits = tuple(splits)
        self.columns = list(columns)
        self.key_column = key_column
        self.counts = dict.fromkeys(self.splits, 0)
        self._paths: dict[str, Path] = {}
        for split in self.splits:
            directory = output_dir / split
            directory.mkdir(parents=True, exist_ok=True)
            self._paths[split] = directory / f"{split}{name_suffix}.{fmt}"
        self._writers: dict[str, Any] = {}
        self._schema: Any = None
        # Parquet encoding releases the GIL: one background writer overlaps it with parsing of
        # the next chunk; at most one chunk is in flight, so memory stays bounded.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="split-writer")
        self._pending: Future[None] | None = None
        if fmt == "parquet":
            self._open_parquet()
        else:
            header = [*self.columns, *([key_column] if key_column else [])]
            for path in self._paths.values():
                pd.DataFrame({c: [] for c in header}).to_csv(path, index=False)

    def _open_parquet(self) -> None:
        # pyarrow is optional in the container: imported only when parquet was chosen.
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        text = pa.dictionary(pa.int32(), pa.string())
        self._pa = pa
        fields = [
            pa.field(c, pa.float64() if contract.BY_NAME[c].is_numeric else text)
            for c in self.columns
        ]
        if self.key_column:
            fields.append(pa.field(self.key_column, pa.uint64()))
        self._schema = pa.schema(fields)
        for split, path in self._paths.items():
            self._writers[split] = pq.ParquetWriter(str(path), self._schema)

    def write(self, frame: pd.DataFrame, codes: np.ndarray, keys: np.ndarray | None = None) -> None:
        """Append rows; codes[i] is the index in `splits` of row i's split, keys[i] its key."""
        if self.format == "parquet":
            table = self._pa.Table.from_pandas(frame[self.columns], preserve_index=False)
            if self.key_column:
                column = self._pa.array(np.asarray(keys, dtype=np.uint64))
                table = table.append_column(self.key_column, column)
            table = table.cast(self._schema)
            parts = {}
            for index, split in enumerate(self.splits):
                mask = codes == index
                if mask.any():
                    parts[split] = table.filter(self._pa.array(mask))
                    self.counts[split] += int(mask.sum())
            self._wait()
            self._pending = self._executor.submit(self._write_parts, parts)
            return
        for index, split in enumerate(self.splits):
            rows = np.flatnonzero(codes == index)
            part = frame.iloc[rows][self.columns]
            if self.key_column:
                part = part.assign(**{self.key_column: np.asarray(keys)[rows]})
            if len(part):
                part.to_csv(
                    self._paths[split], mode="a", header=False, index=False, encoding="utf-8"
                )
                self.counts[split] += len(part)

    def _write_parts(self, parts: dict[str, Any]) -> None:
        for split, table in parts.items():
            self._writers[split].write_table(table)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        """Finish every file (an empty split still gets a file with the schema)."""
        try:
            self._wait()
        finally:
            self._executor.shutdown(wait=True)
            for writer in self._writers.values():
                writer.close()
            self._writers = {}


class QuarantineWriter(_ClosedOnExit):
    """quarantine.csv: one line per bad row, with its file, line number, reason and raw text.

    The text cells come from the input, so each is neutralised (cells.py): a cell that would
    start like a spreadsheet formula gets a leading `'`.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(QUARANTINE_COLUMNS)
        self.rows = 0

    def write(
        self, source: str, line_number: int, reason: str, raw: bytes, key: int | None = None
    ) -> None:
        """Record one quarantined row (with its content key when it has one)."""
        text = raw.decode("utf-8", errors="replace")
        cells = (neutralised(source), line_number, neutralised(reason), neutralised(text))
        self._writer.writerow((*cells, "" if key is None else key))
        self.rows += 1

    def close(self) -> None:
        """Flush and close the file."""
        self._handle.close()
