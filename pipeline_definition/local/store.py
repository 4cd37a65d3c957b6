"""A folder that stands in for S3: `s3://bucket/key` is `<root>/<bucket>/<key>`.

Objects are files; a key prefix ending in `/` is a folder. Reading an S3Prefix input follows
SageMaker's File mode: a URI naming an object copies that file into the destination, a URI
naming a prefix copies every object below it with its path relative to the prefix. Unlike S3,
a prefix only matches whole path segments (`.../train` does not match `.../train-old.csv`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEME = "s3://"


class StoreError(ValueError):
    """A URI is malformed or names nothing in the local store."""


@dataclass(frozen=True)
class S3Uri:
    """A parsed `s3://bucket/key` URI."""

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"


def parse_uri(uri: str) -> S3Uri:
    """Split an S3 URI; raise StoreError when it is not one or would escape the store."""
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        raise StoreError(f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri[len(SCHEME) :].partition("/")
    if not bucket:
        raise StoreError(f"{uri!r} has no bucket")
    parts = [part for part in key.split("/") if part]
    if any(part in (".", "..") for part in parts) or bucket in (".", ".."):
        raise StoreError(f"{uri!r} has '.' or '..' path segments")
    return S3Uri(bucket=bucket, key=key)


def _copy(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)


def list_files(root: Path) -> list[Path]:
    """Every file below `root` (or `root` itself when it is a file), sorted."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    found = [Path(directory) / name for directory, _, names in os.walk(root) for name in names]
    return sorted(found)


class LocalObjectStore:
    """The local S3: URIs map to files below `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, uri: str) -> Path:
        """The local path of an object or prefix."""
        parsed = parse_uri(uri)
        return self.root / parsed.bucket / parsed.key.strip("/")

    def uri(self, path: Path) -> str:
        """The S3 URI of a path below the store's root."""
        relative = path.resolve().relative_to(self.root.resolve()).as_posix()
        bucket, _, key = relative.partition("/")
        return f"{SCHEME}{bucket}/{key}"

    def exists(self, uri: str) -> bool:
        """True when the URI names an object or a prefix with at least one object below it."""
        return bool(list_files(self.path(uri)))

    def objects(self, uri: str) -> list[tuple[str, Path]]:
        """(path relative to the URI, local file) for every object the URI selects."""
        location = self.path(uri)
        if location.is_file():
            return [(location.name, location)]
        return [(path.relative_to(location).as_posix(), path) for path in list_files(location)]

    def download(self, uri: str, destination: Path) -> int:
        """Copy what the URI selects into the folder `destination`; return how many files."""
        destination.mkdir(parents=True, exist_ok=True)
        objects = self.objects(uri)
        for relative, path in objects:
            _copy(path, destination / relative)
        return len(objects)

    def upload_dir(self, source: Path, uri: str) -> int:
        """Copy every file below `source` under the URI's prefix; return how many files."""
        target = self.path(uri)
        files = list_files(source)
        for path in files:
            _copy(path, target / path.relative_to(source))
        return len(files)

    def put_file(self, source: Path, uri: str) -> None:
        """Copy one file to the object the URI names."""
        _copy(source, self.path(uri))

    def put_bytes(self, data: bytes, uri: str) -> None:
        """Write an object."""
        target = self.path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def read_json(self, uri: str) -> Any:
        """Parse the object at `uri` as JSON."""
        location = self.path(uri)
        if not location.is_file():
            raise StoreError(f"{uri} is not an object in the local store ({location})")
        try:
            return json.loads(location.read_text())
        except json.JSONDecodeError as error:
            raise StoreError(f"{uri} ({location}) is not valid JSON: {error}") from error

    def content_hash(self, uri: str) -> str:
        """SHA-256 over relative paths and bytes of what the URI selects ("absent" if nothing)."""
        objects = self.objects(uri)
        if not objects:
            return "absent"
        digest = hashlib.sha256()
        for relative, path in objects:
            digest.update(relative.encode() + b"\0")
            digest.update(_file_digest(path))
        return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest()
