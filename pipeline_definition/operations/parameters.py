"""`--param Name=Value` for `execute`, checked against the DEPLOYED pipeline's declarations.

The deployed definition is the authority (it is what SageMaker will run), so names, types and
allowed values come from `DescribePipeline`, not from this checkout. The rules and messages are
`project.run_parameters`, the same the trigger Lambda and `run-local` use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.executions import answered
from project.run_parameters import (
    ParameterError,
    ParameterSpec,
    check_values,
    definition_parameters,
    parse_assignments,
)

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


def assignments(items: Sequence[str]) -> dict[str, str]:
    """Parse the `--param` items; OperationError for a malformed or repeated one."""
    try:
        return parse_assignments(items)
    except ParameterError as error:
        raise OperationError(f"--param: {error}") from error


def deployed_definition(client: SageMakerClient, pipeline_name: str) -> dict[str, Any]:
    """The pipeline's definition as deployed (botocore errors propagate)."""
    described = client.describe_pipeline(PipelineName=pipeline_name)
    text = answered(described, "PipelineDefinition", "DescribePipeline")
    try:
        definition = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise OperationError(
            f"the deployed pipeline's definition is not JSON: {str(error)[:200]}"
        ) from error
    if not isinstance(definition, dict):
        raise OperationError("the deployed pipeline's definition is not a JSON object")
    return definition


def declared_parameters(definition: Mapping[str, Any]) -> dict[str, ParameterSpec]:
    """The parameters a deployed definition declares; OperationError if they are malformed."""
    try:
        return definition_parameters(definition)
    except ParameterError as error:
        raise OperationError(f"the deployed pipeline's parameters: {error}") from error


def deployed_parameters(client: SageMakerClient, pipeline_name: str) -> dict[str, ParameterSpec]:
    """The parameters of the pipeline as deployed (botocore errors propagate)."""
    return declared_parameters(deployed_definition(client, pipeline_name))


def validate_assignments(
    values: Mapping[str, str], specs: Mapping[str, ParameterSpec]
) -> dict[str, str]:
    """The values as the API's strings; OperationError naming every problem."""
    try:
        return check_values(values, specs)
    except ParameterError as error:
        raise OperationError(str(error)) from error
