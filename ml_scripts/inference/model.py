"""The trained model as every consumer loads it: booster + feature transform, and the path from
raw rows to prices. Training, evaluation, batch prediction and the endpoint all go through
here, so there is one feature path and no train/serve skew.
"""

from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from ml_scripts import layout
from ml_scripts.common.errors import DataContractError, RowError
from ml_scripts.common.features import FeatureTransform, model_to_price
from ml_scripts.common.linear import RidgeModel
from ml_scripts.common.parse import ParsedFrame, parse_csv_records
from ml_scripts.common.records import CsvRecordReader, RecordChunk
from ml_scripts.common.validate import check_header, validate
from ml_scripts.inference.intervals import INTERVAL_FILE, PriceInterval

MODEL_FILE = "model.ubj"
LINEAR_FILE = "linear.json"
TRANSFORM_FILE = layout.TRANSFORM_FILE
MODEL_CARD_FILE = "model_card.json"
MODEL_ARCHIVE = "model.tar.gz"
MAX_LISTED_ERRORS = 20


@dataclass
class HousePriceModel:
    """The booster, the optional ridge blended with it, their feature transform, and the
    calibrated price interval (none in models trained before intervals existed).

    Prediction in log space: (1 - w) * trees + w * ridge, w = the ridge's blend_weight
    (trees alone when there is no linear.json).
    """

    booster: xgb.Booster
    transform: FeatureTransform
    linear: RidgeModel | None = None
    interval: PriceInterval | None = None

    @classmethod
    def load(cls, model_dir: Path) -> HousePriceModel:
        """Load model.ubj, transform.json and (when present) linear.json and interval.json."""
        booster = xgb.Booster()
        booster.load_model(str(model_dir / MODEL_FILE))
        transform = FeatureTransform.load(model_dir / TRANSFORM_FILE)
        if booster.feature_names and list(booster.feature_names) != transform.feature_names:
            raise ValueError("model and feature transform disagree on the feature names")
        linear_path = model_dir / LINEAR_FILE
        linear = RidgeModel.load(linear_path) if linear_path.is_file() else None
        interval_path = model_dir / INTERVAL_FILE
        interval = PriceInterval.load(interval_path) if interval_path.is_file() else None
        return cls(booster, transform, linear, interval)

    def predict_components(self, clean: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """(trees, ridge or None) predictions of log1p(price) for clean rows."""
        features = self.transform.transform(clean)
        matrix = xgb.DMatrix(features, feature_names=self.transform.feature_names, missing=np.nan)
        trees = np.asarray(self.booster.predict(matrix), dtype=np.float64)
        linear = self.linear.predict(features) if self.linear is not None else None
        return trees, linear

    def blend(self, trees: np.ndarray, linear: np.ndarray | None) -> np.ndarray:
        """Combine component predictions (log1p price) with the stored blend weight."""
        if linear is None or self.linear is None:
            return trees
        weight = self.linear.blend_weight
        return np.asarray((1.0 - weight) * trees + weight * linear, dtype=np.float64)

    def predict_log(self, clean: pd.DataFrame) -> np.ndarray:
        """Model output (log1p of the price) for clean rows."""
        if not len(clean):
            return np.zeros(0, dtype=np.float64)
        return self.blend(*self.predict_components(clean))

    def predict_prices(self, clean: pd.DataFrame) -> np.ndarray:
        """Predicted sale prices in dollars for clean rows."""
        return model_to_price(self.predict_log(clean))

    def predict_ranges(self, clean: pd.DataFrame) -> PriceRanges:
        """Predicted prices with the interval's ends (NaN when the model has no interval)."""
        log_price = self.predict_log(clean)
        if self.interval is None:
            missing = np.full(len(log_price), np.nan)
            return PriceRanges(model_to_price(log_price), missing, missing.copy(), None)
        low, high = self.interval.price_bounds(log_price, clean)
        return PriceRanges(model_to_price(log_price), low, high, self.interval.level)


@dataclass(frozen=True)
class PriceRanges:
    """Predicted prices and the ends of their interval, in dollars, one entry per row."""

    price: np.ndarray
    low: np.ndarray
    high: np.ndarray
    level: float | None

    def __len__(self) -> int:
        return len(self.price)


@dataclass
class ScoringRows:
    """Rows ready to score: clean frame plus a label per row for error messages."""

    clean: pd.DataFrame
    labels: list[str]


def _safe_members(archive: tarfile.TarFile, target: Path) -> list[tarfile.TarInfo]:
    members = []
    root = target.resolve()
    for member in archive.getmembers():
        destination = (target / member.name).resolve()
        if root not in destination.parents and destination != root:
            raise ValueError(f"unsafe path in model archive: {member.name!r}")
        if member.issym() or member.islnk() or member.isdev():
            raise ValueError(f"unsupported link or device in model archive: {member.name!r}")
        members.append(member)
    return members


def extract_model_archive(archive_path: Path, target: Path) -> Path:
    """Extract a SageMaker model.tar.gz (files at the archive root) into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path, "r:*") as archive:
        members = _safe_members(archive, target)
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, members=members, filter="data")
        else:
            # Older Pythons lack extraction filters; the members were checked above instead.
            archive.extractall(target, members=members)
    return target


@contextmanager
def model_directory(location: Path) -> Iterator[Path]:
    """A directory holding model.ubj: `location` itself, or its model.tar.gz extracted."""
    if location.is_dir() and (location / MODEL_FILE).is_file():
        yield location
        return
    archive = location / MODEL_ARCHIVE if location.is_dir() else location
    if not archive.is_file():
        raise FileNotFoundError(f"no {MODEL_FILE} or {MODEL_ARCHIVE} at {location}")
    scratch = Path(tempfile.mkdtemp(prefix="model-"))
    try:
        yield extract_model_archive(archive, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def format_row_errors(errors: Sequence[tuple[str, str]], total: int | None = None) -> str:
    """One message naming each bad row (up to MAX_LISTED_ERRORS) and its reason."""
    count = total if total is not None else len(errors)
    shown = "; ".join(f"{label}: {reason}" for label, reason in errors[:MAX_LISTED_ERRORS])
    more = f" (and {count - MAX_LISTED_ERRORS} more)" if count > MAX_LISTED_ERRORS else ""
    return f"{count} row(s) cannot be scored: {shown}{more}"


def check_scoring_rows(
    parsed: ParsedFrame, labels: Sequence[str]
) -> tuple[ScoringRows, list[tuple[str, str]]]:
    """Validate typed rows for scoring (no target needed); return good rows and row errors."""
    outcome = validate(parsed, with_target=False)
    errors = [(labels[i], "; ".join(r)) for i, r in sorted(outcome.reasons.items())]
    kept = [label for label, ok in zip(labels, outcome.passed, strict=True) if ok]
    return ScoringRows(outcome.clean, kept), errors


def chunk_rows(
    chunk: RecordChunk, header: Sequence[str]
) -> tuple[ScoringRows, list[tuple[str, str]]]:
    """Field-count check, parse and validation of one chunk of CSV records."""
    expected = len(header)
    errors: list[tuple[str, str]] = []
    good = np.flatnonzero(chunk.field_counts == expected)
    for i in np.flatnonzero(chunk.field_counts != expected):
        found = int(chunk.field_counts[i])
        kind = "too few" if found < expected else "too many"
        errors.append(
            (f"line {chunk.line_numbers[i]}", f"{kind} fields (expected {expected}, found {found})")
        )
    labels = [f"line {chunk.line_numbers[i]}" for i in good]
    if len(good) == len(chunk) and chunk.blob is not None:
        blob = chunk.blob
    else:
        blob = b"\n".join(chunk.records[int(i)] for i in good) + b"\n"
    parsed = parse_csv_records(blob, header, len(good)) if len(good) else None
    if parsed is None:
        return ScoringRows(pd.DataFrame(), []), errors
    rows, row_errors = check_scoring_rows(parsed, labels)
    return rows, sorted(errors + row_errors, key=lambda e: int(e[0].split()[1]))


def csv_scoring_rows(body: bytes, source: str = "request") -> ScoringRows:
    """Rows of a CSV body with a header of raw columns; raises RowError naming bad rows."""
    reader = CsvRecordReader(io.BytesIO(body), source)
    header = reader.header
    check_header(header, source, with_target=False)
    frames: list[pd.DataFrame] = []
    labels: list[str] = []
    errors: list[tuple[str, str]] = []
    for chunk in reader.chunks():
        rows, chunk_errors = chunk_rows(chunk, header)
        errors.extend(chunk_errors)
        if len(rows.clean):
            frames.append(rows.clean)
            labels.extend(rows.labels)
    if errors:
        raise RowError(format_row_errors(errors))
    if not frames:
        raise DataContractError(f"{source}: no data rows to score")
    return ScoringRows(_concat(frames), labels)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    columns = {
        name: (
            pd.api.types.union_categoricals([f[name].array for f in frames], ignore_order=True)
            if isinstance(frames[0][name].dtype, pd.CategoricalDtype)
            else np.concatenate([f[name].to_numpy() for f in frames])
        )
        for name in frames[0].columns
    }
    return pd.DataFrame(columns)


def json_records(payload: Any) -> list[dict[str, Any]]:
    """A list of records from a JSON payload: a list of objects, one object, or {"instances"}."""
    if isinstance(payload, dict) and "instances" in payload:
        payload = payload["instances"]
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise DataContractError("JSON input must be a list of objects keyed by raw column names")
    if not payload:
        raise DataContractError("JSON input holds no records")
    return payload
