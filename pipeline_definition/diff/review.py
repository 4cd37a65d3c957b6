"""Everything a deploy would change between two loaded sides, in one `DefinitionDiff`.

The definitions are compared step by step (`compare`), the pipeline resource and the values
behind `${...}` around them (`properties`), and the files of each changed code bundle
(`bundles`).
"""

from __future__ import annotations

from dataclasses import replace

from pipeline_definition.diff.bundles import bundle_diffs
from pipeline_definition.diff.compare import compare_definitions
from pipeline_definition.diff.model import DefinitionDiff
from pipeline_definition.diff.properties import compare_surroundings
from pipeline_definition.diff.side import LoadedDefinition


def review(
    old: LoadedDefinition, new: LoadedDefinition, *, match_placeholders: bool = True
) -> DefinitionDiff:
    """Compare two sides: definitions, pipeline resource, deploy-time values and code files."""
    diff, bindings = compare_definitions(
        old.definition, new.definition, match_placeholders=match_placeholders
    )
    surroundings = compare_surroundings(old, new, bindings, match_placeholders=match_placeholders)
    return replace(
        diff,
        resource=surroundings.resource,
        values=surroundings.values,
        bundles=bundle_diffs(diff.steps, old.code, new.code),
        warnings=surroundings.warnings,
        notes=surroundings.notes,
    )
