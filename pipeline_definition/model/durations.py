"""ISO-8601 durations, as a step's `CacheConfig.ExpireAfter` writes them.

`P[nY][nM][nW][nD][T[nH][nM][nS]]`, where the leading P and upper case are optional: the SDK's
own examples write 'p30d' and 'T12H', and the pipeline service takes '30d'. A year counts as
365 days and a month as 30.

`is_expire_after` and `expire_after` are the one rule for ExpireAfter: the validator accepts
exactly what the local cache runs with, and a duration longer than a timedelta can hold means
"never expires" rather than an overflow.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

DURATION_PATTERN: Final = re.compile(
    r"P?(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)
# The longest expiry a timedelta holds; longer ones are read as this (about 2.7 million years).
FOREVER: Final = timedelta.max


class DurationError(ValueError):
    """A text is not an ISO-8601 duration."""


def is_duration(text: str) -> bool:
    """Whether `text` is a duration, however long (`parse_duration` needs it to fit a timedelta)."""
    return _parts(text) is not None


def parse_duration(text: str) -> timedelta:
    """The length of a duration such as `P7D`, `PT1H`, `P4DT12H` or `T12H`."""
    match = _parts(text)
    if match is None:
        raise DurationError(f"{text!r} is not an ISO 8601 duration such as P7D")
    parts = {name: float(value) if value else 0.0 for name, value in match.groupdict().items()}
    return timedelta(
        days=parts["years"] * 365 + parts["months"] * 30 + parts["weeks"] * 7 + parts["days"],
        hours=parts["hours"],
        minutes=parts["minutes"],
        seconds=parts["seconds"],
    )


def is_expire_after(text: str) -> bool:
    """Whether `text` is a CacheConfig ExpireAfter: a duration in whole units ('30d', 'P4DT12H').

    Fractions ('PT1.5S') are not known to be accepted by the service, so neither the validator
    nor the local cache takes them.
    """
    return is_duration(text) and "." not in text


def expire_after(text: str) -> timedelta:
    """The length of an ExpireAfter; FOREVER when it is longer than a timedelta can hold."""
    if not is_expire_after(text):
        raise DurationError(
            f"{text!r} is not an ISO 8601 duration in whole units such as P7D, 30d or PT12H"
        )
    try:
        return parse_duration(text)
    except OverflowError:
        return FOREVER


def _parts(text: str) -> re.Match[str] | None:
    match = DURATION_PATTERN.fullmatch(text)
    # Every part is optional, so the pattern alone would take "" and "P".
    return match if match is not None and any(match.groupdict().values()) else None
