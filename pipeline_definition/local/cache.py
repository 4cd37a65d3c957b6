"""Step caching: reuse a successful earlier local result of the same step.

The key is made of SageMaker's documented attributes, evaluated, and nothing else (Processing:
AppSpecification, Environment, ProcessingInputs; Training: AlgorithmSpecification,
CheckpointConfig, DebugHookConfig, DebugRuleConfigurations, Environment, HyperParameters,
InputDataConfig; docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html). Like
SageMaker, it never looks at the data behind a URI: other bytes at the same URI hit the cache
unless an attribute changes, which is why the InputVersion parameter reaches ProcessData's
Environment.

Records live in `<root>/<pipeline>/<step>/<key>/<execution id>.json`; the newest record within
ExpireAfter whose outputs still exist wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline_definition.local.store import LocalObjectStore
from pipeline_definition.model import durations


class CacheConfigError(ValueError):
    """A CacheConfig cannot be understood."""


def parse_duration(text: str) -> timedelta:
    """An ExpireAfter duration as the validator accepts it (`P7D`, `30d`, `T12H`, `P4DT12H`).

    One rule for both (`durations.expire_after`): Y = 365 d, M = 30 d, and a duration too long
    for a timedelta never expires.
    """
    try:
        return durations.expire_after(text if isinstance(text, str) else "")
    except durations.DurationError as error:
        raise CacheConfigError(
            f"ExpireAfter {text!r} is not an ISO 8601 duration such as P7D"
        ) from error


@dataclass(frozen=True)
class CachePolicy:
    """A step's CacheConfig."""

    enabled: bool
    expire_after: timedelta | None


def cache_policy(raw: Any) -> CachePolicy:
    """Read a step's `CacheConfig` (absent means disabled; no ExpireAfter means no expiry)."""
    if raw is None:
        return CachePolicy(enabled=False, expire_after=None)
    if not isinstance(raw, Mapping):
        raise CacheConfigError(f"CacheConfig must be an object, got {raw!r}")
    expire = raw.get("ExpireAfter")
    return CachePolicy(
        enabled=bool(raw.get("Enabled", False)),
        expire_after=parse_duration(expire) if expire is not None else None,
    )


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_material(step_type: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """What the cache key is computed from, kept in each record to explain misses."""
    return {"StepType": step_type, "Attributes": dict(attributes)}


def cache_key(material: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical key material."""
    return hashlib.sha256(canonical(material).encode()).hexdigest()


@dataclass(frozen=True)
class CacheHit:
    """An earlier result to reuse."""

    execution_id: str
    finished_at: datetime
    properties: dict[str, Any]
    path: Path


class StepCache:
    """Cache records of one pipeline below `root`."""

    def __init__(self, root: Path, pipeline_name: str, store: LocalObjectStore) -> None:
        self.root = root / pipeline_name
        self.store = store

    def _folder(self, step_name: str, key: str) -> Path:
        return self.root / step_name / key

    def lookup(
        self, step_name: str, key: str, *, now: datetime, expire_after: timedelta | None
    ) -> CacheHit | None:
        """The newest usable record for this step and key, or None."""
        folder = self._folder(step_name, key)
        if not folder.is_dir():
            return None
        candidates = []
        for path in folder.glob("*.json"):
            try:
                record = json.loads(path.read_text())
                finished = datetime.fromisoformat(record["FinishedAt"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if expire_after is not None and now - finished > expire_after:
                continue
            # A record whose outputs were deleted from the local store cannot be reused.
            if not all(self.store.exists(uri) for uri in record.get("Outputs", [])):
                continue
            candidates.append((finished, record, path))
        if not candidates:
            return None
        finished, record, path = max(candidates, key=lambda c: c[0])
        return CacheHit(
            execution_id=record["ExecutionId"],
            finished_at=finished,
            properties=record["Properties"],
            path=path,
        )

    def record(
        self,
        step_name: str,
        key: str,
        *,
        execution_id: str,
        finished_at: datetime,
        material: Mapping[str, Any],
        properties: Mapping[str, Any],
        outputs: Iterable[str],
    ) -> Path:
        """Store a successful result."""
        folder = self._folder(step_name, key)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{execution_id}.json"
        record = {
            "ExecutionId": execution_id,
            "StepName": step_name,
            "Key": key,
            "FinishedAt": finished_at.isoformat(),
            "KeyMaterial": material,
            "Properties": properties,
            "Outputs": sorted(outputs),
        }
        path.write_text(json.dumps(record, indent=2, sort_keys=True))
        return path
