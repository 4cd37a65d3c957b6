"""Step retry policies: which failures retry, how often and after how long.

As in Step Functions, on which SageMaker Pipelines models its policies, `MaxAttempts` counts
retries after the first attempt, each policy keeps its own count, and the n-th retry under a
policy waits `IntervalSeconds * BackoffRate ** (n - 1)`. `ExpireAfterMin` stops retrying once
that many minutes have passed since the step's first attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

JOB_EXCEPTION_TYPES = (
    "SageMaker.JOB_INTERNAL_ERROR",
    "SageMaker.CAPACITY_ERROR",
    "SageMaker.RESOURCE_LIMIT",
)
STEP_EXCEPTION_TYPES = ("Step.SERVICE_FAULT", "Step.THROTTLING")
EXCEPTION_TYPES = (*JOB_EXCEPTION_TYPES, *STEP_EXCEPTION_TYPES)
DEFAULT_INTERVAL_SECONDS = 1.0
DEFAULT_BACKOFF_RATE = 2.0


class RetryPolicyError(ValueError):
    """A RetryPolicies entry is malformed."""


@dataclass(frozen=True)
class RetryPolicy:
    """One entry of a step's `RetryPolicies`."""

    exception_types: tuple[str, ...]
    max_attempts: int | None = None
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    backoff_rate: float = DEFAULT_BACKOFF_RATE
    expire_after_minutes: float | None = None

    def matches(self, exception_type: str) -> bool:
        """True when this policy retries the given failure type."""
        return exception_type in self.exception_types

    def delay(self, retry: int) -> float:
        """Seconds to wait before the `retry`-th retry (1-based) under this policy."""
        return self.interval_seconds * self.backoff_rate ** (retry - 1)


def _number(entry: Mapping[str, Any], name: str, default: float | None) -> float | None:
    value = entry.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RetryPolicyError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def parse_policies(raw: Any) -> tuple[RetryPolicy, ...]:
    """Read a step's `RetryPolicies` list (absent means no retries)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RetryPolicyError(f"RetryPolicies must be a list, got {raw!r}")
    policies = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise RetryPolicyError(f"a retry policy must be an object, got {entry!r}")
        types = entry.get("ExceptionType")
        if not isinstance(types, list) or not types:
            raise RetryPolicyError(f"a retry policy needs an ExceptionType list: {entry!r}")
        unknown = [t for t in types if t not in EXCEPTION_TYPES]
        if unknown:
            raise RetryPolicyError(
                f"unknown ExceptionType {', '.join(map(str, unknown))}; "
                f"expected {', '.join(EXCEPTION_TYPES)}"
            )
        max_attempts = entry.get("MaxAttempts")
        if max_attempts is not None and (
            isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1
        ):
            raise RetryPolicyError(f"MaxAttempts must be a positive integer, got {max_attempts!r}")
        policies.append(
            RetryPolicy(
                exception_types=tuple(types),
                max_attempts=max_attempts,
                interval_seconds=_number(entry, "IntervalSeconds", DEFAULT_INTERVAL_SECONDS) or 0.0,
                backoff_rate=_number(entry, "BackoffRate", DEFAULT_BACKOFF_RATE) or 0.0,
                expire_after_minutes=_number(entry, "ExpireAfterMin", None),
            )
        )
    return tuple(policies)


@dataclass
class RetryState:
    """Retries made so far for one step, per policy."""

    policies: Sequence[RetryPolicy]
    retries: dict[int, int] = field(default_factory=dict)

    def next_delay(self, exception_type: str, elapsed_seconds: float) -> float | None:
        """Seconds to wait before retrying this failure, or None when it must not retry.

        Records the retry when one is granted.
        """
        for index, policy in enumerate(self.policies):
            if not policy.matches(exception_type):
                continue
            done = self.retries.get(index, 0)
            if policy.max_attempts is not None and done >= policy.max_attempts:
                return None
            delay = policy.delay(done + 1)
            if (
                policy.expire_after_minutes is not None
                and elapsed_seconds + delay > policy.expire_after_minutes * 60
            ):
                return None
            self.retries[index] = done + 1
            return delay
        return None
