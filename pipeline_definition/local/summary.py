"""The report after a run: outcome, model metrics, registry entry, artifacts and log tails.

A registered version whose model archive is one an earlier version already registered (a
re-run whose training step was a cache hit registers the very same model.tar.gz again, as it
would on SageMaker) says so under its entry.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline_definition.local.command import tail
from pipeline_definition.local.definition import LocalDefinition
from pipeline_definition.local.numbers import readable
from pipeline_definition.local.progress import format_duration
from pipeline_definition.local.registry import LocalModelRegistry, RegistryEntry, RegistryError
from pipeline_definition.local.results import COMPLETED, ExecutionResult, StepStatus
from pipeline_definition.local.run_report import report_paths
from pipeline_definition.local.steps import artifacts_of, outputs_of
from pipeline_definition.local.store import LocalObjectStore, StoreError

LOG_TAIL_LINES = 30
LISTED_ENTRIES = 5
MAX_METRICS = 12


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it, else absolute."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def extract_metrics(document: Any) -> list[tuple[str, float]]:
    """Metrics of a property file: `{"rmse": {"value": x}}` entries, else numeric leaves."""
    valued: list[tuple[tuple[str, ...], float]] = []
    leaves: list[tuple[tuple[str, ...], float]] = []

    def walk(node: Any, trail: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            if trail and _is_number(node.get("value")):
                valued.append((trail, float(node["value"])))
                return
            for key, value in node.items():
                walk(value, (*trail, str(key)))
        elif _is_number(node) and trail:
            leaves.append((trail, float(node)))

    walk(document, ())
    # Top-level figures first: a report's own metrics before those it nests (a champion's).
    chosen = sorted(valued or leaves, key=lambda item: len(item[0]))
    names = Counter(trail[-1] for trail, _ in chosen)
    return [
        (trail[-1] if names[trail[-1]] == 1 else ".".join(trail), value)
        for trail, value in chosen[:MAX_METRICS]
    ]


def metrics(
    result: ExecutionResult, definition: LocalDefinition, store: LocalObjectStore
) -> list[tuple[str, list[tuple[str, float]], Path]]:
    """(source label, metrics, file) for every property file of a completed step."""
    found = []
    for step in result.steps:
        if step.status not in COMPLETED or step.properties is None:
            continue
        node = definition.nodes[step.name]
        for entry in node.raw.get("PropertyFiles") or []:
            uri = outputs_of(step.type, step.properties).get(str(entry.get("OutputName")))
            if uri is None:
                continue
            path = store.path(uri) / str(entry.get("FilePath", ""))
            try:
                document = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                continue
            values = extract_metrics(document)
            if values:
                found.append((f"{step.name}/{entry.get('PropertyFileName')}", values, path))
    return found


def _entries(path: Path) -> str:
    if path.is_file():
        return ""
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir())
    shown = ", ".join(names[:LISTED_ENTRIES])
    more = f", … ({len(names) - LISTED_ENTRIES} more)" if len(names) > LISTED_ENTRIES else ""
    return f"  [{shown}{more}]" if names else ""


def artifacts(result: ExecutionResult, store: LocalObjectStore) -> list[tuple[str, Path]]:
    """(label, local path) of every output the completed job steps left in the store."""
    found: list[tuple[str, Path]] = []
    for step in result.steps:
        if step.status not in COMPLETED or step.properties is None:
            continue
        for name, uri in artifacts_of(step.type, step.properties).items():
            try:
                path = store.path(uri)
            except StoreError:
                continue
            if path.exists():
                found.append((f"{step.name}/{name}", path))
    return found


def same_model_note(
    entry: RegistryEntry, result: ExecutionResult, store: LocalObjectStore
) -> str | None:
    """A line when `entry` registers a model that earlier versions of its group registered."""
    # The entry's file is <registry>/<group>/<version>/model-package.json.
    registry = LocalModelRegistry(entry.path.parents[2], store)
    try:
        earlier = [v for v in registry.same_model(entry.group, entry.version) if v < entry.version]
    except RegistryError:
        return None
    if not earlier:
        return None
    cached = [s.name for s in result.steps if s.status == StepStatus.CACHED]
    why = f" ({', '.join(cached)} reused from the cache)" if cached else ""
    listed = ", ".join(str(v) for v in earlier)
    return f"  the same model as version {listed}: the same model.tar.gz registered again{why}"


def summary_lines(
    result: ExecutionResult, definition: LocalDefinition, store: LocalObjectStore
) -> list[str]:
    """The summary printed after a run."""
    duration = (
        format_duration((result.ended - result.info.started).total_seconds())
        if result.ended
        else ""
    )
    counts = Counter(str(step.status) for step in result.steps)
    lines = [
        "",
        f"Execution {result.info.execution_id}: {result.status} in {duration}",
        "  steps: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())),
    ]
    cached = [s for s in result.steps if s.status == StepStatus.CACHED]
    lines += [f"  {s.name}: cache hit from {s.cache_source}" for s in cached]
    if result.failure_reason:
        lines.append(f"  failure: {result.failure_reason}")
    for note in result.notes:
        lines.append(f"  note: {note}")
    for label, values, path in metrics(result, definition, store):
        lines.append("")
        lines.append(f"Model metrics ({label}, {display_path(path)}):")
        width = max(len(name) for name, _ in values)
        lines += [f"  {name:<{width}}  {readable(value)}" for name, value in values]
    for entry in result.registry:
        lines.append("")
        lines.append(f"Registered: {entry.group} version {entry.version} ({entry.approval_status})")
        lines.append(f"  {display_path(entry.path)}")
        same = same_model_note(entry, result, store)
        if same:
            lines.append(same)
    found = artifacts(result, store)
    if found:
        lines.append("")
        lines.append("Artifacts:")
        width = max(len(label) for label, _ in found)
        lines += [
            f"  {label:<{width}}  {display_path(path)}{_entries(path)}" for label, path in found
        ]
    for step in result.steps:
        if step.status != StepStatus.FAILED or step.log_path is None:
            continue
        last = tail(step.log_path, LOG_TAIL_LINES)
        if last:
            lines.append("")
            lines.append(f"{step.name}: last {len(last)} lines of {display_path(step.log_path)}")
            lines += [f"  | {line}" for line in last]
    lines.append("")
    lines.append(f"Logs:   {display_path(result.directory / 'logs')}")
    lines.append(f"Record: {display_path(result.record_path)}")
    lines += [f"Report: {display_path(path)}" for path in report_paths(found)]
    return lines
