"""`registry`: the local model registry of `run-local`: list versions, approve or reject one.

    python -m pipeline_definition registry list
    python -m pipeline_definition registry approve 3 --description "RMSE checked"
    python -m pipeline_definition registry reject 2

Approving and rejecting change a version's ModelApprovalStatus as UpdateModelPackage does in
the cloud, so the loop of the deployed pipeline runs on a laptop: the newest Approved version
is the champion the next `run-local` compares a new model with. The group defaults to the app's
(`cdk.json`), the registry to `.local/run/registry`.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline_definition.commands import CommandError
from pipeline_definition.local.registry import LocalModelRegistry, RegistryError
from pipeline_definition.local.runner import DEFAULT_WORKDIR
from pipeline_definition.local.store import LocalObjectStore
from pipeline_definition.local.workspace import Workspace
from project.champion import APPROVED, model_data_url

STATUS_OF_ACTION = {"approve": APPROVED, "reject": "Rejected"}
QUALITY_FILE_KEY = "ModelMetrics.ModelQuality.Statistics"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add registry's actions and their arguments."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list a group's versions and its champion")
    _common(listing)
    for action, status in STATUS_OF_ACTION.items():
        sub = actions.add_parser(action, help=f"set a version's approval status to {status}")
        sub.add_argument("version", type=_version, metavar="VERSION", help="the version number")
        sub.add_argument("--description", help="ApprovalDescription, as UpdateModelPackage takes")
        _common(sub)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--group", metavar="NAME", help="Model Package Group (default: the app's, from cdk.json)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        metavar="DIR",
        help="run-local's workdir, whose registry/ folder is the registry (default: .local/run)",
    )


def _version(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a version is a whole number from 1, not {text!r}")
    return int(text)


def _group(args: argparse.Namespace, registry: LocalModelRegistry) -> str:
    if args.group:
        return str(args.group)
    from project.settings import SettingsError, project_settings  # noqa: PLC0415

    try:
        group = project_settings(os.environ).model_package_group_name
    except SettingsError as error:
        raise CommandError(f"{error} (or pass --group)") from error
    if not registry.versions(group) and registry.groups():
        raise CommandError(
            f"{group} has no versions in {registry.root}; pass --group with one of: "
            f"{', '.join(registry.groups())}"
        )
    return group


def _test_rmse(directory: Path, document: dict[str, Any]) -> str:
    name = (document.get("LocalMetricsFiles") or {}).get(QUALITY_FILE_KEY)
    try:
        report = json.loads((directory / str(name)).read_text()) if name else {}
        return f"{float(report['regression_metrics']['rmse']['value']):.6f}"
    except (OSError, ValueError, KeyError, TypeError):
        return "-"


def list_lines(registry: LocalModelRegistry, group: str) -> list[str]:
    """A table of the group's versions, newest last, the champion marked."""
    versions = registry.versions(group)
    if not versions:
        return [f"{group}: no versions in {registry.root}"]
    champion = registry.newest_approved(group)
    rows = [("Version", "Status", "Created", "Test RMSE", "Model")]
    for version in versions:
        document = registry.describe(group, version)
        status = str(document.get("ModelApprovalStatus"))
        if champion is not None and champion.version == version:
            status += " (champion)"
        rows.append(
            (
                str(version),
                status,
                str(document.get("CreationTime", "-")),
                _test_rmse(registry.root / group / str(version), document),
                model_data_url(document) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    chosen = f"version {champion.version}" if champion is not None else "none"
    lines = [f"{group} in {registry.root}: {len(versions)} version(s); champion: {chosen}"]
    lines += [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return lines


def _after(registry: LocalModelRegistry, group: str) -> str:
    champion = registry.newest_approved(group)
    if champion is None:
        return "the next run-local has no champion (no Approved version)"
    return f"the next run-local compares with version {champion.version}, the newest Approved"


def run(args: argparse.Namespace) -> int:
    """List, approve or reject."""
    workspace = Workspace(args.workdir.resolve())
    registry = LocalModelRegistry(workspace.registry, LocalObjectStore(workspace.store))
    group = _group(args, registry)
    if args.action == "list":
        for line in list_lines(registry, group):
            print(line)
        return 0
    status = STATUS_OF_ACTION[args.action]
    try:
        before = registry.describe(group, args.version).get("ModelApprovalStatus")
        registry.update_status(
            group, args.version, status, description=args.description, now=datetime.now(UTC)
        )
    except RegistryError as error:
        raise CommandError(str(error)) from error
    print(f"{group} version {args.version}: {before} -> {status}; {_after(registry, group)}")
    return 0
