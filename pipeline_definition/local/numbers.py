"""Numbers in what a run prints: four significant digits, never a 17-digit float.

A float read from a property file carries every digit `repr` gives it (`0.1196349712961185`);
a person reading a gate needs four. Where several numbers are compared, they get as many digits
as it takes to tell apart the ones that differ, so "0.15 <= 0.15 is false" never appears.
Machine-readable output (`--json`, execution.json) keeps the full values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

SIGNIFICANT_DIGITS = 4
# Enough for any float to print as itself (`repr` uses at most 17).
MAX_DIGITS = 17
# From here on a figure reads better as a whole number than as 1.235e+05.
WHOLE_FROM = 10**SIGNIFICANT_DIGITS
# Past this, a whole number would be a string of digits nobody counts.
WHOLE_UNTIL = 1e15


def is_number(value: Any) -> bool:
    """True for ints and floats, not for booleans."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def readable(value: float, digits: int = SIGNIFICANT_DIGITS) -> str:
    """`value` with `digits` significant digits; whole numbers and ints stay whole."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value) or value == 0:
        return repr(value) if value else "0"
    if digits < MAX_DIGITS and WHOLE_FROM <= abs(value) < WHOLE_UNTIL:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def _digits_to_tell_apart(numbers: list[float]) -> int:
    distinct = set(numbers)
    for digits in range(SIGNIFICANT_DIGITS, MAX_DIGITS + 1):
        if len({readable(number, digits) for number in distinct}) == len(distinct):
            return digits
    return MAX_DIGITS


def readable_together(values: Iterable[Any], other: Callable[[Any], str] = str) -> list[str]:
    """Each number readable, with enough digits that numbers that differ print differently.

    Rounding keeps order, so a comparison shown with these texts reads as it evaluated.
    Values that are not numbers are shown by `other`.
    """
    items = list(values)
    numbers = [float(item) for item in items if is_number(item)]
    digits = _digits_to_tell_apart(numbers) if numbers else SIGNIFICANT_DIGITS
    return [readable(item, digits) if is_number(item) else other(item) for item in items]
