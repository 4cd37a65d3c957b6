"""Fault injection: make chosen attempts of chosen steps fail as SageMaker jobs can.

The executor calls the injector with the step name and attempt number before it runs a job;
an injector raises LocalJobError to make that attempt fail. Retries of errors that cannot
happen on one machine (capacity, internal errors) are testable this way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pipeline_definition.local.errors import LocalJobError

FaultInjector = Callable[[str, int], None]


class ScriptedFaults:
    """Fail attempt n of a step with the n-th listed exception type (None lets it run)."""

    def __init__(self, plan: Mapping[str, Sequence[str | None]]) -> None:
        self.plan = {step: list(types) for step, types in plan.items()}
        self.calls: list[tuple[str, int]] = []

    def __call__(self, step_name: str, attempt: int) -> None:
        """Raise the planned failure for this attempt, if any."""
        self.calls.append((step_name, attempt))
        types = self.plan.get(step_name, [])
        if attempt <= len(types) and types[attempt - 1] is not None:
            exception_type = str(types[attempt - 1])
            raise LocalJobError(f"injected {exception_type} on attempt {attempt}", exception_type)
