"""Read a CSV file as raw records: line numbers, field counts and raw bytes, in bounded chunks.

pandas silently pads short rows with NaN and cannot say which source line a row came from, so
the raw text is split into records here first. A record is one line, or several when a quoted
field holds a newline (RFC 4180 quoting: a field is quoted when it starts with a double quote,
and a quote inside it is doubled). Only then are complete, well-formed records handed to the
pandas parser. Memory stays bounded by the chunk size whatever the file size: a chunk ends
on a line boundary found with a bounded read, never an unbounded `readline()`, and the limits
(limits.py: bytes once decompressed, bytes per line, lines) are enforced as the bytes arrive.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ml_scripts.common.errors import DataContractError
from ml_scripts.common.limits import InputLimits

DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024
# A chunk holds at most about this many lines, so memory follows the line count as well as the
# bytes: 16 MiB of newlines would otherwise make 16 million records, 2 GB of Python objects. A
# chunk of the embedded data's rows has about 50,000 lines, so real data is never cut further.
MAX_CHUNK_LINES = 131_072
_COUNT_WINDOW = 65_536
UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_GZIP_MAGIC = b"\x1f\x8b"
_QUOTE = b'"'


class ByteStream(Protocol):
    """Anything with a binary `read(size)`: a file, a gzip stream, BytesIO."""

    def read(self, size: int = -1, /) -> bytes:
        """Read up to `size` bytes."""
        ...

    def readline(self, size: int = -1, /) -> bytes:
        """Read up to the next newline, or at most `size` bytes."""
        ...


@dataclass
class RecordChunk:
    """Consecutive records of one file."""

    records: list[bytes]
    line_numbers: np.ndarray
    field_counts: np.ndarray
    # The bytes holding exactly these records (blank lines allowed) when they can be handed to a
    # CSV parser as they are; None when the records must be joined first.
    blob: bytes | None

    def __len__(self) -> int:
        return len(self.records)


def open_csv_stream(path: Path) -> io.BufferedIOBase:
    """Open a CSV file for reading bytes, decompressing it when it is gzip (by magic bytes)."""
    with path.open("rb") as probe:
        head = probe.read(2)
    if head == _GZIP_MAGIC:
        return gzip.open(path, "rb")
    return path.open("rb")


def count_fields(record: bytes) -> int:
    """Number of fields in one record, honouring quotes."""
    if _QUOTE not in record:
        return record.count(b",") + 1
    row = next(csv.reader([record.decode("utf-8", errors="replace")], strict=False), [])
    return max(len(row), 1)


def is_blank(record: bytes) -> bool:
    """True for a record that holds nothing but whitespace: it is not a row."""
    return not record.strip()


def split_records(data: bytes, first_line: int) -> tuple[list[bytes], list[int], bytes, int]:
    """Split complete lines into records.

    Returns (records, line numbers, pending, pending_start_line): `pending` holds the lines of a
    quoted record still open at the end of `data` (to be prefixed to the next block).
    """
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    if b"\r" in data:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if _QUOTE not in data:
        return lines, list(range(first_line, first_line + len(lines))), b"", 0
    records: list[bytes] = []
    numbers: list[int] = []
    open_lines: list[bytes] = []
    open_start = 0
    for offset, line in enumerate(lines):
        odd = line.count(_QUOTE) % 2 == 1
        if open_lines:
            open_lines.append(line)
            if odd:
                records.append(b"\n".join(open_lines))
                numbers.append(open_start)
                open_lines = []
        elif odd:
            open_lines = [line]
            open_start = first_line + offset
        else:
            records.append(line)
            numbers.append(first_line + offset)
    pending = b"\n".join(open_lines) + b"\n" if open_lines else b""
    return records, numbers, pending, open_start


def split_dense(
    block: bytes, max_lines: int = MAX_CHUNK_LINES, window: int = _COUNT_WINDOW
) -> Iterator[bytes]:
    """`block` cut after newlines into pieces of at most `max_lines` lines plus the lines of
    one `window` of bytes, in which the lines are counted."""
    if block.count(b"\n") <= max_lines:
        yield block
        return
    start = position = lines = 0
    while position < len(block):
        end = min(position + window, len(block))
        lines += block.count(b"\n", position, end)
        position = end
        if lines >= max_lines:
            cut = block.rfind(b"\n", start, position) + 1
            yield block[start:cut]
            start, lines = cut, 0
    if start < len(block):
        yield block[start:]


def line_longer_than(block: bytes, limit: int) -> int | None:
    """Index of the first line in `block` longer than `limit` bytes (newline not counted).

    Such a line spans more than `limit` consecutive bytes, so it covers a multiple of `limit`:
    only the lines at those few offsets are measured, whatever the number of lines.
    """
    for point in range(0, len(block), max(limit, 1)):
        if block[point] == ord("\n"):
            continue
        start = block.rfind(b"\n", 0, point) + 1
        end = block.find(b"\n", point)
        if (len(block) if end < 0 else end) - start > limit:
            return block.count(b"\n", 0, start)
    return None


def check_utf8(data: bytes, source: str, first_line: int) -> None:
    """Raise a DataContractError naming the line of the first byte that is not UTF-8."""
    if data.isascii():
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        bad = data[exc.start]
        raise DataContractError(
            f"{source}: undecodable bytes: line {line} is not valid UTF-8 (byte 0x{bad:02x})"
        ) from exc


class CsvRecordReader:
    """Reads one CSV stream: `header` first, then `chunks()` of data records."""

    def __init__(
        self,
        stream: ByteStream,
        source: str,
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        limits: InputLimits | None = None,
    ) -> None:
        self._stream = stream
        self._source = source
        self._chunk_bytes = chunk_bytes
        self._limits = limits or InputLimits()
        self._bytes_read = 0
        self._lines_read = 0
        self._batches = self._record_batches()
        self._first: RecordChunk | None = None
        self._header: tuple[str, ...] | None = None
        self.header_line = 0
        self.blank_lines = 0

    @property
    def header(self) -> tuple[str, ...]:
        """Column names of the header record, stripped of surrounding whitespace."""
        if self._header is None:
            self._header = self._read_header()
        return self._header

    def chunks(self) -> Iterator[RecordChunk]:
        """Data records after the header, in order."""
        _ = self.header
        if self._first is not None and len(self._first):
            yield self._first
        self._first = None
        yield from self._batches

    def _read_header(self) -> tuple[str, ...]:
        for batch in self._batches:
            if not len(batch):
                continue
            text = batch.records[0].decode("utf-8")
            names = next(csv.reader([text], strict=False), [])
            self.header_line = int(batch.line_numbers[0])
            blob = None
            if batch.blob is not None and _QUOTE not in batch.records[0]:
                # Without blank lines or quotes in the header, it is exactly the first line.
                blob = batch.blob[batch.blob.index(b"\n") + 1 :] if len(batch) > 1 else None
            self._first = RecordChunk(
                records=batch.records[1:],
                line_numbers=batch.line_numbers[1:],
                field_counts=batch.field_counts[1:],
                blob=blob,
            )
            return tuple(name.strip() for name in names)
        raise DataContractError(f"{self._source}: empty file: no header and no data rows")

    def _read_block(self) -> bytes:
        """The next chunk, finished to the end of its last line by a read bounded by the line
        limit: a line longer than the limit shows up as such, however long it really is."""
        try:
            block = self._stream.read(self._chunk_bytes)
            if block and not block.endswith(b"\n"):
                tail = len(block) - (block.rfind(b"\n") + 1)
                room = max(self._limits.max_line_bytes - tail, 0)
                block += self._stream.readline(room + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataContractError(f"{self._source}: cannot decompress: {exc}") from exc
        return block

    def _check_limits(self, block: bytes) -> None:
        """Raise a DataContractError when this block breaks one of the limits."""
        limits = self._limits
        first_line = self._lines_read + 1
        self._bytes_read += len(block)
        # A last line without its newline is a line too.
        self._lines_read += block.count(b"\n") + (1 if block and block[-1:] != b"\n" else 0)
        if self._bytes_read > limits.max_input_bytes:
            raise DataContractError(
                f"{self._source}: too large: more than {limits.max_input_bytes:,} bytes once "
                "decompressed (the limit is --max-input-bytes)"
            )
        index = line_longer_than(block, limits.max_line_bytes)
        if index is not None:
            raise DataContractError(
                f"{self._source}: line {first_line + index} is longer than "
                f"{limits.max_line_bytes:,} bytes (the limit is --max-line-bytes)"
            )
        # The header takes one line; every other line counts, blank or inside quotes.
        if self._lines_read > limits.max_rows + 1:
            raise DataContractError(
                f"{self._source}: too many rows: more than {limits.max_rows:,} lines after the "
                "header (the limit is --max-rows)"
            )

    def _blocks(self) -> Iterator[tuple[bytes, bool]]:
        """Blocks of whole lines (the last block may lack its final newline)."""
        first = True
        while True:
            block = self._read_block()
            self._check_limits(block)
            if first:
                first = False
                if block.startswith(_UTF16_BOMS):
                    raise DataContractError(
                        f"{self._source}: undecodable bytes: the file is UTF-16, expected UTF-8"
                    )
                block = block.removeprefix(UTF8_BOM)
            if not block:
                return
            for piece in split_dense(block, MAX_CHUNK_LINES, _COUNT_WINDOW):
                yield piece, not piece.endswith(b"\n")

    def _record_batches(self) -> Iterator[RecordChunk]:
        next_line = 1
        pending = b""
        pending_start = 0
        for block, last in self._blocks():
            start_line = pending_start if pending else next_line
            data = pending + block if pending else block
            check_utf8(block, self._source, next_line)
            next_line += block.count(b"\n")
            records, numbers, pending, pending_start = split_records(data, start_line)
            if pending and (last or len(pending) > self._limits.max_line_bytes):
                raise DataContractError(
                    f"{self._source}: unterminated quoted field starting at line {pending_start}"
                )
            if _QUOTE in data:
                self._check_record_lengths(records, numbers)
            yield self._make_chunk(records, numbers, data, whole=not pending)
        if pending:
            raise DataContractError(
                f"{self._source}: unterminated quoted field starting at line {pending_start}"
            )

    def _check_record_lengths(self, records: list[bytes], numbers: list[int]) -> None:
        """A record joined from lines by a quoted field obeys the line limit too."""
        limit = self._limits.max_line_bytes
        for record, number in zip(records, numbers, strict=True):
            if len(record) > limit:
                raise DataContractError(
                    f"{self._source}: the record starting at line {number} is longer than "
                    f"{limit:,} bytes (the limit is --max-line-bytes)"
                )

    def _make_chunk(
        self, records: list[bytes], numbers: list[int], data: bytes, *, whole: bool
    ) -> RecordChunk:
        has_quotes = _QUOTE in data
        if has_quotes:
            counts = [count_fields(r) if _QUOTE in r else r.count(b",") + 1 for r in records]
        else:
            counts = [r.count(b",") + 1 for r in records]
        field_counts = np.asarray(counts, dtype=np.int64)
        line_numbers = np.asarray(numbers, dtype=np.int64)
        blob: bytes | None = data if whole else None
        single = np.flatnonzero(field_counts == 1)
        if len(single):
            blank = [int(i) for i in single if is_blank(records[int(i)])]
            if blank:
                self.blank_lines += len(blank)
                keep = np.ones(len(records), dtype=bool)
                keep[blank] = False
                records = [r for r, k in zip(records, keep, strict=True) if k]
                field_counts = field_counts[keep]
                line_numbers = line_numbers[keep]
                # pandas skips empty lines but not whitespace-only ones: join records instead.
                blob = None
        return RecordChunk(records, line_numbers, field_counts, blob)
