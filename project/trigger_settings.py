"""The trigger's settings and their rules: schedule, batching window, concurrency.

New objects reach the trigger through an SQS queue that Lambda reads in batches: it waits up to
the batching window (`triggerBatchingWindow`, seconds) for a burst of uploads to gather, and runs
at most `triggerMaxConcurrency` invocations at once (the event source mapping's maximum
concurrency). SageMaker allows 20 concurrent pipeline executions per account by default; what
does not fit waits in the queue.

`project/settings.py` builds these with the others; the checks live here, beside the defaults.
"""

from __future__ import annotations

import re

# Lambda's SQS event source waits at most 300 s; 0 invokes as soon as messages arrive.
DEFAULT_BATCHING_WINDOW_SECONDS = 180
MAX_BATCHING_WINDOW_SECONDS = 300
# The event source mapping's maximum concurrency: Lambda allows 2 to 1,000.
DEFAULT_MAX_CONCURRENCY = 2
MIN_MAX_CONCURRENCY = 2
MAX_MAX_CONCURRENCY = 1000
# SageMaker's default quotas, which the README and the batch flow's design refer to.
CONCURRENT_PIPELINE_EXECUTIONS_QUOTA = 20
CREATE_TRAINING_JOB_REQUESTS_PER_SECOND = 1

# EventBridge rate expressions: the unit is singular for 1 and plural above.
RATE_PATTERN = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|hour|day)(?P<plural>s?)\)$")
CRON_PATTERN = re.compile(r"^cron\((?P<fields>.*)\)$")


def schedule_problem(expression: str) -> str | None:
    """Why `expression` is not an EventBridge `cron(...)` or `rate(...)` schedule, or None."""
    cron = CRON_PATTERN.match(expression)
    if cron:
        from aws_cron_expression_validator.validator import (  # noqa: PLC0415
            AWSCronExpressionValidator,
        )

        try:
            AWSCronExpressionValidator.validate(cron["fields"])
        except ValueError as error:
            return f"{expression!r} is not a valid EventBridge cron expression: {error}"
        return None
    rate = RATE_PATTERN.match(expression)
    if rate is None:
        return (
            f"{expression!r} must be an EventBridge expression such as cron(0 6 ? * MON *) "
            "or rate(1 day)"
        )
    value, unit = int(rate["value"]), rate["unit"]
    if value < 1:
        return f"{expression!r}: the rate must be at least 1 {unit}"
    if (value == 1) == bool(rate["plural"]):
        wanted = unit if value == 1 else f"{unit}s"
        return f"{expression!r}: EventBridge wants rate({value} {wanted})"
    return None


def reserved_concurrency_problem(raw: str) -> str | None:
    """Why `raw` is not a reserved concurrency for the trigger, or None."""
    if raw.isdigit() and int(raw) >= 1:
        return None
    return (
        f"{raw!r} must be a whole number of at least 1 (leave it unset to reserve nothing; "
        "0 would stop the trigger from ever running)"
    )


def batching_window_problem(raw: str) -> str | None:
    """Why `raw` is not a batching window in seconds, or None."""
    if raw.isdigit() and int(raw) <= MAX_BATCHING_WINDOW_SECONDS:
        return None
    return (
        f"{raw!r} must be a whole number of seconds from 0 to {MAX_BATCHING_WINDOW_SECONDS} "
        "(Lambda's limit for an SQS event source)"
    )


def max_concurrency_problem(raw: str) -> str | None:
    """Why `raw` is not the event source's maximum concurrency, or None."""
    if raw.isdigit() and MIN_MAX_CONCURRENCY <= int(raw) <= MAX_MAX_CONCURRENCY:
        return None
    return (
        f"{raw!r} must be a whole number from {MIN_MAX_CONCURRENCY} to {MAX_MAX_CONCURRENCY} "
        "(Lambda's range for an SQS event source's maximum concurrency)"
    )


def concurrency_conflict(reserved: int | None, maximum: int) -> str | None:
    """Why a reserved concurrency below the event source's maximum cannot work, or None."""
    if reserved is None or reserved >= maximum:
        return None
    return (
        f"{reserved} is below triggerMaxConcurrency {maximum}: Lambda would throttle the queue's "
        f"invocations, which count as receives; reserve at least {maximum}, or lower "
        "triggerMaxConcurrency"
    )
