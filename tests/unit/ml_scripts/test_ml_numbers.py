"""Figures as text: four significant digits unless a comparison needs more."""

from __future__ import annotations

import pytest

from ml_scripts.common.numbers import readable


@pytest.mark.parametrize(
    ("value", "compared", "expected"),
    [
        (0.1196349712961185, (), "0.1196"),
        (0.1196349712961185, (0.15,), "0.1196"),
        # Rounded to four digits both read 0.15: the text keeps the digits that differ.
        (0.150004, (0.15,), "0.150004"),
        (0.15, (0.15,), "0.15"),
        (0.0050004, (0.005,), "0.0050004"),
        (123456.789, (), "1.235e+05"),
    ],
)
def test_readable_shows_four_digits_or_what_tells_it_apart(
    value: float, compared: tuple[float, ...], expected: str
) -> None:
    assert readable(value, *compared) == expected
