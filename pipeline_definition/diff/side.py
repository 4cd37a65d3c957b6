"""One side of a diff once loaded: its definition, the pipeline resource around it, its code.

A definition alone is not everything a deploy changes: the `AWS::SageMaker::Pipeline` resource
also carries the pipeline's name, role, description, tags and parallelism, and the values
behind the definition's `${...}` placeholders (the `Fn::Sub` variables). A side knows them when
it comes from a template (a `cdk.out` folder, a git ref or the working tree, synthesized) or
from the deployed pipeline; a bare definition file does not, and says why in `unknown`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline_definition.diff.model import MISSING
from pipeline_definition.model.limits import parse_definition_text


class SourceError(Exception):
    """A side cannot be loaded; the message says which and why, in one line."""


@dataclass(frozen=True)
class PipelineProperties:
    """The pipeline resource's own properties, besides its definition body.

    Template values may be CloudFormation intrinsics (`{"Ref": ...}`), known only at deploy;
    a deployed side (`resolved`) holds the values CloudFormation gave them. `substitutions` are
    the `Fn::Sub` variables of a template's body, None for a deployed side, whose placeholders
    are already replaced. MISSING marks a property that is not set; `tags` is None when they
    could not be read.
    """

    name: Any
    role_arn: Any = MISSING
    description: Any = MISSING
    display_name: Any = MISSING
    parallelism: Any = MISSING
    tags: Mapping[str, Any] | None = field(default_factory=dict)
    substitutions: Mapping[str, Any] | None = None
    logical_id: str | None = None
    resolved: bool = False


@dataclass(frozen=True)
class CodeSource:
    """Where a side's staged code bundles are: folders holding `<bundle>/<hash>/` trees.

    Bundles are addressed by a hash of their content, so any folder with the right
    `<bundle>/<hash>/` holds exactly that code. `missing` says why a side has none.
    """

    roots: tuple[Path, ...] = ()
    missing: str = ""

    def find(self, bundle: str, digest: str) -> Path | None:
        """The staged folder of one bundle version, or None when this side has no copy."""
        for root in self.roots:
            folder = root / bundle / digest
            if folder.is_dir():
                return folder
        return None


@dataclass(frozen=True)
class LoadedDefinition:
    """A parsed definition, a short label saying where it came from, and what surrounds it."""

    label: str
    definition: dict[str, Any]
    properties: PipelineProperties | None = None
    # Why `properties` is None, for the report ("a bare definition file has no ...").
    unknown: str = ""
    code: CodeSource = field(default_factory=CodeSource)


def parse_definition(text: str, label: str) -> dict[str, Any]:
    """Parse definition JSON; raise SourceError unless it is a JSON object."""
    try:
        parsed = parse_definition_text(text, label)  # DefinitionLimitError: too deep or large
    except json.JSONDecodeError as error:
        raise SourceError(f"{label}: not valid JSON ({error})") from error
    if not isinstance(parsed, dict):
        raise SourceError(f"{label}: the definition is not a JSON object")
    return parsed
