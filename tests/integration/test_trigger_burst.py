"""A small burst load against a moto server on loopback: the figures bench/RESULTS.md reports at
1,000 events (bench/bench_trigger_burst.py), checked at 80 on a quota of 4 executions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testsupport.burst import BurstPlan, Server, run_round

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PLAN = BurstPlan(
    events=80,
    bursts=4,
    folders=4,
    burst_interval=0.3,
    run_seconds=(0.4, 0.8),
    quota=4,
    window=0.3,
    pollers=2,
    retry_delay=1,
    max_retry_delay=2,
    async_workers=16,
    async_retry_delays=(0.2, 0.4),
    time_limit=90,
)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One moto server for the module."""
    with Server() as running:
        yield running


def test_every_object_ends_in_exactly_one_run_and_nothing_is_dead_lettered(
    server: Server,
) -> None:
    result = run_round(server, PLAN, "batched")

    assert result.errors == []
    assert result.drained, f"still queued after {result.drain_seconds:.0f} s"
    assert result.in_one_run == PLAN.events
    assert (result.in_no_run, result.in_several_runs, result.dead_letters) == (0, 0, 0)
    # The quota was reached and respected: some starts were refused, none ran past it.
    assert result.refused > 0
    assert result.max_executing <= PLAN.quota
    # Bursts coalesce: far fewer runs than objects.
    assert result.executions <= PLAN.events // 3


def test_without_the_queue_the_same_burst_ends_in_the_dead_letter_queue(server: Server) -> None:
    """The baseline the issue describes: one run per object, two async retries, then parked."""
    result = run_round(server, PLAN, "per_event")

    assert result.in_one_run + result.in_no_run == PLAN.events
    assert result.dead_letters == result.in_no_run > 0
