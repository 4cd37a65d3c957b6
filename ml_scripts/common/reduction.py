"""Statistics over rows that may be spread across hosts: sums, extremes, medians, gathers.

A fit that needs statistics of all its rows (the ridge half of the blend, the feature transform,
the validation figures) asks a `Reducer`. On one host that is `LOCAL`, and numpy computes what
it always did. Across hosts (`ml_scripts/training/cluster.py`) sums, minima and maxima are
allreduced, and a median is found exactly by `select_kth`: a radix selection on the bits of the
float64 values in which each of the 8 rounds only sums a histogram of 256 counts across hosts.
So a fit from statistics summed across hosts is the single-host fit, up to the order in which
floating-point sums are added.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import numpy as np

T = TypeVar("T")
_SIGN = np.uint64(1 << 63)
_BYTE = np.uint64(0xFF)
_SHIFTS = tuple(np.uint64(s) for s in range(56, -1, -8))
# Column statistics of a large matrix are taken this many columns at a time, so temporaries
# stay a small fraction of it (numpy reduces each column over the rows in order either way).
BLOCK_COLUMNS = 32


class Reducer(Protocol):
    """Reductions across every host that holds a share of the rows (one host: the identity)."""

    @property
    def world_size(self) -> int:
        """How many hosts take part."""
        ...

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Element-wise sum over hosts."""
        ...

    def min(self, values: np.ndarray) -> np.ndarray:
        """Element-wise minimum over hosts."""
        ...

    def max(self, values: np.ndarray) -> np.ndarray:
        """Element-wise maximum over hosts."""
        ...

    def nanmedian(self, matrix: np.ndarray) -> np.ndarray:
        """Median of each column over every host's rows, NaN ignored (NaN when none is left)."""
        ...

    def gather(self, value: T) -> list[T]:
        """Every host's value, in rank order."""
        ...


class LocalReducer:
    """One host: every reduction is the identity, medians are numpy's."""

    world_size = 1

    def sum(self, values: np.ndarray) -> np.ndarray:
        """The values themselves."""
        return np.asarray(values)

    def min(self, values: np.ndarray) -> np.ndarray:
        """The values themselves."""
        return np.asarray(values)

    def max(self, values: np.ndarray) -> np.ndarray:
        """The values themselves."""
        return np.asarray(values)

    def nanmedian(self, matrix: np.ndarray) -> np.ndarray:
        """np.nanmedian per column (an all-NaN column gives NaN, silently)."""
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.asarray(np.nanmedian(matrix, axis=0), dtype=np.float64)

    def gather(self, value: T) -> list[T]:
        """A list of this host's value."""
        return [value]


LOCAL = LocalReducer()


def column_blocks(width: int) -> list[slice]:
    """Slices of at most BLOCK_COLUMNS columns that cover `width` columns."""
    return [
        slice(start, min(start + BLOCK_COLUMNS, width)) for start in range(0, width, BLOCK_COLUMNS)
    ]


def nan_extreme(values: np.ndarray, reducer: Reducer, *, lowest: bool) -> np.ndarray:
    """Per-column minimum (or maximum) over every host's rows, NaN ignored; NaN if none."""
    fill = np.inf if lowest else -np.inf
    width = values.shape[1]
    present = np.zeros(width, dtype=np.int64)
    local = np.full(width, fill)
    for columns in column_blocks(width) if len(values) else []:
        block = np.asarray(values[:, columns], dtype=np.float64)
        missing = np.isnan(block)
        present[columns] = (~missing).sum(axis=0)
        block = np.where(missing, fill, block)
        local[columns] = block.min(axis=0) if lowest else block.max(axis=0)
    present = reducer.sum(present)
    total = reducer.min(local) if lowest else reducer.max(local)
    return np.where(present > 0, total, np.nan)


def ordered_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys that sort as the float64 values do (NaN excluded by the caller)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits >> np.uint64(63) == 1, ~bits, bits | _SIGN)


def from_ordered_keys(keys: np.ndarray) -> np.ndarray:
    """Inverse of ordered_keys."""
    keys = np.asarray(keys, dtype=np.uint64)
    bits = np.where(keys >> np.uint64(63) == 1, keys & ~_SIGN, ~keys)
    return np.ascontiguousarray(bits).view(np.float64)


def select_kth(
    columns: Sequence[np.ndarray],
    ranks: Sequence[int],
    total: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """The ranks[i]-th smallest (0-based) value of column i over every host.

    `columns[i]` holds this host's values of column i (no NaN); `total` sums an array across
    hosts. Each of the 8 rounds fixes one byte of the answer's ordered key from a histogram of
    256 counts per column, and keeps only the local values that still match: exact, and the
    communication is 8 x 256 counts per column whatever the number of rows.
    """
    candidates = [ordered_keys(column) for column in columns]
    remaining = np.asarray(ranks, dtype=np.int64).copy()
    prefix = np.zeros(len(candidates), dtype=np.uint64)
    for shift in _SHIFTS:
        digits = [((c >> shift) & _BYTE).astype(np.intp) for c in candidates]
        histogram = np.zeros((len(candidates), 256), dtype=np.int64)
        for i, values in enumerate(digits):
            histogram[i] = np.bincount(values, minlength=256)
        cumulative = np.cumsum(total(histogram).reshape(histogram.shape), axis=1)
        chosen = np.argmax(cumulative > remaining[:, None], axis=1)
        below = np.where(
            chosen > 0, cumulative[np.arange(len(chosen)), np.maximum(chosen - 1, 0)], 0
        )
        remaining -= below
        prefix = (prefix << np.uint64(8)) | chosen.astype(np.uint64)
        candidates = [c[d == b] for c, d, b in zip(candidates, digits, chosen, strict=True)]
    return from_ordered_keys(prefix)


def distributed_nanmedian(matrix: np.ndarray, reducer: Reducer) -> np.ndarray:
    """np.nanmedian(matrix, axis=0) over every host's rows, from counts, sums and minima."""
    # One column per row of a contiguous copy: taking a column's values is then a cheap slice.
    values = np.ascontiguousarray(np.asarray(matrix, dtype=np.float64).T)
    present = ~np.isnan(values)
    counts = reducer.sum(present.sum(axis=1).astype(np.int64)).astype(np.int64)
    wanted = [j for j in range(len(values)) if counts[j] > 0]
    columns = [values[j][present[j]] for j in wanted]
    lower = select_kth(columns, [int(counts[j] - 1) // 2 for j in wanted], reducer.sum)
    # The upper middle value: the lower one again when enough values equal it, else the
    # smallest value above it (one count and one minimum instead of a second selection).
    at_most = reducer.sum(
        np.asarray([int(np.sum(c <= v)) for c, v in zip(columns, lower, strict=True)])
    )
    above = reducer.min(
        np.asarray(
            [np.min(c, where=c > v, initial=np.inf) for c, v in zip(columns, lower, strict=True)],
            dtype=np.float64,
        )
    )
    upper_rank = np.asarray([int(counts[j]) // 2 for j in wanted], dtype=np.int64)
    upper = np.where(at_most.reshape(-1) > upper_rank, lower, above.reshape(-1))
    medians = np.full(len(values), np.nan)
    # As numpy: the mean of the two middle values (the same value twice for an odd count).
    medians[wanted] = (lower + upper) / 2
    return medians
