"""What changed inside a code bundle: files added, removed and changed, with their line diffs.

A step's code is staged under `code/<bundle>/<content hash>/`, so a changed hash in the
definition says only that something changed. Both sides' staged copies (a cdk.out's code asset,
a render's staging folder) say what: the bundle's files are compared by relative path, text
files as unified diffs. A side without a local copy (the deployed pipeline) is said so.
"""

from __future__ import annotations

import difflib
import stat
from collections.abc import Iterable
from pathlib import Path

from pipeline_definition.build.staging import list_files
from pipeline_definition.diff.describe import CODE_URI
from pipeline_definition.diff.model import BundleDiff, Change, FileChange, Status, StepDiff
from pipeline_definition.diff.side import CodeSource

# A changed file's diff is cut after this many lines; the rest is counted.
MAX_DIFF_LINES = 1000
CONTEXT_LINES = 3


def changed_bundles(steps: Iterable[StepDiff]) -> list[tuple[str, str, str]]:
    """(bundle, old hash, new hash) of every code-bundle change, once each, in report order."""
    found: list[tuple[str, str, str]] = []
    for step in steps:
        for change in step.changes:
            versions = _versions(change)
            if versions is not None and versions not in found:
                found.append(versions)
    return found


def _versions(change: Change) -> tuple[str, str, str] | None:
    if change.category != "code":
        return None
    before = CODE_URI.match(str(change.old))
    after = CODE_URI.match(str(change.new))
    if not (before and after):
        return None
    return after["bundle"], before["hash"], after["hash"]


def bundle_diffs(
    steps: Iterable[StepDiff], old: CodeSource, new: CodeSource
) -> tuple[BundleDiff, ...]:
    """The file-level changes of every changed bundle, from each side's staged copy."""
    diffs = []
    for bundle, old_hash, new_hash in changed_bundles(steps):
        before, after = old.find(bundle, old_hash), new.find(bundle, new_hash)
        missing = [
            f"{side} side: {code.missing or 'no staged copy of this version'}"
            for side, code, folder in (("old", old, before), ("new", new, after))
            if folder is None
        ]
        if before is None or after is None:
            diffs.append(BundleDiff(bundle, old_hash, new_hash, missing="; ".join(missing)))
        else:
            diffs.append(BundleDiff(bundle, old_hash, new_hash, compare_trees(before, after)))
    return tuple(diffs)


def _files(root: Path) -> dict[str, Path]:
    return {path.relative_to(root).as_posix(): path for path in list_files(root)}


def compare_trees(old_root: Path, new_root: Path) -> tuple[FileChange, ...]:
    """Files added, removed and changed between two staged bundle folders, by path."""
    old_files, new_files = _files(old_root), _files(new_root)
    changes = []
    for path in sorted(old_files.keys() | new_files.keys()):
        before, after = old_files.get(path), new_files.get(path)
        if before is None or after is None:
            status: Status = "added" if before is None else "removed"
            changes.append(FileChange(path, status, *_content_diff(path, before, after)))
            continue
        mode = _mode_note(before, after)
        if before.read_bytes() == after.read_bytes():
            if mode:
                changes.append(FileChange(path, "changed", note=mode))
            continue
        lines, note = _content_diff(path, before, after)
        changes.append(FileChange(path, "changed", lines, ", ".join(filter(None, [note, mode]))))
    return tuple(changes)


def _text(path: Path | None) -> list[str] | None:
    """The lines of a text file ([] for no file), or None for a binary file."""
    if path is None:
        return []
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None


def _content_diff(
    path: str, before: Path | None, after: Path | None
) -> tuple[tuple[str, ...], str]:
    """The unified diff of one file's two versions, and a note when there is none."""
    old_lines, new_lines = _text(before), _text(after)
    if old_lines is None or new_lines is None:
        sizes = [f"{p.stat().st_size:,} bytes" if p else "absent" for p in (before, after)]
        return (), f"binary, {sizes[0]} -> {sizes[1]}"
    lines = list(
        difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile="/dev/null" if before is None else f"a/{path}",
            tofile="/dev/null" if after is None else f"b/{path}",
            lineterm="",
            n=CONTEXT_LINES,
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        return tuple(lines[:MAX_DIFF_LINES]), f"{len(lines) - MAX_DIFF_LINES:,} more diff lines"
    return tuple(lines), ""


def _mode_note(before: Path, after: Path) -> str:
    old_exec = bool(before.stat().st_mode & stat.S_IXUSR)
    new_exec = bool(after.stat().st_mode & stat.S_IXUSR)
    if old_exec == new_exec:
        return ""
    return "executable bit set" if new_exec else "executable bit cleared"
