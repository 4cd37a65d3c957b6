"""A folder that stands in for S3: `s3://bucket/key` is `<root>/<bucket>/<key>`.

Objects are files; a key prefix ending in `/` is a folder. Reading an S3Prefix input follows
SageMaker's File mode: the URI is a key prefix, and every object whose key starts with it is
selected, as S3 lists them (`.../sales.csv` also selects `.../sales.csv.gz` and
`.../sales.csv_backup/x.csv`). Each lands in the destination under the name the service gives
it (`local_name`): the object the URI names keeps its file name, an object below the prefix as a
folder keeps its path below it, and any other object sharing the prefix keeps its path from the
prefix's folder (the full file name, as a remote job shows it; aws/sagemaker-python-sdk#3612).

Reading a ManifestFile input follows SageMaker too: the URI names a manifest (one JSON array of a
prefix and keys, `project/manifests.py`), exactly the listed objects are selected, each landing
at its key below the manifest's prefix, and a listed object that is missing fails the input.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from project.manifests import ManifestError, parse_manifest

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


def local_name(prefix: str, key: str) -> str:
    """The path below the destination at which File mode puts `key`, selected by `prefix`."""
    rest = key[len(prefix) :]
    if prefix.endswith("/") or rest.startswith("/"):
        return rest.lstrip("/")
    if not rest:
        return key.rsplit("/", 1)[-1]
    folder = prefix.rpartition("/")[0]
    return key[len(folder) :].lstrip("/")


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
        """True when at least one object's key starts with the URI's key."""
        return bool(self.objects(uri))

    def objects(self, uri: str) -> list[tuple[str, Path]]:
        """(local name, file) for every object whose key starts with the URI's key, by key."""
        parsed = parse_uri(uri)
        bucket = self.root / parsed.bucket
        # Only the prefix's folder can hold keys that start with it.
        folder = parsed.key.rpartition("/")[0]
        selected = []
        for path in list_files(bucket / folder if folder else bucket):
            key = path.relative_to(bucket).as_posix()
            if key.startswith(parsed.key):
                selected.append((local_name(parsed.key, key), path))
        return selected

    def manifest_objects(self, uri: str) -> list[tuple[str, Path]]:
        """(local name, file) for every object the manifest at `uri` lists, in its order."""
        try:
            manifest = parse_manifest(self._text(uri))
        except (ManifestError, UnicodeDecodeError) as error:
            raise StoreError(f"{uri} is not a manifest: {error}") from error
        selected = []
        for key, listed in zip(manifest.keys, manifest.uris, strict=True):
            if key.startswith("/"):
                raise StoreError(f"{uri} lists {key!r}, which does not lie below its prefix")
            path = self.path(listed)
            if not path.is_file():
                raise StoreError(f"{uri} lists {listed}, which is not an object in the store")
            selected.append((key, path))
        return selected

    def download(self, uri: str, destination: Path, *, manifest: bool = False) -> int:
        """Copy what the URI selects into the folder `destination`; return how many files.

        With `manifest`, the URI names a manifest and its listed objects are copied (a
        ManifestFile input); otherwise every object whose key starts with the URI (S3Prefix).
        """
        destination.mkdir(parents=True, exist_ok=True)
        objects = self.manifest_objects(uri) if manifest else self.objects(uri)
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

    def version(self, uri: str) -> str:
        """What stands in for S3's version id: a content hash ("" when nothing is there).

        A URI naming an object hashes that object's bytes; a folder URI (ending in `/`) hashes
        the names and bytes of every object below it.
        """
        parsed = parse_uri(uri)
        if parsed.key and not parsed.key.endswith("/"):
            location = self.path(uri)
            return _digest([(location.name, location)]) if location.is_file() else ""
        objects = self.objects(uri)
        return _digest(objects) if objects else ""

    def manifest_version(self, uri: str) -> str:
        """The stand-in version of a manifest's input: a hash of its listed objects' bytes."""
        return _digest(self.manifest_objects(uri))

    def _text(self, uri: str) -> str:
        location = self.path(uri)
        if not location.is_file():
            raise StoreError(f"{uri} is not an object in the local store ({location})")
        return location.read_text()

    def read_json(self, uri: str) -> Any:
        """Parse the object at `uri` as JSON."""
        try:
            return json.loads(self._text(uri))
        except json.JSONDecodeError as error:
            raise StoreError(f"{uri} ({self.path(uri)}) is not valid JSON: {error}") from error


def _digest(objects: list[tuple[str, Path]]) -> str:
    """SHA-256 over names and bytes, cut to an ETag's 32 characters."""
    digest = hashlib.sha256()
    for name, path in sorted(objects):
        digest.update(name.encode() + b"\0")
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:32]
