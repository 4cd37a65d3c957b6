"""Hosts simulated by threads: a Reducer whose reductions meet at a barrier (for tests)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

from ml_scripts.common.reduction import distributed_nanmedian

T = TypeVar("T")


class _Exchange:
    """Every thread puts its value in, and all of them take every value out."""

    def __init__(self, size: int) -> None:
        self.barrier = threading.Barrier(size, timeout=60)
        self.slots: list[Any] = [None] * size

    def allgather(self, rank: int, value: Any) -> list[Any]:
        self.slots[rank] = value
        self.barrier.wait()
        values = list(self.slots)
        self.barrier.wait()
        return values


class ThreadReducer:
    """One simulated host's reducer: sums, extremes and gathers over every thread, rank order."""

    def __init__(self, exchange: _Exchange, rank: int, size: int) -> None:
        self._exchange = exchange
        self.rank = rank
        self.world_size = size

    def _reduce(self, values: np.ndarray, op: Callable[[Any, Any], Any]) -> np.ndarray:
        parts = self._exchange.allgather(self.rank, np.asarray(values))
        return np.asarray(functools.reduce(op, parts))

    def sum(self, values: np.ndarray) -> np.ndarray:
        return self._reduce(values, np.add)

    def min(self, values: np.ndarray) -> np.ndarray:
        return self._reduce(values, np.minimum)

    def max(self, values: np.ndarray) -> np.ndarray:
        return self._reduce(values, np.maximum)

    def nanmedian(self, matrix: np.ndarray) -> np.ndarray:
        return distributed_nanmedian(matrix, self)

    def gather(self, value: T) -> list[T]:
        return self._exchange.allgather(self.rank, value)


def run_on_threads(size: int, work: Callable[[ThreadReducer], T]) -> list[T]:
    """Run `work` once per simulated host, each with its reducer; results in rank order."""
    exchange = _Exchange(size)
    with ThreadPoolExecutor(max_workers=size) as pool:
        futures = [pool.submit(work, ThreadReducer(exchange, r, size)) for r in range(size)]
        return [future.result() for future in futures]
