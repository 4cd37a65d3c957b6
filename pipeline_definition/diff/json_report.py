"""Print a `DefinitionDiff` as JSON: the same data as the other formats, for tools."""

from __future__ import annotations

import json
from typing import Any

from pipeline_definition.diff.model import MISSING, BundleDiff, Change, DefinitionDiff


def _change_json(change: Change) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": change.path,
        "status": change.status,
        "category": change.category,
        "summary": change.summary,
    }
    if change.old is not MISSING:
        entry["old"] = change.old
    if change.new is not MISSING:
        entry["new"] = change.new
    return entry


def _bundle_json(bundle: BundleDiff) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": bundle.name,
        "old_hash": bundle.old_hash,
        "new_hash": bundle.new_hash,
        "files": [
            {"path": f.path, "status": f.status, "diff": list(f.diff), "note": f.note}
            for f in bundle.files
        ],
    }
    if bundle.missing:
        entry["missing"] = bundle.missing
    return entry


def diff_to_json(diff: DefinitionDiff, old_label: str, new_label: str) -> dict[str, Any]:
    """The diff as plain JSON-serialisable data."""
    return {
        "old": old_label,
        "new": new_label,
        "changed": diff.has_changes,
        "summary": diff.summary(),
        "counts": diff.counts(),
        "steps": [
            {
                "name": step.name,
                "label": step.label,
                "status": step.status,
                "type": step.type,
                "location": step.location,
                "changes": [_change_json(change) for change in step.changes],
                **({"definition": step.definition} if step.definition is not None else {}),
            }
            for step in diff.steps
        ],
        "parameters": [
            {
                "name": parameter.name,
                "status": parameter.status,
                "type": parameter.type,
                "changes": [_change_json(change) for change in parameter.changes],
                **(
                    {"definition": parameter.definition} if parameter.definition is not None else {}
                ),
            }
            for parameter in diff.parameters
        ],
        "pipeline": [_change_json(change) for change in diff.pipeline],
        "resource": [_change_json(change) for change in diff.resource],
        "values": [_change_json(change) for change in diff.values],
        "bundles": [_bundle_json(bundle) for bundle in diff.bundles],
        "warnings": list(diff.warnings),
        "notes": list(diff.notes),
    }


def format_json(diff: DefinitionDiff, old_label: str, new_label: str) -> str:
    """The diff as indented JSON with sorted keys."""
    data = diff_to_json(diff, old_label, new_label)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
