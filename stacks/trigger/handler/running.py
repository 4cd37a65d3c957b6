"""Skip-if-running: is an Executing run already doing what this start asks for?

A start is a duplicate only when a running execution has the same InputData **and** the same
InputVersion (each compared after the pipeline's defaults fill in what was not passed). A new
version of a key uploaded while its previous version is being processed is not a duplicate:
the running job may already have read the old bytes, so the new version starts its own run and
nothing is lost. Pipelines that do not declare InputVersion compare InputData alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from project.run_parameters import INPUT_DATA, INPUT_VERSION

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

EXECUTING = "Executing"
# The check looks at this many of the newest executions: a run still going after a hundred
# newer starts is not one a new file should wait for.
RUNNING_SCAN_LIMIT = 100
# What decides whether two runs read the same data.
IDENTITY_PARAMETERS = (INPUT_DATA, INPUT_VERSION)


def declared_defaults(sagemaker: SageMakerClient, pipeline_name: str) -> dict[str, str]:
    """The deployed definition's defaults of the identity parameters it declares."""
    definition = json.loads(
        sagemaker.describe_pipeline(PipelineName=pipeline_name)["PipelineDefinition"]
    )
    defaults: dict[str, str] = {}
    for parameter in definition.get("Parameters", []):
        name = parameter.get("Name")
        if name in IDENTITY_PARAMETERS:
            default = parameter.get("DefaultValue")
            defaults[name] = "" if default is None else str(default)
    return defaults


def execution_parameters(sagemaker: SageMakerClient, execution_arn: str) -> dict[str, str]:
    """The parameter values an execution was started with (defaults are not listed)."""
    values: dict[str, str] = {}
    paginator = sagemaker.get_paginator("list_pipeline_parameters_for_execution")
    for page in paginator.paginate(PipelineExecutionArn=execution_arn):
        for parameter in page.get("PipelineParameters", []):
            values[parameter["Name"]] = parameter["Value"]
    return values


class _Identity:
    """The (InputData, InputVersion) a set of start parameters amounts to, defaults filled in."""

    def __init__(self, sagemaker: SageMakerClient, pipeline_name: str) -> None:
        self._sagemaker = sagemaker
        self._pipeline_name = pipeline_name
        self._defaults: dict[str, str] | None = None

    def of(self, parameters: Mapping[str, str]) -> tuple[str | None, ...]:
        """The identity values; the definition is read only when a value is missing."""
        if all(name in parameters for name in IDENTITY_PARAMETERS):
            return tuple(parameters[name] for name in IDENTITY_PARAMETERS)
        if self._defaults is None:
            self._defaults = declared_defaults(self._sagemaker, self._pipeline_name)
        return tuple(parameters.get(name, self._defaults.get(name)) for name in IDENTITY_PARAMETERS)


def running_duplicate(
    sagemaker: SageMakerClient, pipeline_name: str, parameters: Mapping[str, str]
) -> str | None:
    """The ARN of an Executing run with the same InputData and InputVersion, else None."""
    identity = _Identity(sagemaker, pipeline_name)
    wanted: tuple[str | None, ...] | None = None
    paginator = sagemaker.get_paginator("list_pipeline_executions")
    pages = paginator.paginate(
        PipelineName=pipeline_name,
        SortBy="CreationTime",
        SortOrder="Descending",
        PaginationConfig={"MaxItems": RUNNING_SCAN_LIMIT, "PageSize": 50},
    )
    for page in pages:
        for summary in page.get("PipelineExecutionSummaries", []):
            if summary.get("PipelineExecutionStatus") != EXECUTING:
                continue
            arn = summary["PipelineExecutionArn"]
            if wanted is None:
                wanted = identity.of(parameters)
            if identity.of(execution_parameters(sagemaker, arn)) == wanted:
                return arn
    return None
