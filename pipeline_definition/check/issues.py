"""What validating a pipeline definition reports: one issue per defect, with where it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Issues about the definition as a whole (parameters, cycles, top-level keys) use this step name.
PIPELINE: Final = "<pipeline>"

# The kinds of issue, so that callers can filter or count them.
KINDS: Final = frozenset(
    {
        "unknown-key",
        "wrong-type",
        "missing-required",
        "out-of-range",
        "enum",
        "pattern",
        "dangling-reference",
        "duplicate",
        "cycle",
        "unknown-step-type",
        "invalid-expression",
        "conflict",
        # A typed parameter where the API takes a string hyperparameter: what SDK v3's
        # ModelTrainer writes. An error by default; `validate --sdk-typed-hyperparameters=warn`
        # reports it as a warning.
        "typed-hyperparameter",
    }
)
ERROR: Final = "error"
WARNING: Final = "warning"


@dataclass(frozen=True)
class ValidationIssue:
    """One defect: the step it is in, its JSON path in the definition, and what is wrong.

    A warning is reported but does not make the definition invalid.
    """

    step: str
    path: str
    message: str
    kind: str
    severity: str = ERROR

    def __str__(self) -> str:
        label = "warning: " if self.severity == WARNING else ""
        return f"{self.step}: {self.path}: {label}{self.message}"


class IssueCollector:
    """Collects the issues found in one step (or in the pipeline as a whole, under PIPELINE)."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.issues: list[ValidationIssue] = []

    def report(self, path: str, message: str, kind: str) -> None:
        """Record one issue at `path` of this collector's step."""
        self.issues.append(ValidationIssue(self.step, path, message, kind))
