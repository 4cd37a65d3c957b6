"""Lock files: the pinned packages of one SageMaker image, and which image URIs they serve.

A lock is a pip requirements file of `name==version` lines whose header names the image, the
tags it covers, the image's Python minor version and where the versions come from:

```
# image: sagemaker-xgboost
# tags: 3.2-0 3.2-0-cpu-py3
# python: 3.12
# source-repository: https://github.com/aws/deep-learning-containers
# source-commit: <40 hex digits>
# source-paths: docker/xgboost/uv.lock docker/xgboost/pyproject.toml
```

An image URI (`<registry>/<repository>:<tag>`) is served by the lock whose image is the
repository and whose tags include the tag; the registry (account, region) does not matter.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

LOCKS_DIR = Path(__file__).resolve().parent / "locks"
HEADER_FIELDS = (
    "image",
    "tags",
    "python",
    "source-repository",
    "source-commit",
    "source-paths",
)
_HEADER = re.compile(r"^#\s*([a-z-]+):\s*(.*?)\s*$")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")
_PYTHON_MINOR = re.compile(r"^3\.\d+$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


class LockError(ValueError):
    """A lock file is malformed, or no lock serves an image."""


@dataclass(frozen=True)
class Lock:
    """One parsed lock file."""

    path: Path
    image: str
    tags: tuple[str, ...]
    python: str  # the minor version, "3.12"
    source_repository: str
    source_commit: str
    source_paths: tuple[str, ...]
    pins: tuple[tuple[str, str], ...]  # (distribution, version), in file order
    text: str

    @property
    def label(self) -> str:
        """`repository:first tag`, as messages name the image."""
        return f"{self.image}:{self.tags[0]}"

    @property
    def digest(self) -> str:
        """SHA-256 of the file's text: any edit gives a new environment."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def serves(self, repository: str, tag: str) -> bool:
        """True when this lock covers `repository:tag`."""
        return repository == self.image and tag in self.tags


def _header(lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in lines:
        match = _HEADER.match(line)
        if match and match.group(1) in HEADER_FIELDS:
            fields[match.group(1)] = match.group(2)
    return fields


def _pins(path: Path, lines: list[str]) -> tuple[tuple[str, str], ...]:
    pins: list[tuple[str, str]] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if match is None:
            raise LockError(f"{path.name}:{number}: {line!r} is not a `name==version` pin")
        pins.append((match.group(1).lower(), match.group(2)))
    names = [name for name, _ in pins]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise LockError(f"{path.name}: pinned more than once: {', '.join(duplicates)}")
    if not pins:
        raise LockError(f"{path.name}: pins no packages")
    return tuple(pins)


def _check_fields(path: Path, fields: dict[str, str]) -> None:
    missing = [name for name in HEADER_FIELDS if not fields.get(name)]
    if missing:
        raise LockError(f"{path.name}: the header lacks {', '.join(missing)}")
    if not _PYTHON_MINOR.match(fields["python"]):
        raise LockError(f"{path.name}: python {fields['python']!r} is not a minor version (3.12)")
    if not _COMMIT.match(fields["source-commit"]):
        raise LockError(f"{path.name}: source-commit is not a 40-digit commit")


def parse_lock(path: Path) -> Lock:
    """Read and check one lock file."""
    text = path.read_text()
    lines = text.splitlines()
    fields = _header(lines)
    _check_fields(path, fields)
    return Lock(
        path=path,
        image=fields["image"],
        tags=tuple(fields["tags"].split()),
        python=fields["python"],
        source_repository=fields["source-repository"],
        source_commit=fields["source-commit"],
        source_paths=tuple(fields["source-paths"].split()),
        pins=_pins(path, lines),
        text=text,
    )


def load_locks(directory: Path = LOCKS_DIR) -> list[Lock]:
    """Every lock in `directory`, sorted by file name."""
    return [parse_lock(path) for path in sorted(directory.glob("*.txt"))]


def image_reference(uri: str) -> tuple[str, str]:
    """(repository, tag) of an image URI such as `<account>.dkr.ecr.<region>.../repo:tag`."""
    name = uri.rsplit("/", 1)[-1]
    if "@" in name:
        raise LockError(f"image {uri!r} is pinned by digest; parity mode looks images up by tag")
    repository, separator, tag = name.partition(":")
    if not separator or not repository or not tag:
        raise LockError(f"image {uri!r} has no tag; parity mode looks images up by tag")
    return repository, tag


def lock_for_image(uri: str, locks: list[Lock]) -> Lock:
    """The lock that serves an image URI; LockError naming what exists when none does."""
    repository, tag = image_reference(uri)
    for lock in locks:
        if lock.serves(repository, tag):
            return lock
    known = ", ".join(f"{lock.image}:{'|'.join(lock.tags)}" for lock in locks) or "none"
    raise LockError(
        f"no parity lock for image {repository}:{tag} ({uri}); locks cover {known}. Add "
        f"{LOCKS_DIR.name}/{repository}-<version>.txt with the image's published versions "
        "(see the README, 'Parity mode')"
    )
