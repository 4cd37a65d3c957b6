"""Feature engineering and the fitted feature transform.

The transform is fitted on the training split only, saved as JSON (portable across library
versions, unlike a pickle) and applied unchanged by training, evaluation and inference, so the
model always sees features computed by the same code. Fitting only needs running sums and
counts, so it can be fed the training rows chunk by chunk.

Features:
- the numeric raw columns as they are (NaN = unknown; XGBoost routes missing values itself);
- ordinal quality scales as ranks (Po=1 < Fa < TA < Gd < Ex=5, "None" = 0);
- one-hot indicators for nominal levels seen at least `min_count` times in training;
- smoothed target encoding (mean log price) of the neighbourhood and dwelling class;
- engineered columns from the data's documentation: total area incl. basement, age at sale,
  years since remodelling, total baths, quality x area interactions, porch area, sale time.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml_scripts.common import contract
from ml_scripts.common.parse import as_categorical, category_codes, category_values

FORMAT_VERSION = 1
TARGET_TRANSFORM = "log1p"
DEFAULT_MIN_COUNT = 10
DEFAULT_SMOOTHING = 10.0
DEFAULT_TARGET_ENCODED: tuple[str, ...] = ("Neighborhood", "MS SubClass")
_SUM_SCALE = float(2**32)
ENGINEERED: tuple[str, ...] = (
    "Total SF",
    "Finished SF",
    "House Age",
    "Years Since Remodel",
    "Garage Age",
    "Total Baths",
    "Total Porch SF",
    "Qual x Living Area",
    "Qual x Total SF",
    "Qual x Cond",
    "Kitchen x Qual",
    "Exter x Living Area",
    "Garage Qual x Area",
    "Sale Time",
    "Remodeled",
)
_BAD_NAME_CHARS = str.maketrans({"[": "(", "]": ")", "<": "lt", ",": ";"})


def _zero_if_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), 0.0, values)


def _ordinal_maps() -> dict[str, dict[str, float]]:
    maps: dict[str, dict[str, float]] = {}
    for spec in contract.COLUMNS:
        if spec.kind == "ordinal":
            ranks = {level: float(rank) for rank, level in enumerate(spec.scale, start=1)}
            maps[spec.name] = {contract.NONE_CATEGORY: 0.0, **ranks}
    return maps


def _numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)


def ordinal_ranks(values: Any, mapping: Mapping[str, float]) -> np.ndarray:
    """Ranks of ordinal levels; NaN for unknown or unexpected values."""
    return category_values(values, mapping)


def engineered_features(
    frame: pd.DataFrame, ordinal: Mapping[str, Mapping[str, float]]
) -> dict[str, np.ndarray]:
    """Columns derived from the clean raw columns (documented in the module docstring)."""
    n = _numbers
    basement = _zero_if_nan(n(frame, "Total Bsmt SF"))
    living = n(frame, "Gr Liv Area")
    total_sf = living + basement
    year_sold = n(frame, "Yr Sold")
    quality = n(frame, "Overall Qual")
    kitchen = ordinal_ranks(frame["Kitchen Qual"], ordinal["Kitchen Qual"])
    exterior = ordinal_ranks(frame["Exter Qual"], ordinal["Exter Qual"])
    garage_quality = ordinal_ranks(frame["Garage Qual"], ordinal["Garage Qual"])
    porch = sum(
        _zero_if_nan(n(frame, c))
        for c in ("Wood Deck SF", "Open Porch SF", "Enclosed Porch", "3Ssn Porch", "Screen Porch")
    )
    baths = (
        n(frame, "Full Bath")
        + 0.5 * n(frame, "Half Bath")
        + _zero_if_nan(n(frame, "Bsmt Full Bath"))
        + 0.5 * _zero_if_nan(n(frame, "Bsmt Half Bath"))
    )
    finished_basement = _zero_if_nan(n(frame, "BsmtFin SF 1")) + _zero_if_nan(
        n(frame, "BsmtFin SF 2")
    )
    return {
        "Total SF": total_sf,
        "Finished SF": living + finished_basement,
        "House Age": year_sold - n(frame, "Year Built"),
        "Years Since Remodel": year_sold - n(frame, "Year Remod/Add"),
        "Garage Age": year_sold - n(frame, "Garage Yr Blt"),
        "Total Baths": baths,
        "Total Porch SF": porch,
        "Qual x Living Area": quality * living,
        "Qual x Total SF": quality * total_sf,
        "Qual x Cond": quality * n(frame, "Overall Cond"),
        "Kitchen x Qual": kitchen * quality,
        "Exter x Living Area": exterior * living,
        "Garage Qual x Area": garage_quality * _zero_if_nan(n(frame, "Garage Area")),
        "Sale Time": year_sold + (n(frame, "Mo Sold") - 1.0) / 12.0,
        "Remodeled": (n(frame, "Year Remod/Add") != n(frame, "Year Built")).astype(np.float64),
    }


@dataclass(frozen=True)
class TargetEncoding:
    """Smoothed mean of the log target per level; `prior` for unseen levels."""

    levels: dict[str, float]
    prior: float


@dataclass
class FeatureTransform:
    """The fitted transform: raw clean columns -> model feature matrix."""

    numeric: list[str]
    ordinal: dict[str, dict[str, float]]
    one_hot: dict[str, list[str]]
    target_encoding: dict[str, TargetEncoding]
    engineered: list[str]
    fit_rows: int
    target: str = contract.TARGET
    target_transform: str = TARGET_TRANSFORM
    feature_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.feature_names:
            self.feature_names = self._names()

    def _names(self) -> list[str]:
        names = [*self.numeric, *self.ordinal]
        for column, levels in self.one_hot.items():
            names.extend(f"{column}={level}" for level in levels)
        names.extend(f"{column} (target mean)" for column in self.target_encoding)
        names.extend(self.engineered)
        return [name.translate(_BAD_NAME_CHARS) for name in names]

    @property
    def input_columns(self) -> list[str]:
        """Raw columns the transform reads."""
        used = {*self.numeric, *self.ordinal, *self.one_hot, *self.target_encoding}
        return [c for c in contract.FEATURE_COLUMNS if c in used]

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Feature matrix (float32, one row per input row, columns = feature_names)."""
        missing = [c for c in contract.FEATURE_COLUMNS if c not in frame.columns]
        if missing:
            raise KeyError(f"columns missing for the feature transform: {missing}")
        rows = len(frame)
        out = np.full((rows, len(self.feature_names)), np.nan, dtype=np.float32)
        col = 0
        for name in self.numeric:
            out[:, col] = _numbers(frame, name)
            col += 1
        for name, mapping in self.ordinal.items():
            out[:, col] = ordinal_ranks(frame[name], mapping)
            col += 1
        for name, levels in self.one_hot.items():
            codes = category_codes(frame[name], levels)
            block = np.zeros((rows, len(levels)), dtype=np.float32)
            seen = codes >= 0
            block[np.flatnonzero(seen), codes[seen]] = 1.0
            out[:, col : col + len(levels)] = block
            col += len(levels)
        for name, encoding in self.target_encoding.items():
            encoded = category_values(frame[name], encoding.levels)
            out[:, col] = np.where(np.isnan(encoded), encoding.prior, encoded)
            col += 1
        derived = engineered_features(frame, self.ordinal)
        for name in self.engineered:
            out[:, col] = derived[name]
            col += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation."""
        return {
            "format_version": FORMAT_VERSION,
            "contract_version": contract.CONTRACT_VERSION,
            "target": self.target,
            "target_transform": self.target_transform,
            "fit_rows": self.fit_rows,
            # Lists, not objects: the column order defines the feature order, and JSON writers
            # may sort object keys.
            "numeric": self.numeric,
            "ordinal": [{"column": k, "ranks": v} for k, v in self.ordinal.items()],
            "one_hot": [{"column": k, "levels": v} for k, v in self.one_hot.items()],
            "target_encoding": [
                {"column": k, "prior": enc.prior, "levels": enc.levels}
                for k, enc in self.target_encoding.items()
            ],
            "engineered": self.engineered,
            "feature_names": self.feature_names,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureTransform:
        """Inverse of to_dict; refuses an unknown format version."""
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(f"unsupported feature transform format_version {version!r}")
        transform = cls(
            numeric=list(data["numeric"]),
            ordinal={e["column"]: dict(e["ranks"]) for e in data["ordinal"]},
            one_hot={e["column"]: list(e["levels"]) for e in data["one_hot"]},
            target_encoding={
                e["column"]: TargetEncoding(levels=dict(e["levels"]), prior=float(e["prior"]))
                for e in data["target_encoding"]
            },
            engineered=list(data["engineered"]),
            fit_rows=int(data["fit_rows"]),
            target=str(data["target"]),
            target_transform=str(data["target_transform"]),
        )
        if transform.feature_names != list(data["feature_names"]):
            raise ValueError("feature transform JSON is inconsistent: feature_names differ")
        return transform

    def save(self, path: Path) -> None:
        """Write the transform as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> FeatureTransform:
        """Read a transform written by `save`."""
        return cls.from_dict(json.loads(path.read_text()))


