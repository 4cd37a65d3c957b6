"""ISO-8601 durations: the forms a CacheConfig's ExpireAfter takes, and their lengths."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline_definition.model.durations import (
    FOREVER,
    DurationError,
    expire_after,
    is_duration,
    is_expire_after,
    parse_duration,
)


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


@pytest.mark.parametrize("text", ["P7D", "30d", "7D", "p30d", "T12H", "P4DT12H", "P9999999999D"])
def test_what_the_validator_accepts_the_local_cache_runs_with(text: str) -> None:
    from pipeline_definition.check.validate import validate_definition
    from pipeline_definition.local.cache import cache_policy

    step = {"Name": "A", "Type": "Fail", "Arguments": {"ErrorMessage": "x"}}
    definition = {"Version": "2020-12-01", "Steps": [step]}
    step["CacheConfig"] = {"Enabled": True, "ExpireAfter": text}
    issues = [i for i in validate_definition(definition) if "ExpireAfter" in i.path]
    assert issues == []
    assert cache_policy(step["CacheConfig"]).expire_after == expire_after(text)


def test_an_expiry_longer_than_a_timedelta_never_expires() -> None:
    assert expire_after("P9999999999D") == FOREVER
    assert expire_after("P99999999999999999999Y") == FOREVER


@pytest.mark.parametrize("text", ["PT1.5S", "", "P", "1 day"])
def test_fractions_and_non_durations_are_no_expiry(text: str) -> None:
    assert not is_expire_after(text)
    with pytest.raises(DurationError, match="whole units"):
        expire_after(text)
