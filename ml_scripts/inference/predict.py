"""Batch prediction from the command line.

    python -m ml_scripts.inference.predict --model model.tar.gz --input raw.csv --output preds.csv
    python -m ml_scripts.inference.predict --model model.tar.gz --input raw.csv --output - \\
        --id-column PID

The input is a raw CSV (the columns of house_data.csv; SalePrice optional and ignored; any
column order; extra columns ignored; .csv.gz accepted). The output has a header and one line
per input row, in input order: `predicted_price,price_low,price_high` (the price and the ends of
its 90% interval, in dollars; see inference/intervals.py), preceded by the `--id-column` when one
is named, its values passed through as written. `--output -` writes to stdout; logs go to
stderr either way.

A row that cannot be scored fails the whole run: nothing is written (not even to stdout: the
output is assembled in a temporary file first), and one message on stderr names every bad row by
its line number with the reason (exit code 1). A partial output would silently misalign with
the input, which is worse than no output.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

import pandas as pd

from ml_scripts.common.errors import DataContractError, RowError
from ml_scripts.common.io import configure_logging
from ml_scripts.common.records import (
    DEFAULT_CHUNK_BYTES,
    CsvRecordReader,
    RecordChunk,
    open_csv_stream,
)
from ml_scripts.common.validate import check_header
from ml_scripts.inference.model import (
    MAX_LISTED_ERRORS,
    HousePriceModel,
    chunk_rows,
    format_row_errors,
    model_directory,
)
from ml_scripts.inference.serve import csv_line

OUTPUT_HEADER = "predicted_price,price_low,price_high"
STDOUT = "-"

logger = logging.getLogger(__name__)


def _id_values(chunk: RecordChunk, header: Sequence[str], column: str) -> list[str]:
    """The id column's cells of a chunk's records, as written in the file."""
    blob = chunk.blob if chunk.blob is not None else b"\n".join(chunk.records) + b"\n"
    frame = pd.read_csv(
        io.BytesIO(blob),
        header=None,
        names=list(header),
        usecols=[column],
        dtype=str,
        na_filter=False,
        skip_blank_lines=True,
        engine="c",
        encoding="utf-8",
        quotechar='"',
    )
    values = [str(v) for v in frame[column].tolist()]
    if len(values) != len(chunk):
        raise RuntimeError(f"read {len(values)} ids for {len(chunk)} rows")
    return values


def _check_id_column(header: Sequence[str], source: str, id_column: str | None) -> None:
    if id_column is not None and id_column not in header:
        shown = ", ".join(header[:5]) + (", ..." if len(header) > 5 else "")
        raise DataContractError(
            f"{source}: --id-column {id_column!r} is not a column of the file ({shown})"
        )


def write_predictions(
    model: HousePriceModel,
    input_path: Path,
    out: TextIO,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    id_column: str | None = None,
) -> int:
    """Write the header and one line per input row to `out`; raise RowError naming every bad
    row (after reading the whole file) or DataContractError for a file-level problem."""
    errors: list[tuple[str, str]] = []
    error_count = 0
    rows = 0
    writer = csv.writer(out, lineterminator="\n")
    with open_csv_stream(input_path) as raw:
        reader = CsvRecordReader(raw, input_path.name, chunk_bytes=chunk_bytes)
        header = reader.header
        check_header(header, input_path.name, with_target=False)
        _check_id_column(header, input_path.name, id_column)
        out.write((f"{_quoted(id_column)}," if id_column else "") + OUTPUT_HEADER + "\n")
        for chunk in reader.chunks():
            scored, chunk_errors = chunk_rows(chunk, header)
            error_count += len(chunk_errors)
            errors.extend(chunk_errors[: max(0, MAX_LISTED_ERRORS - len(errors))])
            if error_count:
                continue  # keep reading only to name every bad row
            ranges = model.predict_ranges(scored.clean)
            lines = [
                csv_line(*row) for row in zip(ranges.price, ranges.low, ranges.high, strict=True)
            ]
            if id_column is None:
                out.writelines(line + "\n" for line in lines)
            else:
                ids = _id_values(chunk, header, id_column)
                writer.writerows(
                    [key, *line.split(",")] for key, line in zip(ids, lines, strict=True)
                )
            rows += len(lines)
    if error_count:
        raise RowError(format_row_errors(errors, total=error_count))
    if rows == 0:
        raise DataContractError(f"{input_path.name}: header-only file: no data rows")
    return rows


def _quoted(name: str | None) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([name])
    return buffer.getvalue()


def predict_file(
    model: HousePriceModel,
    input_path: Path,
    output_path: Path,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    id_column: str | None = None,
) -> int:
    """Predict into `output_path`, which appears only complete (written beside it, renamed)."""
    output_path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch_name = tempfile.mkstemp(
        prefix=f".{output_path.name}.", dir=str(output_path.parent)
    )
    scratch = Path(scratch_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            rows = write_predictions(
                model, input_path, out, chunk_bytes=chunk_bytes, id_column=id_column
            )
        scratch.replace(output_path)
    finally:
        scratch.unlink(missing_ok=True)
    return rows


def predict_to_stream(
    model: HousePriceModel,
    input_path: Path,
    stream: BinaryIO,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    id_column: str | None = None,
) -> int:
    """Predict into a temporary file, then copy it to `stream` only when every row scored."""
    with tempfile.TemporaryFile("w+b") as scratch:
        text = io.TextIOWrapper(scratch, encoding="utf-8", newline="", write_through=True)
        rows = write_predictions(
            model, input_path, text, chunk_bytes=chunk_bytes, id_column=id_column
        )
        text.flush()
        scratch.seek(0)
        shutil.copyfileobj(scratch, stream)
        stream.flush()
        text.detach()
    return rows


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m ml_scripts.inference.predict",
        description="Predict sale prices, with a 90%% range, for a raw CSV of houses.",
        allow_abbrev=False,
    )
    parser.add_argument("--model", type=Path, required=True, help="model.tar.gz or model dir")
    parser.add_argument("--input", type=Path, required=True, help="raw CSV (.csv or .csv.gz)")
    parser.add_argument(
        "--output", required=True, help="CSV of predicted prices and ranges; - for stdout"
    )
    parser.add_argument(
        "--id-column",
        metavar="NAME",
        help="an input column (such as PID) passed through as the output's first column",
    )
    parser.add_argument("--chunk-bytes", type=int, default=DEFAULT_CHUNK_BYTES)
    return parser.parse_args(argv)


def _predict(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        raise DataContractError(f"missing file: {args.input} does not exist")
    with model_directory(args.model) as model_dir:
        model = HousePriceModel.load(model_dir)
    if model.interval is None:
        logger.warning("this model has no price interval (trained before them): ranges are empty")
    options = {"chunk_bytes": args.chunk_bytes, "id_column": args.id_column}
    if args.output == STDOUT:
        return predict_to_stream(model, args.input, sys.stdout.buffer, **options)
    return predict_file(model, args.input, Path(args.output), **options)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, 1 when the input cannot be scored (one line on stderr)."""
    # stderr: stdout may be the predictions themselves (--output -).
    configure_logging(stream=sys.stderr)
    args = parse_args(argv)
    try:
        rows = _predict(args)
    except (DataContractError, RowError, FileNotFoundError, ValueError) as exc:
        # Printed once, not logged too: both would land on stderr.
        print(f"prediction failed: {exc}", file=sys.stderr)
        return 1
    destination = "stdout" if args.output == STDOUT else args.output
    logger.info("wrote %d predictions to %s", rows, destination)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
