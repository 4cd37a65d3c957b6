"""What a diff reports: the changed steps, parameters, pipeline-level values, the pipeline
resource's properties, the deploy-time values behind `${...}` and the code bundles' files.

`pipeline_definition.diff.compare` builds a `DefinitionDiff`; `pipeline_definition.diff.formatting`
prints it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Literal

Status = Literal["added", "removed", "changed"]
Category = Literal[
    "value",
    "code",
    "image",
    "instance-type",
    "hyperparameter",
    "condition",
    "retry",
    "cache",
    "depends-on",
    "location",
    "type",
    "property",
    "deploy-value",
    "replacement",
]


class Missing(Enum):
    """The value on the side where a key, list item or step does not exist."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __str__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing.MISSING


class DefinitionError(ValueError):
    """A definition cannot be compared: not an object, or step names are not unique."""


@dataclass(frozen=True)
class Change:
    """One difference at one JSON path, described for people.

    `subject` names what changed ("hyperparameter max_depth", "code bundle 'training'", or the
    path), `before` and `after` are the readable values, and `summary` is the one-line form
    `subject: before -> after` unless the kind of change reads better otherwise.
    """

    path: str
    old: Any
    new: Any
    category: Category
    subject: str
    before: str
    after: str
    summary: str

    @property
    def status(self) -> Status:
        """Whether the value was added, removed or changed."""
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class StepDiff:
    """A step that was added, removed or changed, with what changed in it."""

    name: str
    status: Status
    type: str
    location: str | None = None
    changes: tuple[Change, ...] = ()
    definition: Mapping[str, Any] | None = None

    @property
    def label(self) -> str:
        """The step name, with the condition branch it lives in, if any."""
        return f"{self.name} (in {self.location})" if self.location else self.name


@dataclass(frozen=True)
class ParameterDiff:
    """A pipeline parameter that was added, removed or changed."""

    name: str
    status: Status
    type: str
    changes: tuple[Change, ...] = ()
    definition: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FileChange:
    """One file of a code bundle that was added, removed or changed."""

    path: str
    status: Status
    # The unified diff of a changed text file, line by line (without line ends).
    diff: tuple[str, ...] = ()
    # What else changed or why there is no line diff: "binary", "executable bit set", ...
    note: str = ""


@dataclass(frozen=True)
class BundleDiff:
    """A code bundle whose content hash changed, and the files that made it change."""

    name: str
    old_hash: str
    new_hash: str
    files: tuple[FileChange, ...] = ()
    # Why the files could not be compared (a side has no local copy of its bundle).
    missing: str = ""

    def files_with(self, status: Status) -> list[FileChange]:
        """The files with the given status."""
        return [change for change in self.files if change.status == status]


@dataclass(frozen=True)
class DefinitionDiff:
    """Everything that differs between two sides: definition, pipeline resource and code."""

    steps: tuple[StepDiff, ...] = ()
    parameters: tuple[ParameterDiff, ...] = ()
    pipeline: tuple[Change, ...] = ()
    # The pipeline resource's properties besides its body: name, role, description, tags...
    resource: tuple[Change, ...] = ()
    # The values behind the definition's ${...} placeholders (the Fn::Sub variables).
    values: tuple[Change, ...] = ()
    bundles: tuple[BundleDiff, ...] = ()
    # What a reviewer must not miss (a replacement), and what could not be compared, and why.
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        """True when the sides differ in any way a deploy would carry out."""
        return bool(self.steps or self.parameters or self.pipeline or self.resource or self.values)

    @property
    def replacement(self) -> Change | None:
        """The change that makes CloudFormation replace the pipeline, if there is one."""
        return next((c for c in self.resource if c.category == "replacement"), None)

    def steps_with(self, status: Status) -> list[StepDiff]:
        """The steps with the given status, in report order."""
        return [step for step in self.steps if step.status == status]

    def parameters_with(self, status: Status) -> list[ParameterDiff]:
        """The parameters with the given status, in report order."""
        return [parameter for parameter in self.parameters if parameter.status == status]

    def counts(self) -> dict[str, int]:
        """How many steps, parameters and pipeline-level values changed, by kind."""
        return {
            "steps_added": len(self.steps_with("added")),
            "steps_removed": len(self.steps_with("removed")),
            "steps_changed": len(self.steps_with("changed")),
            "parameters_added": len(self.parameters_with("added")),
            "parameters_removed": len(self.parameters_with("removed")),
            "parameters_changed": len(self.parameters_with("changed")),
            "pipeline_changes": len(self.pipeline),
            "resource_changes": len(self.resource),
            "values_changed": len(self.values),
            "bundles_changed": len(self.bundles),
        }

    def summary(self) -> str:
        """One line such as `2 steps changed, 1 added; 1 parameter changed`."""
        if not self.has_changes:
            return "no changes"
        counts = self.counts()
        parts = [
            count_phrase(noun, [(counts[f"{key}_{word}"], word) for word in STATUS_ORDER])
            for noun, key in (("step", "steps"), ("parameter", "parameters"))
        ]
        if self.pipeline:
            parts.append(_plural(len(self.pipeline), "pipeline-level change"))
        if self.resource:
            parts.append(_plural(len(self.resource), "pipeline resource change"))
        if self.values:
            parts.append(_plural(len(self.values), "deploy-time value") + " changed")
        if self.bundles:
            parts.append(_plural(len(self.bundles), "code bundle") + " changed")
        if self.replacement:
            parts.append("the pipeline is REPLACED")
        return "; ".join(part for part in parts if part)


# The order in which summaries list the kinds of change.
STATUS_ORDER: tuple[Status, ...] = ("changed", "added", "removed")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def count_phrase(noun: str, counted: Sequence[tuple[int, str]]) -> str:
    """`2 steps changed, 1 added` from (count, word) pairs; empty when all are zero."""
    present = [(count, word) for count, word in counted if count]
    if not present:
        return ""
    (first, word), rest = present[0], present[1:]
    return ", ".join([f"{_plural(first, noun)} {word}", *(f"{n} {w}" for n, w in rest)])
