"""Processing step: raw CSV file(s) -> quarantine, clean train/validation/test splits and a
report.

Every raw row ends up in exactly one place, so
``rows_in == rows_clean + rows_quarantined + rows_duplicate`` always holds (asserted per chunk
and reported). Files are streamed in chunks, so memory stays bounded whatever the input size
(the only growing state is 8 bytes per row for duplicate detection).

On several instances each processes its shard and writes its own parts (processing/cluster.py);
a row's split depends on the row alone, and each clean row carries its key (``row_key``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml_scripts import layout
from ml_scripts.common import contract
from ml_scripts.common.cli import report_failure, step_parser
from ml_scripts.common.errors import DataContractError
from ml_scripts.common.io import ROW_KEY, configure_logging, write_json
from ml_scripts.common.limits import InputLimits
from ml_scripts.common.parse import parse_csv_records
from ml_scripts.common.records import (
    DEFAULT_CHUNK_BYTES,
    CsvRecordReader,
    RecordChunk,
    open_csv_stream,
)
from ml_scripts.common.validate import check_header, validate
from ml_scripts.processing.cluster import read_instance, shard_inputs
from ml_scripts.processing.keys import SPLITS, KeySet, RowLayout, duplicate_mask, record_keys
from ml_scripts.processing.keys import split_codes as assign_splits
from ml_scripts.processing.report import FileStats, ProcessingReport
from ml_scripts.processing.writers import QuarantineWriter, SplitWriters, resolve_format

DEFAULT_INPUT_DIR = layout.PROCESSING_INPUT_DIR
DEFAULT_OUTPUT_DIR = layout.PROCESSING_OUTPUT_DIR

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessingConfig:
    """Everything the processing step needs; paths default to the container's."""

    input_path: Path = Path(DEFAULT_INPUT_DIR)
    output_dir: Path = Path(DEFAULT_OUTPUT_DIR)
    # InputData as the pipeline passed it: which of the downloaded files to read (inputs.py).
    input_uri: str | None = None
    # InputDataType: S3Prefix (an object or folder) or ManifestFile (the listed objects).
    input_data_type: str = layout.S3_PREFIX_INPUT
    # Its version id or ETag (the InputVersion parameter), recorded for provenance.
    input_version: str | None = None
    max_quarantine_rate: float = 0.05
    seed: int = 42
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    output_format: str = "auto"
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    limits: InputLimits = field(default_factory=InputLimits)
    # SageMaker's description of the job's instances; None: one instance (a run by hand).
    resource_config: Path | None = None


