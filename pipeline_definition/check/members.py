"""Objects laid out by the pipeline rather than by one API request, checked member by member.

Some steps carry fields that no single request shape describes: a Lambda step's FunctionArn,
an EMR step's StepConfig beside its ClusterId, a Lineage step's lists of requests. Each member
still comes from an API (an EMR `StepConfig`, a SageMaker `CreateActionRequest`), so it is
checked against that shape; the layout around it (which members exist, which are required,
which exclude each other) is declared here, after the SDK's step classes and the pipeline
definition schema.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from pipeline_definition.check.issues import IssueCollector
from pipeline_definition.check.scope import Scope, child_path, describe_value
from pipeline_definition.check.shapes import check_value


@dataclass(frozen=True)
class Member:
    """One member of a layout: the shape its value follows (None: checked by the caller)."""

    shape: Shape | None = None
    required: bool = False
    # Required members of `shape` that the pipeline service fills in at execution time.
    service_named: frozenset[str] = frozenset()


class MemberChecker(IssueCollector):
    """Collects the issues of laid-out objects in one step."""

    def __init__(self, step: str, scope: Scope) -> None:
        super().__init__(step)
        self.scope = scope

    def layout(
        self, value: Any, members: Mapping[str, Member], path: str, what: str
    ) -> dict[str, Any] | None:
        """Check `value` against a layout; return it when it is an object, else None."""
        if not isinstance(value, dict):
            self.report(path, f"{what} is an object, not {describe_value(value)}", "wrong-type")
            return None
        for key in sorted(set(value) - set(members)):
            self.report(
                child_path(path, str(key)),
                f"unknown key '{key}' in {what} (expected {', '.join(members)})"
                + did_you_mean(str(key), members),
                "unknown-key",
            )
        for name, member in members.items():
            where = child_path(path, name)
            if name not in value:
                if member.required:
                    self.report(where, f"{what} needs {name}", "missing-required")
            elif member.shape is not None:
                self.typed(value[name], member.shape, where, member.service_named)
        return value

    def typed(
        self, value: Any, shape: Shape, path: str, service_named: Collection[str] = ()
    ) -> None:
        """Check one value (literal or expression) against an API shape."""
        self.issues.extend(
            check_value(value, shape, path, self.step, self.scope, service_named=service_named)
        )

    def one_of(self, value: Mapping[str, Any], names: tuple[str, ...], path: str) -> None:
        """Exactly one of `names` must be present in `value`."""
        present = [name for name in names if name in value]
        if len(present) > 1:
            self.report(
                path, f"give one of {' or '.join(names)}, not {' and '.join(present)}", "conflict"
            )
        elif not present:
            self.report(
                child_path(path, names[0]),
                f"needs one of {' or '.join(names)}",
                "missing-required",
            )

    def items(self, value: Any, path: str, what: str, *, least: int = 0) -> list[Any]:
        """The items of a list member (reporting a non-list or too few items)."""
        if not isinstance(value, list):
            self.report(path, f"{what} is a list, not {describe_value(value)}", "wrong-type")
            return []
        if len(value) < least:
            self.report(path, f"{what} needs at least {least} item(s)", "out-of-range")
        return value


def did_you_mean(word: str, choices: Collection[str]) -> str:
    """`; did you mean 'x'?` for the closest of `choices`, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
