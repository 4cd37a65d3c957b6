"""Errors of the local executor, split by who has to act on them."""

from __future__ import annotations

from collections.abc import Sequence

# Failure kinds of a job that no retry policy names: a script that exits non-zero (SageMaker's
# "AlgorithmError") and a request that cannot work as given (SageMaker's "ClientError").
ALGORITHM_ERROR = "AlgorithmError"
CLIENT_ERROR = "ClientError"


class DefinitionError(ValueError):
    """The definition cannot run locally; every problem found is listed."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = "the definition cannot run locally:\n" + "\n".join(
                f"  - {problem}" for problem in self.problems
            )
        super().__init__(message)


class LocalJobError(Exception):
    """A step attempt failed; `exception_type` decides whether a retry policy applies."""

    def __init__(self, message: str, exception_type: str = ALGORITHM_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exception_type = exception_type


class ExecutionStoppedError(Exception):
    """The run was interrupted while a step was running."""
