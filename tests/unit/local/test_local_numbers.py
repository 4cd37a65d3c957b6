"""Numbers in run-local's messages: four significant digits, more only to tell values apart."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline_definition.local.evaluation import EvaluationContext, evaluate_condition
from pipeline_definition.local.numbers import readable, readable_together

# What a property file gives the gate: every digit repr has.
RMSE = 0.1196349712961185


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (RMSE, "0.1196"),
        (0.15, "0.15"),
        (0.0696121, "0.06961"),
        (0.919081, "0.9191"),
        (12.3456, "12.35"),
        (177378.61, "177379"),
        (1.5e-06, "1.5e-06"),
        (3.2e20, "3.2e+20"),
        (0.0, "0"),
        (4, "4"),
        (4000, "4000"),
        (float("inf"), "inf"),
        (float("nan"), "nan"),
    ],
)
def test_readable_keeps_four_significant_digits(value: float, text: str) -> None:
    assert readable(value) == text


def test_values_that_differ_get_the_digits_that_tell_them_apart() -> None:
    assert readable_together([0.15000001, 0.15]) == ["0.15000001", "0.15"]
    assert readable_together([0.14996, 0.15]) == ["0.14996", "0.15"]
    assert readable_together([RMSE, 0.15]) == ["0.1196", "0.15"]
    assert readable_together([0.15, 0.15]) == ["0.15", "0.15"]


def test_values_that_are_not_numbers_are_shown_as_given() -> None:
    assert readable_together([True, "abc", 0.5], lambda v: f"<{v}>") == ["<True>", "<abc>", "0.5"]


def _gate(left: Any, right: Any) -> str:
    condition = {"Type": "LessThanOrEqualTo", "LeftValue": left, "RightValue": right}
    return evaluate_condition(condition, EvaluationContext()).explanation


def test_the_quality_gate_explains_itself_at_a_readable_precision() -> None:
    assert _gate(RMSE, 0.15) == "0.1196 <= 0.15"
    # Close to the threshold, the digits that decide the outcome are shown.
    assert _gate(0.1500000001, 0.15) == "0.1500000001 <= 0.15"


def test_in_conditions_tell_close_values_apart() -> None:
    condition = {"Type": "In", "QueryValue": 0.10001, "Values": [0.1, 0.2]}
    result = evaluate_condition(condition, EvaluationContext())
    assert result.outcome is False
    assert result.explanation == "0.10001 in [0.1, 0.2]"
