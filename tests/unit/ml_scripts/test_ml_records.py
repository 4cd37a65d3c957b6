"""Raw record reading: line numbers, field counts, quoting, encodings, chunk boundaries."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from ml_scripts.common.errors import DataContractError
from ml_scripts.common.records import CsvRecordReader, open_csv_stream, split_records


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