def target_to_model(price: np.ndarray) -> np.ndarray:
    """Model target: log1p(price)."""
    return np.log1p(np.asarray(price, dtype=np.float64))


def model_to_price(prediction: np.ndarray) -> np.ndarray:
    """Inverse of target_to_model."""
    return np.expm1(np.asarray(prediction, dtype=np.float64))


class TransformFitter:
    """Accumulates what the transform needs from training rows, chunk by chunk."""

    def __init__(
        self,
        *,
        min_count: int = DEFAULT_MIN_COUNT,
        smoothing: float = DEFAULT_SMOOTHING,
        target_encoded: tuple[str, ...] = DEFAULT_TARGET_ENCODED,
    ) -> None:
        self.min_count = min_count
        self.smoothing = smoothing
        self.target_encoded = target_encoded
        self.rows = 0
        # Sums are kept as exact integers (target in units of 2**-32) so the fitted transform is
        # the same whatever the chunking of the training rows.
        self._target_sum = 0
        self._level_counts: dict[str, Counter[str]] = {
            s.name: Counter() for s in contract.COLUMNS if s.kind == "nominal"
        }
        self._level_sums: dict[str, dict[str, int]] = {c: {} for c in target_encoded}

    def update(self, frame: pd.DataFrame) -> None:
        """Add clean training rows (with the target column)."""
        if not len(frame):
            return
        target = target_to_model(_numbers(frame, contract.TARGET))
        units = np.rint(target * _SUM_SCALE).astype(np.int64)
        self.rows += len(frame)
        self._target_sum += int(units.sum())
        for name, counts in self._level_counts.items():
            cat = as_categorical(frame[name])
            codes = np.asarray(cat.codes, dtype=np.int64)
            present = codes >= 0
            levels = [str(c) for c in cat.categories]
            tally = np.bincount(codes[present], minlength=len(levels))
            counts.update({level: int(n) for level, n in zip(levels, tally, strict=True) if n})
            if name in self._level_sums:
                sums = self._level_sums[name]
                totals = np.zeros(len(levels), dtype=np.int64)
                np.add.at(totals, codes[present], units[present])
                for level, n, total in zip(levels, tally, totals, strict=True):
                    if n:
                        sums[level] = sums.get(level, 0) + int(total)

    def merge(self, other: TransformFitter) -> None:
        """Add what another fitter saw (another host's rows): the sums stay exact integers."""
        self.rows += other.rows
        self._target_sum += other._target_sum
        for name, counts in other._level_counts.items():
            self._level_counts[name].update(counts)
        for name, sums in other._level_sums.items():
            mine = self._level_sums[name]
            for level, total in sums.items():
                mine[level] = mine.get(level, 0) + total

    def finish(self) -> FeatureTransform:
        """The fitted transform; raises when no training row was seen."""
        if not self.rows:
            raise ValueError("cannot fit the feature transform: no training rows")
        prior = self._target_sum / _SUM_SCALE / self.rows
        one_hot = {
            name: sorted(level for level, count in counts.items() if count >= self.min_count)
            for name, counts in self._level_counts.items()
        }
        encodings: dict[str, TargetEncoding] = {}
        for name, sums in self._level_sums.items():
            counts = self._level_counts[name]
            levels = {
                level: (total / _SUM_SCALE + self.smoothing * prior)
                / (counts[level] + self.smoothing)
                for level, total in sorted(sums.items())
            }
            encodings[name] = TargetEncoding(levels=levels, prior=prior)
        numeric = [s.name for s in contract.COLUMNS if s.kind in ("numeric", "integer")]
        return FeatureTransform(
            numeric=numeric,
            ordinal=_ordinal_maps(),
            one_hot={k: v for k, v in one_hot.items() if v},
            target_encoding=encodings,
            engineered=list(ENGINEERED),
            fit_rows=self.rows,
        )


def fit_transform(frame: pd.DataFrame, **options: Any) -> FeatureTransform:
    """Fit a transform on one in-memory frame of clean training rows."""
    fitter = TransformFitter(**options)
    fitter.update(frame)
    return fitter.finish()


def exclusion_mask(frame: pd.DataFrame) -> np.ndarray:
    """Training rows left out of fitting per the contract (e.g. Gr Liv Area > 4000)."""
    mask = np.zeros(len(frame), dtype=bool)
    for rule in contract.TRAINING_EXCLUSIONS:
        values = frame[rule.column].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            mask |= values > rule.above
    return mask
