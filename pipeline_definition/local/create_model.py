"""Run a Model step (CreateModel): record the model so that a Transform step can run it.

Locally a model is what SageMaker keeps too: its container (image, model data, environment),
stored in the workdir's models folder under a name made like a job name. The model data must
exist in the local store, as CreateModel checks that it can read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.jobs import JobContext
from pipeline_definition.local.names import arn, timestamp


def containers(arguments: Mapping[str, Any]) -> list[Any]:
    """The model's containers: its PrimaryContainer, or its Containers."""
    primary = arguments.get("PrimaryContainer")
    listed = arguments.get("Containers")
    return [primary] if primary is not None else list(listed or [])


def check_model(arguments: Any) -> list[str]:
    """What in a Model step's arguments cannot be created locally (empty when all can)."""
    if not isinstance(arguments, Mapping):
        return ["has no Arguments object"]
    found = containers(arguments)
    if len(found) != 1:
        return [
            f"has {len(found)} containers (a model runs locally with exactly one; an inference "
            "pipeline runs only in SageMaker)"
        ]
    return _container_problems(found[0])


def _container_problems(container: Any) -> list[str]:
    if not isinstance(container, Mapping):
        return ["has a container that is not an object"]
    if container.get("Mode") == "MultiModel":
        return ["is a multi-model container (it loads models on request, only in SageMaker)"]
    if "ModelDataSource" in container and "ModelDataUrl" not in container:
        return ["reads its model from ModelDataSource (only ModelDataUrl is supported locally)"]
    return []


def run_model(ctx: JobContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Create the model; return its DescribeModel-like document."""
    (container,) = containers(arguments)
    url = container.get("ModelDataUrl")
    if url is not None and not (isinstance(url, str) and ctx.store.exists(url)):
        raise LocalJobError(f"ModelDataUrl {url!r} does not exist in the local store", CLIENT_ERROR)
    describe = {
        **arguments,
        "ModelName": ctx.job_name,
        "ModelArn": arn(f"model/{ctx.job_name.lower()}"),
        "CreationTime": timestamp(ctx.clock()),
    }
    path = ctx.step.model_store().create(describe)
    ctx.log(f"created model {ctx.job_name} ({path})")
    return describe


def model_detail(describe: Mapping[str, Any]) -> str:
    """What the progress display shows for a created model: its name."""
    return f"model {describe['ModelName']}"
