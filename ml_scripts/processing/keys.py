"""Row keys: content hashes used to find exact duplicates and to assign splits.

A row's key is a 64-bit BLAKE2b digest of its known columns in the contract's order, written as
minimal CSV. It does not depend on the file's column order, on chunking or on the library
versions, so the same row always lands in the same split for a given seed.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence

import numpy as np

from ml_scripts import layout
from ml_scripts.common import contract

# Split code i is SPLITS[i]; the names are also the output folders the pipeline collects.
SPLITS: tuple[str, ...] = layout.SPLITS
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


class RowLayout:
    """How a file's columns map onto the contract's canonical column order."""

    def __init__(self, header: Sequence[str]) -> None:
        self.canonical = tuple(header) == contract.CANONICAL_COLUMNS
        position = {name: i for i, name in enumerate(header)}
        self.positions = [position.get(name) for name in contract.CANONICAL_COLUMNS]

    def canonical_text(self, record: bytes) -> bytes:
        """The record's known fields in canonical order, as minimal CSV."""
        if self.canonical and b'"' not in record:
            return record
        text = record.decode("utf-8")
        fields = next(csv.reader([text]), []) if '"' in text else text.split(",")
        ordered = [fields[p] if p is not None and p < len(fields) else "" for p in self.positions]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(ordered)
        return buffer.getvalue().encode("utf-8")


def record_keys(records: Sequence[bytes], layout: RowLayout, *, quoted: bool = True) -> np.ndarray:
    """64-bit content keys of the records (uint64); `quoted=False` promises no record has quotes."""
    blake = hashlib.blake2b
    if layout.canonical and not quoted:
        digests = [blake(r, digest_size=8).digest() for r in records]
    else:
        text = layout.canonical_text
        digests = [blake(text(r), digest_size=8).digest() for r in records]
    return np.frombuffer(b"".join(digests), dtype="<u8").astype(np.uint64)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the key bits so any seed gives an independent split."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return (z ^ (z >> np.uint64(31))) & _MASK64


def split_codes(
    keys: np.ndarray, *, seed: int, validation_fraction: float, test_fraction: float
) -> np.ndarray:
    """0 = train, 1 = validation, 2 = test, decided by each key and the seed."""
    seed_word = np.uint64(seed & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        mixed = _mix(keys ^ _mix(np.asarray([seed_word], dtype=np.uint64))[0])
    uniform = (mixed >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    codes = np.zeros(len(keys), dtype=np.int8)
    codes[uniform < test_fraction + validation_fraction] = 1
    codes[uniform < test_fraction] = 2
    return codes


class KeySet:
    """Keys seen so far, as a few sorted runs (8 bytes per key, merged like an LSM tree)."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Mask of keys already seen."""
        found = np.zeros(len(keys), dtype=bool)
        for run in self._runs:
            index = np.searchsorted(run, keys)
            index[index == len(run)] = 0
            found |= run[index] == keys
        return found

    def add(self, keys: np.ndarray) -> None:
        """Remember new keys (callers pass keys not seen yet)."""
        if not len(keys):
            return
        self._runs.append(np.sort(keys))
        while len(self._runs) > 1 and len(self._runs[-1]) >= len(self._runs[-2]):
            merged = np.concatenate([self._runs.pop(), self._runs.pop()])
            merged.sort(kind="stable")
            self._runs.append(merged)


def duplicate_mask(keys: np.ndarray, seen: KeySet) -> np.ndarray:
    """Rows whose key was seen before (earlier in this batch or in an earlier batch)."""
    _, first = np.unique(keys, return_index=True)
    repeated = np.ones(len(keys), dtype=bool)
    repeated[first] = False
    repeated |= seen.contains(keys)
    seen.add(keys[~repeated])
    return repeated
