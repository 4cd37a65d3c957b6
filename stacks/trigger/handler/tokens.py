"""Idempotency tokens for `StartPipelineExecution.ClientRequestToken` (32-128 characters).

A token is the SHA-256 hex digest (64 characters) of the pipeline name and what identifies the
request, encoded as a JSON array so no choice of separator can make two inputs collide.

* New object: bucket, key, version id and sequencer. S3 gives every write a new version id and
  sequencer, so a re-upload of the same key is a new run, while a redelivery of the same event
  (EventBridge or Lambda retrying) carries the same values and starts nothing new.
* A batch of new objects (the queue's flow): bucket and the set of (key, version id, sequencer)
  of every object in the run, in a fixed order, so the same set redelivered in any order is the
  same token and starts nothing new, while any object more or less is another run.
* Schedule: the EventBridge event id, which retries and redeliveries keep.
* Manual: the validated parameters plus the Lambda request id. Lambda keeps the request id when
  it retries an asynchronous invocation, so its retries are idempotent; a new `aws lambda
  invoke` gets a new request id and starts a new run even with the same parameters, which is
  what someone asking for a run by hand expects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping


def _digest(kind: str, pipeline_name: str, *parts: object) -> str:
    payload = json.dumps([kind, pipeline_name, *parts], sort_keys=True, separators=(",", ":"))
    # 64 hex characters: inside the API's 32-128 range.
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def object_token(
    pipeline_name: str, bucket: str, key: str, version_id: str | None, sequencer: str | None
) -> str:
    """The token for a run started by a new object."""
    return _digest("object-created", pipeline_name, bucket, key, version_id, sequencer)


def objects_token(
    pipeline_name: str, bucket: str, objects: Iterable[tuple[str, str | None, str | None]]
) -> str:
    """The token for one run over a set of (key, version id, sequencer) of one bucket."""
    members = sorted({(key, version or "", sequencer or "") for key, version, sequencer in objects})
    return _digest("objects", pipeline_name, bucket, [list(member) for member in members])


def scheduled_token(pipeline_name: str, event_id: str) -> str:
    """The token for a scheduled run."""
    return _digest("scheduled", pipeline_name, event_id)


def manual_token(pipeline_name: str, parameters: Mapping[str, str], request_id: str) -> str:
    """The token for a run requested by hand in one Lambda invocation."""
    return _digest("manual", pipeline_name, dict(parameters), request_id)
