"""Cache keys, expiry and lookups; retry policy matching and backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline_definition.local.cache import (
    CacheConfigError,
    StepCache,
    cache_key,
    cache_policy,
    key_material,
    parse_duration,
)
from pipeline_definition.local.retry import RetryPolicyError, RetryState, parse_policies
from pipeline_definition.local.store import LocalObjectStore

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P7D", timedelta(days=7)),
        ("p30d", timedelta(days=30)),
        ("PT1H", timedelta(hours=1)),
        ("T12H", timedelta(hours=12)),
        ("P4DT12H", timedelta(days=4, hours=12)),
        ("PT30M", timedelta(minutes=30)),
        ("P2W", timedelta(days=14)),
        ("P1Y2M", timedelta(days=365 + 60)),
        # The service's own short forms, which the validator accepts too.
        ("30d", timedelta(days=30)),
        ("7D", timedelta(days=7)),
        ("P9999999999D", timedelta.max),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "1 day", "PT-1H", "PT1.5S"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(CacheConfigError, match="not an ISO 8601 duration"):
        parse_duration(text)


def test_cache_policy() -> None:
    assert cache_policy(None).enabled is False
    policy = cache_policy({"Enabled": True, "ExpireAfter": "P7D"})
    assert policy.enabled and policy.expire_after == timedelta(days=7)
    assert cache_policy({"Enabled": True}).expire_after is None


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    store = LocalObjectStore(tmp_path / "s3")
    store.put_bytes(b"rows", "s3://data/raw/input.csv")
    store.put_bytes(b"code", "s3://art/code/x/a.py")
    return store


ATTRIBUTES = {
    "AppSpecification": {"ContainerEntrypoint": ["python3", "-m", "m"], "ImageUri": "img"},
    "Environment": {"A": "1", "B": "2"},
    "ProcessingInputs": [{"InputName": "raw", "S3Input": {"S3Uri": "s3://data/raw/input.csv"}}],
}


def key_for(attributes: dict[str, object] = ATTRIBUTES, step_type: str = "Processing") -> str:
    return cache_key(key_material(step_type, attributes))


def test_key_is_stable_across_key_order() -> None:
    reordered = {
        "ProcessingInputs": ATTRIBUTES["ProcessingInputs"],
        "Environment": {"B": "2", "A": "1"},
        "AppSpecification": ATTRIBUTES["AppSpecification"],
    }
    assert key_for() == key_for(reordered)


def test_key_changes_with_the_attributes_and_the_step_type() -> None:
    original = key_for()
    assert key_for({**ATTRIBUTES, "Environment": {"A": "1", "B": "3"}}) != original
    assert key_for(step_type="Training") != original


def test_key_is_the_attributes_sagemaker_compares_not_the_data_behind_a_uri(
    store: LocalObjectStore,
) -> None:
    """As in SageMaker, new bytes at the same URI reuse the result; a new version does not."""
    before = key_for()
    store.put_bytes(b"other rows", "s3://data/raw/input.csv")

    assert cache_key(key_material("Processing", ATTRIBUTES)) == before
    assert key_material("Processing", ATTRIBUTES) == {
        "StepType": "Processing",
        "Attributes": ATTRIBUTES,
    }
    new_version = {**ATTRIBUTES, "Environment": {"A": "1", "B": "2", "V": "2"}}
    assert key_for(new_version) != before


def test_lookup_newest_within_expiry_with_outputs_present(
    tmp_path: Path, store: LocalObjectStore
) -> None:
    cache = StepCache(tmp_path / "cache", "pipe", store)
    store.put_bytes(b"out", "s3://data/out/e1/train/t.csv")
    store.put_bytes(b"out", "s3://data/out/e2/train/t.csv")
    for execution, age, output in (("e1", 3, "e1"), ("e2", 1, "e2"), ("e3", 0.5, "gone")):
        cache.record(
            "Process",
            "k",
            execution_id=execution,
            finished_at=NOW - timedelta(hours=age),
            material={},
            properties={"ProcessingJobName": execution},
            outputs=[f"s3://data/out/{output}/train"],
        )

    hit = cache.lookup("Process", "k", now=NOW, expire_after=timedelta(days=1))
    # e3 is newest but its outputs were removed from the store.
    assert hit is not None and hit.execution_id == "e2"
    assert hit.properties == {"ProcessingJobName": "e2"}
    assert cache.lookup("Process", "k", now=NOW, expire_after=timedelta(minutes=30)) is None
    assert cache.lookup("Process", "other", now=NOW, expire_after=None) is None
    assert cache.lookup("Other", "k", now=NOW, expire_after=None) is None
    old = cache.lookup("Process", "k", now=NOW + timedelta(days=30), expire_after=None)
    assert old is not None and old.execution_id == "e2"


POLICIES = [
    {
        "ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR"],
        "IntervalSeconds": 60,
        "BackoffRate": 2.0,
        "MaxAttempts": 3,
    },
    {
        "ExceptionType": ["Step.THROTTLING"],
        "IntervalSeconds": 10,
        "BackoffRate": 1.5,
        "MaxAttempts": 1,
    },
]


def test_backoff_per_policy() -> None:
    state = RetryState(parse_policies(POLICIES))
    delays = [state.next_delay("SageMaker.JOB_INTERNAL_ERROR", 0) for _ in range(3)]
    assert delays == [60.0, 120.0, 240.0]
    assert state.next_delay("SageMaker.CAPACITY_ERROR", 0) is None  # shares the policy's count
    assert state.next_delay("Step.THROTTLING", 0) == 10.0
    assert state.next_delay("Step.THROTTLING", 0) is None


def test_unmatched_types_do_not_retry() -> None:
    state = RetryState(parse_policies(POLICIES))
    assert state.next_delay("AlgorithmError", 0) is None
    assert state.next_delay("SageMaker.RESOURCE_LIMIT", 0) is None
    assert RetryState(parse_policies(None)).next_delay("SageMaker.JOB_INTERNAL_ERROR", 0) is None


def test_expire_after_minutes() -> None:
    policies = parse_policies(
        [{"ExceptionType": ["Step.SERVICE_FAULT"], "IntervalSeconds": 30, "ExpireAfterMin": 1}]
    )
    state = RetryState(policies)
    assert state.next_delay("Step.SERVICE_FAULT", elapsed_seconds=10) == 30.0
    assert state.next_delay("Step.SERVICE_FAULT", elapsed_seconds=10) is None  # 10 + 60 > 60


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("x", "must be a list"),
        ([{"ExceptionType": []}], "needs an ExceptionType list"),
        ([{"ExceptionType": ["Step.OOPS"]}], "unknown ExceptionType Step.OOPS"),
        ([{"ExceptionType": ["Step.THROTTLING"], "MaxAttempts": 0}], "positive integer"),
        ([{"ExceptionType": ["Step.THROTTLING"], "IntervalSeconds": -1}], "non-negative"),
    ],
)
def test_bad_policies(raw: object, message: str) -> None:
    with pytest.raises(RetryPolicyError, match=message):
        parse_policies(raw)
