"""Raw record reading: line numbers, field counts, quoting, encodings, chunk boundaries."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from ml_scripts.common import records
from ml_scripts.common.errors import DataContractError
from ml_scripts.common.limits import InputLimits
from ml_scripts.common.records import (
    CsvRecordReader,
    line_longer_than,
    open_csv_stream,
    split_dense,
    split_records,
)


def read_all(
    data: bytes, chunk_bytes: int = 1 << 20
) -> tuple[tuple[str, ...], list[tuple[int, int, bytes]]]:
    reader = CsvRecordReader(io.BytesIO(data), "t.csv", chunk_bytes=chunk_bytes)
    header = reader.header
    out = []
    for chunk in reader.chunks():
        for record, line, count in zip(
            chunk.records, chunk.line_numbers, chunk.field_counts, strict=True
        ):
            out.append((int(line), int(count), record))
    return header, out


def test_plain_records_get_their_line_numbers_and_field_counts() -> None:
    header, records = read_all(b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n")
    assert header == ("a", "b", "c")
    assert records == [(2, 3, b"1,2,3"), (3, 2, b"4,5"), (4, 4, b"6,7,8,9")]


def test_quoted_newline_makes_one_record_and_keeps_later_line_numbers() -> None:
    _, records = read_all(b'a,b\n"x\ny",1\n2,3\n')
    assert records == [(2, 2, b'"x\ny",1'), (4, 2, b"2,3")]


def test_quoted_comma_and_escaped_quote_are_one_field() -> None:
    _, records = read_all(b'a,b\n"x,""y""",1\n')
    assert records == [(2, 2, b'"x,""y""",1')]


def test_blank_lines_are_not_rows() -> None:
    _, records = read_all(b"a,b\n\n1,2\n   \n3,4\n\n")
    assert [r[0] for r in records] == [3, 5]


def test_crlf_is_stripped_from_records() -> None:
    _, records = read_all(b"a,b\r\n1,2\r\n")
    assert records == [(2, 2, b"1,2")]


def test_bom_is_removed_from_the_header() -> None:
    header, _ = read_all(b"\xef\xbb\xbfa,b\n1,2\n")
    assert header == ("a", "b")


def test_header_names_are_stripped() -> None:
    header, _ = read_all(b" a , b\n1,2\n")
    assert header == ("a", "b")


def test_tiny_chunks_give_the_same_records_as_one_chunk() -> None:
    data = b'a,b\n1,"multi\nline\nvalue"\n' + b"".join(b"%d,%d\n" % (i, i) for i in range(50))
    assert read_all(data, chunk_bytes=7) == read_all(data)


def test_quoted_field_across_chunk_boundary_stays_one_record() -> None:
    data = b'a,b\n1,"' + b"x" * 50 + b"\n" + b"y" * 50 + b'"\n2,3\n'
    _, records = read_all(data, chunk_bytes=16)
    assert [(line, count) for line, count, _ in records] == [(2, 2), (4, 2)]


def test_unterminated_quote_is_a_file_level_error() -> None:
    with pytest.raises(DataContractError, match="unterminated quoted field starting at line 3"):
        read_all(b'a,b\n1,2\n3,"oops\n4,5\n')


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(DataContractError, match=r"line 3 is not valid UTF-8 \(byte 0xff\)"):
        read_all(b"a,b\n1,2\n3,\xff\n")


def test_empty_input_is_reported_as_empty() -> None:
    with pytest.raises(DataContractError, match="empty file"):
        read_all(b"\n\n")


def test_gzip_is_detected_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"  # no .gz suffix on purpose
    path.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    with open_csv_stream(path) as stream:
        reader = CsvRecordReader(stream, "data.csv")
        assert reader.header == ("a", "b")
        assert [c.records for c in reader.chunks()] == [[b"1,2"]]


def test_corrupt_gzip_is_a_file_level_error(tmp_path: Path) -> None:
    path = tmp_path / "data.csv.gz"
    body = b"".join(b"%d,%d\n" % (i, i * 7919 % 10007) for i in range(5000))
    path.write_bytes(gzip.compress(b"a,b\n" + body)[:2000])
    with (
        open_csv_stream(path) as stream,
        pytest.raises(DataContractError, match="cannot decompress"),
    ):
        reader = CsvRecordReader(stream, "data.csv.gz")
        for _ in reader.chunks():
            pass


def test_split_records_returns_an_open_quoted_record_as_pending() -> None:
    records, numbers, pending, start = split_records(b'1,2\n3,"open\n', 10)
    assert (records, numbers, pending, start) == ([b"1,2"], [10], b'3,"open\n', 11)


# --- input limits ----------------------------------------------------------------------------

SMALL = InputLimits(max_input_bytes=4096, max_line_bytes=1024, max_rows=50)


