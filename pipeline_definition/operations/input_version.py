"""InputVersion for `execute`: the version of the object (or folder) InputData names, from S3.

SageMaker's cache key for ProcessData is its arguments, never the data behind InputData, so a
run on a re-uploaded object would reuse the last results unless InputVersion tells the two
uploads apart. The trigger Lambda takes it from the S3 event; here, when the user names an
InputData and no InputVersion, it is looked up:

- an object: HeadObject's VersionId, else its ETag (the rule in `project.run_parameters`);
- a folder (a URI ending in `/`): a digest of every key and ETag below it, so any added, removed
  or replaced file is a new version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pipeline_definition.operations import OperationError
from project.run_parameters import INPUT_DATA, INPUT_VERSION, ParameterSpec, object_version

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

S3_SCHEME = "s3://"
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
DENIED_CODES = frozenset({"403", "AccessDenied", "Forbidden"})
# The folder digest is shortened to an ETag's length; it only has to tell versions apart.
FOLDER_DIGEST_LENGTH = 32


def needs_lookup(parameters: Mapping[str, str], specs: Mapping[str, ParameterSpec]) -> bool:
    """True when InputData is given, InputVersion is declared, and the user gave no version."""
    return INPUT_DATA in parameters and INPUT_VERSION in specs and INPUT_VERSION not in parameters


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an `s3://` URI; OperationError for anything else."""
    bucket, _, key = uri.removeprefix(S3_SCHEME).partition("/")
    if not uri.startswith(S3_SCHEME) or not bucket:
        raise OperationError(f"InputData {uri!r} is not an s3://bucket/key URI")
    return bucket, key


def _explain(error: ClientError, uri: str) -> OperationError:
    code = str(error.response.get("Error", {}).get("Code", "Unknown"))
    if code in NOT_FOUND_CODES:
        return OperationError(
            f"InputData {uri}: no such object; upload it first, or end the URI with '/' to "
            "read every CSV in a folder"
        )
    if code in DENIED_CODES:
        return OperationError(
            f"InputData {uri}: cannot read its version ({code}); allow s3:GetObject (and "
            f"s3:ListBucket for a folder) on it, or pass --param {INPUT_VERSION}=<version id>"
        )
    return OperationError(f"InputData {uri}: {code}: {error}")


def _folder_version(s3: S3Client, bucket: str, prefix: str, uri: str) -> str:
    listed: list[tuple[str, str]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        listed.extend((item["Key"], item.get("ETag", "")) for item in page.get("Contents", []))
    if not listed:
        raise OperationError(f"InputData {uri}: no objects below this folder")
    digest = hashlib.sha256(json.dumps(sorted(listed)).encode()).hexdigest()
    return digest[:FOLDER_DIGEST_LENGTH]


def input_version(s3: S3Client, uri: str) -> str:
    """The InputVersion of what `uri` names; OperationError when S3 cannot say."""
    bucket, key = split_uri(uri)
    try:
        if not key or key.endswith("/"):
            return _folder_version(s3, bucket, key, uri)
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        raise _explain(error, uri) from error
    version = object_version(head.get("VersionId"), head.get("ETag"))
    if version is None:
        raise OperationError(
            f"InputData {uri}: S3 reported neither a version id nor an ETag; pass "
            f"--param {INPUT_VERSION}=<version>"
        )
    return version