def _display_name(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if root.is_dir() else path.name


class _Processor:
    """State carried across files and chunks."""

    def __init__(
        self,
        config: ProcessingConfig,
        report: ProcessingReport,
        splits: SplitWriters,
        quarantine: QuarantineWriter,
    ) -> None:
        self.config = config
        self.report = report
        self.splits = splits
        self.quarantine = quarantine
        self.seen = KeySet()

    def process_file(self, path: Path, name: str) -> FileStats:
        stats = FileStats(file=name)
        # Listed before reading, so a file the step stops in still counts in the report.
        self.report.files.append(stats)
        logger.info("reading %s", name)
        with open_csv_stream(path) as stream:
            reader = CsvRecordReader(
                stream, name, chunk_bytes=self.config.chunk_bytes, limits=self.config.limits
            )
            header = reader.header
            stats.extra_columns = check_header(header, name, with_target=True)
            if stats.extra_columns:
                self.report.warnings.append(
                    f"{name}: ignored extra column(s) {stats.extra_columns}"
                )
            layout = RowLayout(header)
            for chunk in reader.chunks():
                self._process_chunk(chunk, header, layout, stats)
                stats.blank_lines = reader.blank_lines
                logger.info("%s: %d rows read so far", name, stats.rows_in)
        if stats.rows_in == 0:
            raise DataContractError(f"{name}: header-only file: no data rows")
        return stats

    def _quarantine(
        self,
        stats: FileStats,
        line: int,
        reasons: list[str],
        raw: bytes,
        *,
        kinds: list[str] | None = None,
        key: int | None = None,
    ) -> None:
        """Write one bad row with its reasons (values included) and its content key (when it
        has one); count the reasons' kinds."""
        self.quarantine.write(stats.file, line, "; ".join(reasons), raw, key)
        self.report.reasons.update(kinds if kinds is not None else reasons)
        stats.rows_quarantined += 1

    def _process_chunk(
        self, chunk: RecordChunk, header: Sequence[str], layout: RowLayout, stats: FileStats
    ) -> None:
        expected = len(header)
        records = chunk.records
        before = (stats.rows_clean, stats.rows_quarantined, stats.rows_duplicate)
        shape_ok = chunk.field_counts == expected
        for i in np.flatnonzero(~shape_ok):
            found = int(chunk.field_counts[i])
            kind = "too few" if found < expected else "too many"
            reason = f"row: {kind} fields (expected {expected}, found {found})"
            self._quarantine(stats, int(chunk.line_numbers[i]), [reason], records[i])
        candidates = np.flatnonzero(shape_ok)
        quoted = chunk.blob is None or b'"' in chunk.blob
        keys = record_keys([records[i] for i in candidates], layout, quoted=quoted)
        duplicate = duplicate_mask(keys, self.seen)
        stats.rows_duplicate += int(duplicate.sum())
        rows = candidates[~duplicate]
        keys = keys[~duplicate]
        if len(rows):
            whole = len(rows) == len(records) and chunk.blob is not None
            blob = chunk.blob if whole and chunk.blob is not None else _join(records, rows)
            parsed = parse_csv_records(blob, header, len(rows))
            outcome = validate(parsed, with_target=True)
            for position, reasons in sorted(outcome.reasons.items()):
                row = int(rows[position])
                line = int(chunk.line_numbers[row])
                kinds = outcome.kinds[position]
                key = int(keys[position])
                self._quarantine(stats, line, reasons, records[row], kinds=kinds, key=key)
            self._write_clean(outcome.clean, keys[outcome.passed])
            for name, count in outcome.missing_counts.items():
                self.report.missing[name] = self.report.missing.get(name, 0) + count
            for name, count in outcome.none_counts.items():
                self.report.none[name] = self.report.none.get(name, 0) + count
            stats.rows_clean += len(outcome.clean)
        added = (
            stats.rows_clean
            - before[0]
            + stats.rows_quarantined
            - before[1]
            + stats.rows_duplicate
            - before[2]
        )
        if added != len(records):
            raise AssertionError(
                f"{stats.file}: row invariant broken: {len(records)} rows in, {added} accounted"
            )
        # Counted once the chunk is accounted for, so a report written after an error mid-chunk
        # still balances.
        stats.rows_in += len(records)

    def _write_clean(self, clean: pd.DataFrame, keys: np.ndarray) -> None:
        codes = assign_splits(
            keys,
            seed=self.config.seed,
            validation_fraction=self.config.validation_fraction,
            test_fraction=self.config.test_fraction,
        )
        self.splits.write(clean, codes, keys)


def _join(records: list[bytes], rows: np.ndarray) -> bytes:
    return b"\n".join(records[int(i)] for i in rows) + b"\n"


def _check_outcome(report: ProcessingReport, config: ProcessingConfig) -> None:
    if not report.invariant_holds:
        raise AssertionError("row invariant broken: rows_in != clean + quarantined + duplicate")
    # An instance whose shard holds no input has nothing to check: the others have the rows.
    alone = report.instance.size == 1
    if report.rows_clean == 0 and (report.rows_in or alone):
        raise DataContractError(
            f"zero valid rows: all {report.rows_in} rows were quarantined or duplicates"
        )
    if report.quarantine_rate > config.max_quarantine_rate:
        top = ", ".join(f"{r!r} x{n}" for r, n in report.reasons.most_common(3))
        raise DataContractError(
            f"quarantine rate {report.quarantine_rate:.2%} is above the limit "
            f"{config.max_quarantine_rate:.2%} ({report.rows_quarantined} of {report.rows_in} "
            f"rows; most common: {top})"
        )
    if alone and report.splits.get("train", 0) == 0:
        raise DataContractError("no rows landed in the train split: the input is too small")


def run_processing(config: ProcessingConfig) -> ProcessingReport:
    """Run the whole step; raises DataContractError (after writing the report) on a breach."""
    _check_fractions(config)
    report = ProcessingReport()
    output = config.output_dir
    report_name = report.instance.file_name("processing_report", ".json")
    try:
        report.instance = instance = read_instance(config.resource_config)
        report_name = instance.file_name("processing_report", ".json")
        files, ignored = shard_inputs(
            config.input_path, config.input_uri, instance, config.input_data_type
        )
        report.warnings.extend(ignored)
        fmt = resolve_format(config.output_format)
        report.output_format = fmt
        quarantine_file = (
            output / layout.QUARANTINE_OUTPUT / instance.file_name("quarantine", ".csv")
        )
        with (
            SplitWriters(
                output,
                SPLITS,
                contract.CLEAN_COLUMNS,
                fmt,
                name_suffix=instance.name_suffix,
                key_column=ROW_KEY,
            ) as splits,
            QuarantineWriter(quarantine_file) as quarantine,
        ):
            processor = _Processor(config, report, splits, quarantine)
            for path in files:
                processor.process_file(path, _display_name(path, config.input_path))
            report.splits = dict(splits.counts)
        report.add_up()
        _check_outcome(report, config)
        report.status = "succeeded"
    except DataContractError as exc:
        report.status = "failed"
        report.failure = str(exc)
        raise
    except Exception as exc:
        # Out of memory, a full disk or a bug: the report says so rather than "running".
        report.status = "failed"
        report.failure = f"internal error: {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
        raise
    finally:
        report.add_up()
        write_json(output / layout.REPORT_OUTPUT / report_name, report.to_dict(config))
    _log_summary(report)
    return report


def _check_fractions(config: ProcessingConfig) -> None:
    fractions = (config.validation_fraction, config.test_fraction)
    if any(not 0.0 < f < 1.0 for f in fractions) or sum(fractions) >= 1.0:
        raise ValueError("validation and test fractions must be in (0, 1) and sum to < 1")
    if not 0.0 <= config.max_quarantine_rate <= 1.0:
        raise ValueError("--max-quarantine-rate must be between 0 and 1")
    problem = config.limits.problem()
    if problem:
        raise ValueError(problem)


def _log_summary(report: ProcessingReport) -> None:
    logger.info(
        "rows_in=%d rows_clean=%d rows_quarantined=%d rows_duplicate=%d (invariant holds: %s)",
        report.rows_in,
        report.rows_clean,
        report.rows_quarantined,
        report.rows_duplicate,
        report.invariant_holds,
    )
    logger.info("splits: %s", report.splits)
    for warning in report.warnings:
        logger.warning("%s", warning)


def parse_args(argv: Sequence[str] | None = None) -> ProcessingConfig:
    """Command-line arguments -> ProcessingConfig."""
    parser = step_parser(
        "python -m ml_scripts.processing",
        "Validate raw house sales, quarantine bad rows, split, fit the transform.",
    )
    parser.add_argument(
        "--input-dir",
        type=Path,
        default=Path(DEFAULT_INPUT_DIR),
        help="a CSV file, or a folder of .csv / .csv.gz files",
    )
    parser.add_argument(
        "--input-uri",
        help="the S3 URI the input came from: an object is read alone, a folder (ending in /) "
        "for every CSV in it",
    )
    parser.add_argument(
        "--input-data-type",
        choices=layout.INPUT_DATA_TYPES,
        default=layout.S3_PREFIX_INPUT,
        help="what --input-uri names: an object or folder (S3Prefix), or a manifest whose "
        "listed objects are the input (ManifestFile)",
    )
    parser.add_argument(
        "--input-version",
        default=os.environ.get(layout.INPUT_VERSION_ENV) or None,
        help=f"the input object's version id or ETag (default: ${layout.INPUT_VERSION_ENV})",
    )
    parser.add_argument("--output-dir", type=Path, default=Path(DEFAULT_OUTPUT_DIR))
    parser.add_argument(
        "--max-quarantine-rate",
        type=float,
        default=0.05,
        help="fail when more than this share of rows is quarantined",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the split")
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument(
        "--output-format",
        choices=("auto", "parquet", "csv"),
        default="auto",
        help="auto = parquet when pyarrow is installed, else CSV",
    )
    parser.add_argument("--chunk-bytes", type=int, default=DEFAULT_CHUNK_BYTES)
    parser.add_argument(
        "--resource-config", type=Path, help="the job's resourceconfig.json; none: one instance"
    )
    bounds = parser.add_argument_group("input limits, per file (ml_scripts/common/limits.py)")
    bounds.add_argument(
        "--max-input-bytes",
        type=int,
        default=layout.DEFAULT_MAX_INPUT_BYTES,
        help="fail when a file holds more bytes than this once decompressed",
    )
    bounds.add_argument(
        "--max-line-bytes",
        type=int,
        default=layout.DEFAULT_MAX_LINE_BYTES,
        help="fail when a line (or a quoted field spanning lines) is longer than this",
    )
    bounds.add_argument(
        "--max-rows",
        type=int,
        default=layout.DEFAULT_MAX_ROWS,
        help="fail when a file has more lines than this after its header, blank ones included",
    )
    args = parser.parse_args(argv)
    config = ProcessingConfig(
        input_path=args.input_dir,
        output_dir=args.output_dir,
        input_uri=args.input_uri,
        input_data_type=args.input_data_type,
        input_version=args.input_version,
        max_quarantine_rate=args.max_quarantine_rate,
        seed=args.seed,
        validation_fraction=args.validation_fraction,
        test_fraction=args.test_fraction,
        output_format=args.output_format,
        chunk_bytes=args.chunk_bytes,
        resource_config=args.resource_config,
        limits=InputLimits(
            max_input_bytes=args.max_input_bytes,
            max_line_bytes=args.max_line_bytes,
            max_rows=args.max_rows,
        ),
    )
    try:
        _check_fractions(config)
    except ValueError as exc:
        parser.error(str(exc))
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, 1 on a data-contract breach (with one message)."""
    configure_logging()
    config = parse_args(argv)
    try:
        run_processing(config)
    except DataContractError as exc:
        return report_failure(logger, "processing", exc)
    except MemoryError as exc:
        return report_failure(logger, "processing", MemoryError(f"out of memory {exc}".strip()))
    return 0
