"""What parity jobs run with: the environment of each image, and the namespace if any."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.parity.envs import ParityEnv
from pipeline_definition.local.parity.namespace import Namespace

# Where each job kind names its image.
IMAGE_FIELDS: Mapping[str, tuple[str, str]] = {
    "Processing": ("AppSpecification", "ImageUri"),
    "Training": ("AlgorithmSpecification", "TrainingImage"),
}


def image_of(step_type: str, arguments: Mapping[str, Any]) -> Any:
    """The image a job step's arguments name (whatever value is there)."""
    section, field = IMAGE_FIELDS[step_type]
    spec = arguments.get(section)
    return spec.get(field) if isinstance(spec, Mapping) else None


def network_isolated(step_type: str, arguments: Mapping[str, Any]) -> bool:
    """True when a job's arguments ask for network isolation."""
    if step_type == "Processing":
        config = arguments.get("NetworkConfig")
        return isinstance(config, Mapping) and config.get("EnableNetworkIsolation") is True
    return arguments.get("EnableNetworkIsolation") is True


@dataclass(frozen=True)
class ParityRuntime:
    """The environments by image URI, and the namespace (None: paths are rewritten)."""

    envs: Mapping[str, ParityEnv]
    namespace: Namespace | None
    namespace_problem: str = ""  # why there is no namespace

    def env_for(self, step_type: str, arguments: Mapping[str, Any]) -> ParityEnv:
        """The environment of a job's image; a client error when none was prepared."""
        image = image_of(step_type, arguments)
        if isinstance(image, str) and image in self.envs:
            return self.envs[image]
        prepared = ", ".join(sorted(self.envs)) or "none"
        raise LocalJobError(
            f"parity mode has no environment for image {image!r} (prepared: {prepared})",
            CLIENT_ERROR,
        )

    def cache_tag(self, step_type: str, arguments: Mapping[str, Any]) -> str:
        """What a cache key adds so that parity and default results are never mixed."""
        image = image_of(step_type, arguments)
        env = self.envs.get(image) if isinstance(image, str) else None
        where = "namespace" if self.namespace is not None else "mapped paths"
        return f"parity {env.description if env else f'no environment for {image!r}'} ({where})"