class BoundedOnly(io.BytesIO):
    """A stream that refuses an unbounded readline(), as a 1 GiB line would need."""

    def readline(self, size: int | None = -1, /) -> bytes:
        assert size is not None and size >= 0, "unbounded readline()"
        return super().readline(size)


def read_limited(data: bytes, limits: InputLimits = SMALL, chunk_bytes: int = 256) -> int:
    reader = CsvRecordReader(BoundedOnly(data), "t.csv", chunk_bytes=chunk_bytes, limits=limits)
    return sum(len(chunk) for chunk in reader.chunks())


def test_lines_are_finished_with_a_bounded_read() -> None:
    assert read_limited(b"a,b\n" + b"1,2\n" * 40) == 40


def test_a_line_longer_than_the_limit_is_named_without_reading_it_whole() -> None:
    stream = BoundedOnly(b"a,b\n1,2\n" + b"x" * 10_000_000 + b"\n")
    reader = CsvRecordReader(stream, "t.csv", chunk_bytes=256, limits=SMALL)
    with pytest.raises(
        DataContractError,
        match=r"t.csv: line 3 is longer than 1,024 bytes \(the limit is --max-line-bytes\)",
    ):
        list(reader.chunks())
    # One chunk and one line's worth, not ten million bytes.
    assert stream.tell() <= 256 + 1024 + 1


def test_a_line_of_exactly_the_limit_is_accepted() -> None:
    assert read_limited(b"a,b\n" + b"1," + b"2" * 1022 + b"\n") == 1


def test_more_bytes_than_the_limit_fail_naming_it() -> None:
    limits = InputLimits(max_input_bytes=4096, max_line_bytes=1024, max_rows=10_000)
    with pytest.raises(DataContractError, match=r"more than 4,096 bytes once decompressed"):
        read_limited(b"a,b\n" + b"12345678,1\n" * 500, limits)


@pytest.mark.parametrize(("lines", "fails"), [(50, False), (51, True)])
def test_rows_are_counted_with_blank_lines_up_to_the_limit(lines: int, fails: bool) -> None:
    data = b"a,b\n" + b"1,2\n\n" * (lines // 2) + b"3,4\n" * (lines % 2)
    limits = InputLimits(max_input_bytes=4096, max_line_bytes=1024, max_rows=50)
    if fails:
        with pytest.raises(DataContractError, match=r"more than 50 lines after the header"):
            read_limited(data, limits)
    else:
        assert read_limited(data, limits) == lines // 2 + lines % 2


def test_a_quoted_field_longer_than_the_line_limit_is_unterminated() -> None:
    limits = InputLimits(max_input_bytes=4096, max_line_bytes=1024, max_rows=10_000)
    with pytest.raises(DataContractError, match="unterminated quoted field starting at line 2"):
        read_limited(b'a,b\n1,"' + b"x\n" * 600 + b'"\n', limits, chunk_bytes=64)


def test_newline_dense_chunks_are_cut_and_keep_their_line_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(records, "MAX_CHUNK_LINES", 64)
    monkeypatch.setattr(records, "_COUNT_WINDOW", 128)
    data = b"a,b\n" + b"\n".join(b"%d,%d" % (i, i) for i in range(1000)) + b"\n\n\n"
    reader = CsvRecordReader(io.BytesIO(data), "t.csv", chunk_bytes=1 << 20)
    chunks = list(reader.chunks())
    whole = [(r, int(n)) for c in chunks for r, n in zip(c.records, c.line_numbers, strict=True)]
    assert len(chunks) > 10
    assert max(len(chunk) for chunk in chunks) <= 128
    assert reader.blank_lines == 2
    pieces = list(split_dense(data, 64, window=128))
    assert b"".join(pieces) == data
    assert len(pieces) > 10
    assert all(piece.endswith(b"\n") for piece in pieces)
    # At most the limit plus the lines of one counting window (128 bytes: 64 lines at most).
    assert max(piece.count(b"\n") for piece in pieces) <= 64 + 64
    assert whole == [(b"%d,%d" % (i, i), i + 2) for i in range(1000)]


@pytest.mark.parametrize(
    ("block", "limit", "index"),
    [(b"ab\ncd\n", 2, None), (b"ab\ncde\nf", 2, 1), (b"abc", 2, 0), (b"\n\n\nabcd", 3, 3)],
)
def test_line_longer_than_finds_the_first_long_line(
    block: bytes, limit: int, index: int | None
) -> None:
    assert line_longer_than(block, limit) == index


def test_a_corrupt_deflate_stream_is_a_file_level_error(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(b"a,b\n" + b"1,2\n" * 20_000, mtime=0))
    data[40:60] = b"\xff" * 20
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(bytes(data))
    with open_csv_stream(path) as stream, pytest.raises(DataContractError, match="decompress"):
        list(CsvRecordReader(stream, "bad.csv.gz").chunks())
