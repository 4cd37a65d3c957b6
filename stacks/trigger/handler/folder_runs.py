"""One run per folder of a batch: its manifest, its parameters and its token.

The run reads exactly the batch's objects of that folder: the function writes a manifest that
lists them (`project/manifests.py`) below MANIFESTS_LOCATION, named by the run's token, and
starts the pipeline with InputData = the manifest, InputDataType = ManifestFile and InputVersion
= the token. The token is derived from the set of object versions (`tokens.objects_token`), so a
redelivered batch writes the same manifest again and starts nothing new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from project.manifests import INPUT_DATA_TYPE, MANIFEST_FILE, MANIFEST_SUFFIX, manifest_for
from project.run_parameters import INPUT_DATA, INPUT_VERSION, check_values

from .config import ConfigurationError, TriggerConfig
from .records import FolderBatch
from .run_requests import RunRequest
from .tokens import objects_token

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# The run's description names this many objects, then how many more there are.
NAMED_OBJECTS = 20
FOLDER_TRIGGER = "objects"


def manifest_uri(config: TriggerConfig, token: str) -> str:
    """Where the run's manifest goes: MANIFESTS_LOCATION + token + `.manifest`."""
    if config.manifests_location is None:
        raise ConfigurationError("MANIFESTS_LOCATION is not set: the batch flow writes manifests")
    return f"{config.manifests_location}{token}{MANIFEST_SUFFIX}"


def _description(batch: FolderBatch) -> str:
    keys = batch.keys
    names = ", ".join(key[len(batch.folder) :] for key in keys[:NAMED_OBJECTS])
    more = f" and {len(keys) - NAMED_OBJECTS} more" if len(keys) > NAMED_OBJECTS else ""
    versions = len(batch.objects)
    counted = f"{len(keys)} new object(s)" + (
        f" ({versions} versions)" if versions != len(keys) else ""
    )
    return f"{counted} under s3://{batch.bucket}/{batch.folder}: {names}{more}"


def folder_request(batch: FolderBatch, config: TriggerConfig) -> RunRequest:
    """The run for one folder's objects; ConfigurationError if the pipeline takes no manifest."""
    declared = config.parameters.get(INPUT_DATA_TYPE)
    if declared is None or MANIFEST_FILE not in declared.enum_values:
        raise ConfigurationError(
            f"the pipeline must declare {INPUT_DATA_TYPE} with {MANIFEST_FILE} for batched starts"
        )
    token = objects_token(config.pipeline_name, batch.bucket, batch.objects)
    values = {INPUT_DATA: manifest_uri(config, token), INPUT_DATA_TYPE: MANIFEST_FILE}
    # SageMaker caches on arguments: the token makes another set of objects another run.
    if INPUT_VERSION in config.parameters:
        values[INPUT_VERSION] = token
    return RunRequest(
        trigger=FOLDER_TRIGGER,
        token=token,
        description=_description(batch),
        parameters=check_values(values, config.parameters),
    )


def write_manifest(s3: S3Client, uri: str, batch: FolderBatch) -> None:
    """Write the manifest of the batch's objects to `uri` (the bucket's default encryption)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body = manifest_for(batch.bucket, batch.keys).body()
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/json")
