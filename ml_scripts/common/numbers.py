"""Figures as text for people: four significant digits, more only where a comparison needs them.

SageMaker's Fail message joins the values it quotes as they are, and pipeline expressions
cannot round, so EvaluateModel writes the figures the message quotes as text itself.
"""

from __future__ import annotations

MIN_DIGITS = 4
MAX_DIGITS = 17


def readable(value: float, *compared: float) -> str:
    """`value` at 4 significant digits, or as many as tell it apart from each of `compared`."""
    for digits in range(MIN_DIGITS, MAX_DIGITS + 1):
        text = f"{value:.{digits}g}"
        if all(text != f"{other:.{digits}g}" for other in compared if other != value):
            return text
    return repr(value)
