"""Manifest inputs: a run that reads exactly the objects a list names.

ProcessData's raw input takes its S3DataType from the `InputDataType` parameter:

- `S3Prefix` (the default): InputData is an object or a folder URI, as `execute` and `run-local`
  pass by hand; the script keeps to exactly the object it names (ml_scripts/processing/inputs.py).
- `ManifestFile`: InputData is the URI of a manifest, one JSON array of a prefix and keys below
  it; SageMaker downloads exactly the listed objects, each at `<input dir>/<key below prefix>`.
  The trigger writes one per run it starts, naming the objects of one folder that arrived in a
  batch, so a burst of N uploads is one run that reads those N objects and nothing else.

```
[{"prefix": "s3://data-bucket/data/raw/2026/01/"}, "sales-a.csv", "sales-b.csv.gz"]
```

Standard library only: the trigger Lambda's asset ships this module beside the handler, and
`run-local` reads manifests with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

INPUT_DATA_TYPE = "InputDataType"
S3_PREFIX = "S3Prefix"
MANIFEST_FILE = "ManifestFile"
INPUT_DATA_TYPES = (S3_PREFIX, MANIFEST_FILE)
MANIFEST_SUFFIX = ".manifest"
S3_SCHEME = "s3://"
# A manifest is read whole by whoever opens it; far more keys than any batch holds is a mistake.
MAX_MANIFEST_KEYS = 100_000


class ManifestError(ValueError):
    """A manifest that SageMaker would refuse; the message says what is wrong."""


@dataclass(frozen=True)
class Manifest:
    """A prefix (`s3://bucket/folder/`) and the keys below it, in the order listed."""

    prefix: str
    keys: tuple[str, ...]

    @property
    def uris(self) -> list[str]:
        """The S3 URI of every listed object."""
        return [f"{self.prefix}{key}" for key in self.keys]

    def body(self) -> str:
        """The manifest as SageMaker reads it: compact JSON, one array."""
        return json.dumps([{"prefix": self.prefix}, *self.keys], separators=(",", ":"))


def folder_of(key: str) -> str:
    """The folder part of an object key, with its trailing `/` (empty at the bucket's root)."""
    folder, slash, _ = key.rpartition("/")
    return f"{folder}{slash}"


def manifest_for(bucket: str, keys: Sequence[str]) -> Manifest:
    """The manifest of objects of one folder of `bucket`; ManifestError when they span folders."""
    if not keys:
        raise ManifestError("a manifest names at least one object")
    folders = {folder_of(key) for key in keys}
    if len(folders) != 1:
        raise ManifestError(f"the objects of one manifest share a folder; got {len(folders)}")
    (folder,) = folders
    names = [key[len(folder) :] for key in keys]
    return _checked(f"{S3_SCHEME}{bucket}/{folder}", names)


def _checked(prefix: str, keys: Sequence[str]) -> Manifest:
    if not prefix.startswith(S3_SCHEME) or not prefix[len(S3_SCHEME) :].split("/", 1)[0]:
        raise ManifestError(f"the prefix must be an s3://bucket/... URI, got {prefix[:120]!r}")
    if not keys:
        raise ManifestError("a manifest names at least one object")
    if len(keys) > MAX_MANIFEST_KEYS:
        raise ManifestError(f"{len(keys):,} keys; at most {MAX_MANIFEST_KEYS:,}")
    for key in keys:
        if not isinstance(key, str) or not key or key.endswith("/"):
            raise ManifestError(f"every entry must name an object below the prefix, got {key!r}")
    duplicates = len(keys) - len(set(keys))
    if duplicates:
        raise ManifestError(f"{duplicates} key(s) listed twice")
    return Manifest(prefix=prefix, keys=tuple(keys))


def parse_manifest(text: str) -> Manifest:
    """Read a manifest; ManifestError naming the first problem."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ManifestError(f"not JSON: {str(error)[:200]}") from error
    if not isinstance(document, list) or not document:
        raise ManifestError('must be a JSON array: [{"prefix": "s3://..."}, "key", ...]')
    head, *keys = document
    if not isinstance(head, dict) or not isinstance(head.get("prefix"), str):
        raise ManifestError('the first entry must be {"prefix": "s3://bucket/folder/"}')
    return _checked(head["prefix"], keys)
