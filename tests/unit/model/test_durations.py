"""ISO-8601 durations: the forms a CacheConfig's ExpireAfter takes, and their lengths."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline_definition.model.durations import DurationError, is_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P7D", timedelta(days=7)),
        ("p30d", timedelta(days=30)),
        ("30d", timedelta(days=30)),
        ("T16m", timedelta(minutes=16)),
        ("P4DT12H", timedelta(days=4, hours=12)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("P2W", timedelta(days=14)),
        ("P1Y2M", timedelta(days=365 + 60)),
        ("P1Y2M3W4DT5H6M7S", timedelta(days=365 + 60 + 21 + 4, hours=5, minutes=6, seconds=7)),
    ],
)
def test_a_duration_is_as_long_as_its_parts(text: str, expected: timedelta) -> None:
    assert is_duration(text)
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "T", "P1DT", "P1D ", " P1D", "1 day", "PT-1H", "P1H", "PT1D", "P.5D"]
)
def test_other_text_is_not_a_duration(text: str) -> None:
    assert not is_duration(text)
    with pytest.raises(DurationError, match="is not an ISO 8601 duration such as P7D"):
        parse_duration(text)


def test_a_duration_too_long_for_a_timedelta_is_still_a_duration() -> None:
    assert is_duration("P9999999999D")
