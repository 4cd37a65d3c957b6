"""A folder that stands in for the SageMaker Model Registry.

`<root>/<ModelPackageGroupName>/<version>/model-package.json` holds the evaluated
CreateModelPackage arguments plus what DescribeModelPackage adds; metrics files referenced by
ModelMetrics and DriftCheckBaselines are copied beside it, so an entry stays readable after
the local store is cleaned. `update_status` changes a version's approval as UpdateModelPackage
does, and `newest_approved` finds the champion as ListModelPackages does (the newest Approved
version; versions are numbered in creation order).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.names import arn, timestamp
from pipeline_definition.local.store import LocalObjectStore, StoreError
from project.champion import APPROVED, Champion, model_data_url

APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")
PACKAGE_FILE = "model-package.json"
METRICS_SECTIONS = ("ModelMetrics", "DriftCheckBaselines")
_GROUP_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass(frozen=True)
class RegistryEntry:
    """A registered model package version."""

    group: str
    version: int
    arn: str
    path: Path
    approval_status: str


def package_arn(group: str, version: int) -> str:
    """The ARN DescribeModelPackage would return for this version."""
    return arn(f"model-package/{group}/{version}")


def _metric_sources(node: Any, trail: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(path of names, node) for every {S3Uri, ContentType} object below `node`."""
    if isinstance(node, Mapping):
        if "S3Uri" in node and "ContentType" in node:
            return [(trail, node)]
        found = []
        for key, value in node.items():
            found.extend(_metric_sources(value, (*trail, str(key))))
        return found
    return []


def _file_name(trail: tuple[str, ...], uri: str) -> str:
    words = [re.sub(r"(?<!^)(?=[A-Z])", "-", part).lower() for part in trail]
    suffix = Path(uri).suffix or ".json"
    return "-".join(words) + suffix


class RegistryError(ValueError):
    """A version that does not exist, or a status UpdateModelPackage would refuse."""


def _write_atomically(path: Path, document: Mapping[str, Any]) -> None:
    """Write JSON through a temporary file: a reader never sees half a document."""
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    with os.fdopen(handle, "w") as out:
        out.write(json.dumps(document, indent=2, sort_keys=True))
    Path(scratch).replace(path)


class LocalModelRegistry:
    """Registers model packages as numbered folders per group."""

    def __init__(self, root: Path, store: LocalObjectStore) -> None:
        self.root = root
        self.store = store

    def versions(self, group: str) -> list[int]:
        """The versions registered in a group, ascending."""
        directory = self.root / group
        if not directory.is_dir():
            return []
        return sorted(int(p.name) for p in directory.iterdir() if p.name.isdigit())

    def _claim_version(self, group: str) -> tuple[int, Path]:
        directory = self.root / group
        directory.mkdir(parents=True, exist_ok=True)
        version = (self.versions(group) or [0])[-1] + 1
        while True:
            # mkdir either creates the folder or fails: two runs never share a version.
            try:
                (directory / str(version)).mkdir()
            except FileExistsError:
                version += 1
                continue
            return version, directory / str(version)

    def register(self, arguments: Mapping[str, Any], *, now: datetime) -> RegistryEntry:
        """Validate and store one model package; return the new entry."""
        group = arguments.get("ModelPackageGroupName")
        if not isinstance(group, str) or not _GROUP_NAME.match(group):
            raise LocalJobError(
                f"ModelPackageGroupName {group!r} is missing or not a valid name "
                "(unversioned model packages are not supported locally)",
                CLIENT_ERROR,
            )
        status = arguments.get("ModelApprovalStatus", "PendingManualApproval")
        if status not in APPROVAL_STATUSES:
            raise LocalJobError(
                f"ModelApprovalStatus {status!r} is not one of {', '.join(APPROVAL_STATUSES)}",
                CLIENT_ERROR,
            )
        containers = (arguments.get("InferenceSpecification") or {}).get("Containers") or []
        for container in containers:
            url = container.get("ModelDataUrl")
            if isinstance(url, str) and not self.store.exists(url):
                raise LocalJobError(
                    f"ModelDataUrl {url} does not exist in the local store", CLIENT_ERROR
                )
        sources = [
            (trail, node)
            for section in METRICS_SECTIONS
            for trail, node in _metric_sources(arguments.get(section), (section,))
        ]
        for _, node in sources:
            if not self.store.exists(str(node["S3Uri"])):
                raise LocalJobError(
                    f"metrics file {node['S3Uri']} does not exist in the local store", CLIENT_ERROR
                )
        version, directory = self._claim_version(group)
        copies: dict[str, str] = {}
        for trail, node in sources:
            uri = str(node["S3Uri"])
            name = _file_name(trail, uri)
            try:
                source = self.store.path(uri)
            except StoreError as error:
                raise LocalJobError(str(error), CLIENT_ERROR) from error
            (directory / name).write_bytes(source.read_bytes())
            copies[".".join(trail)] = name
        entry_arn = package_arn(group, version)
        document = {
            **arguments,
            "ModelApprovalStatus": status,
            "ModelPackageArn": entry_arn,
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageStatus": "Completed",
            "CreationTime": timestamp(now),
            "LocalMetricsFiles": copies,
        }
        (directory / PACKAGE_FILE).write_text(json.dumps(document, indent=2, sort_keys=True))
        return RegistryEntry(
            group=group,
            version=version,
            arn=entry_arn,
            path=directory / PACKAGE_FILE,
            approval_status=status,
        )

    def groups(self) -> list[str]:
        """The groups that hold at least one version, by name."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.versions(p.name))

    def describe(self, group: str, version: int) -> dict[str, Any]:
        """A version's model-package.json (DescribeModelPackage); RegistryError if none."""
        path = self.root / group / str(version) / PACKAGE_FILE
        try:
            document: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            known = ", ".join(str(v) for v in self.versions(group)) or "none"
            raise RegistryError(
                f"{group} has no version {version} in {self.root} (versions: {known})"
            ) from None
        return document

    def update_status(
        self, group: str, version: int, status: str, *, description: str | None, now: datetime
    ) -> dict[str, Any]:
        """Set a version's ModelApprovalStatus (and ApprovalDescription), as UpdateModelPackage."""
        if status not in APPROVAL_STATUSES:
            raise RegistryError(
                f"ModelApprovalStatus {status!r} is not one of {', '.join(APPROVAL_STATUSES)}"
            )
        document = self.describe(group, version)
        document["ModelApprovalStatus"] = status
        document["LastModifiedTime"] = timestamp(now)
        if description is not None:
            document["ApprovalDescription"] = description
        _write_atomically(self.root / group / str(version) / PACKAGE_FILE, document)
        return document

    def newest_approved(self, group: str) -> Champion | None:
        """The newest Approved version of `group` with its model archive, or None."""
        for version in reversed(self.versions(group)):
            document = self.describe(group, version)
            if document.get("ModelApprovalStatus") != APPROVED:
                continue
            url = model_data_url(document)
            # As in the cloud lookup: the newest Approved version is the champion or none is.
            if url is None:
                return None
            return Champion(group, version, str(document.get("ModelPackageArn")), url)
        return None

    def same_model(self, group: str, version: int) -> list[int]:
        """Other versions of `group` registered with the same model archive as `version`."""
        url = model_data_url(self.describe(group, version))
        return [
            other
            for other in self.versions(group)
            if other != version
            and url is not None
            and model_data_url(self.describe(group, other)) == url
        ]
