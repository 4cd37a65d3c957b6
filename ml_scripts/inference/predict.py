"""Batch prediction from the command line.

    python -m ml_scripts.inference.predict --model model.tar.gz --input raw.csv --output preds.csv

The input is a raw CSV (the columns of house_data.csv; SalePrice optional and ignored; any
column order; extra columns ignored; .csv.gz accepted). The output has a header
`predicted_price` and one price per input row, in input order.

A row that cannot be scored fails the whole run: nothing is written, and the message names
every bad row by its line number with the reason (exit code 1). A partial output would
silently misalign with the input, which is worse than no output.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ml_scripts.common.cli import report_failure
from ml_scripts.common.errors import DataContractError, RowError
from ml_scripts.common.io import configure_logging
from ml_scripts.common.records import DEFAULT_CHUNK_BYTES, CsvRecordReader, open_csv_stream
from ml_scripts.common.validate import check_header
from ml_scripts.inference.model import (
    HousePriceModel,
    chunk_rows,
    format_row_errors,
    model_directory,
)

OUTPUT_HEADER = "predicted_price"

logger = logging.getLogger(__name__)


def predict_file(
    model: HousePriceModel,
    input_path: Path,
    output_path: Path,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> int:
    """Write one predicted price per input row; raises RowError (writing nothing) on bad rows."""
    errors: list[tuple[str, str]] = []
    error_count = 0
    rows = 0
    output_path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch_name = tempfile.mkstemp(
        prefix=f".{output_path.name}.", dir=str(output_path.parent)
    )
    scratch = Path(scratch_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out, open_csv_stream(input_path) as raw:
            out.write(f"{OUTPUT_HEADER}\n")
            reader = CsvRecordReader(raw, input_path.name, chunk_bytes=chunk_bytes)
            header = reader.header
            check_header(header, input_path.name, with_target=False)
            for chunk in reader.chunks():
                scored, chunk_errors = chunk_rows(chunk, header)
                error_count += len(chunk_errors)
                errors.extend(chunk_errors[: max(0, 20 - len(errors))])
                if error_count:
                    continue  # keep reading only to name every bad row
                prices = model.predict_prices(scored.clean)
                out.writelines(f"{p:.2f}\n" for p in prices)
                rows += len(prices)
        if error_count:
            raise RowError(format_row_errors(errors, total=error_count))
        if rows == 0:
            raise DataContractError(f"{input_path.name}: header-only file: no data rows")
        scratch.replace(output_path)
    finally:
        scratch.unlink(missing_ok=True)
    return rows


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m ml_scripts.inference.predict",
        description="Predict sale prices for a raw CSV of houses.",
        allow_abbrev=False,
    )
    parser.add_argument("--model", type=Path, required=True, help="model.tar.gz or model dir")
    parser.add_argument("--input", type=Path, required=True, help="raw CSV (.csv or .csv.gz)")
    parser.add_argument("--output", type=Path, required=True, help="CSV of predicted prices")
    parser.add_argument("--chunk-bytes", type=int, default=DEFAULT_CHUNK_BYTES)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, 1 when the input cannot be scored."""
    configure_logging()
    args = parse_args(argv)
    try:
        if not args.input.is_file():
            raise DataContractError(f"missing file: {args.input} does not exist")
        with model_directory(args.model) as model_dir:
            model = HousePriceModel.load(model_dir)
        rows = predict_file(model, args.input, args.output, chunk_bytes=args.chunk_bytes)
    except (DataContractError, RowError, FileNotFoundError) as exc:
        return report_failure(logger, "prediction", exc)
    logger.info("wrote %d predictions to %s", rows, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
