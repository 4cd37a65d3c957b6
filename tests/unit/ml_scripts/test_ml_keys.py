"""Row keys: duplicate detection and the seeded, content-based split."""

from __future__ import annotations

import numpy as np

from ml_scripts.processing.keys import KeySet, RowLayout, duplicate_mask, record_keys, split_codes
from testsupport.ml_scripts_testkit import HEADER, ROWS


def _records(order: list[int] | None = None) -> tuple[list[bytes], RowLayout]:
    order = order or list(range(len(HEADER)))
    header = [HEADER[i] for i in order]
    records = [",".join(r[i] for i in order).encode() for r in ROWS[:200]]
    return records, RowLayout(header)


def test_keys_do_not_depend_on_the_column_order() -> None:
    records, layout = _records()
    reordered, other = _records(list(reversed(range(len(HEADER)))))
    assert layout.canonical and not other.canonical
    np.testing.assert_array_equal(record_keys(records, layout), record_keys(reordered, other))


def test_quoting_does_not_change_the_key() -> None:
    records, layout = _records()
    quoted = [b'"' + r.replace(b",", b'","') + b'"' for r in records[:5]]
    np.testing.assert_array_equal(
        record_keys(records[:5], layout, quoted=False), record_keys(quoted, layout)
    )


def test_split_is_deterministic_and_close_to_the_fractions() -> None:
    keys = np.arange(20_000, dtype=np.uint64) * np.uint64(2654435761)
    codes = split_codes(keys, seed=42, validation_fraction=0.15, test_fraction=0.15)
    again = split_codes(keys, seed=42, validation_fraction=0.15, test_fraction=0.15)
    np.testing.assert_array_equal(codes, again)
    shares = np.bincount(codes, minlength=3) / len(keys)
    np.testing.assert_allclose(shares, [0.70, 0.15, 0.15], atol=0.01)


def test_another_seed_gives_another_split() -> None:
    keys = np.arange(1000, dtype=np.uint64)
    first = split_codes(keys, seed=1, validation_fraction=0.2, test_fraction=0.2)
    second = split_codes(keys, seed=2, validation_fraction=0.2, test_fraction=0.2)
    assert (first != second).mean() > 0.3


def test_duplicates_are_found_within_and_across_batches() -> None:
    seen = KeySet()
    first = duplicate_mask(np.array([5, 7, 5], dtype=np.uint64), seen)
    second = duplicate_mask(np.array([7, 9, 9, 11], dtype=np.uint64), seen)
    assert first.tolist() == [False, False, True]
    assert second.tolist() == [True, False, True, False]
    assert len(seen) == 4


def test_key_set_merges_runs_and_still_finds_every_key() -> None:
    seen = KeySet()
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, 2**63, 1000, dtype=np.int64).astype(np.uint64) for _ in range(9)]
    for batch in batches:
        seen.add(batch)
    assert seen.contains(np.concatenate(batches)).all()
    assert not seen.contains(np.array([1, 2, 3], dtype=np.uint64)).any()
