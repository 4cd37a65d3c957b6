"""`--param Name=Value`: parsed, then checked against the DEPLOYED pipeline's parameters.

The deployed definition is the authority (it is what SageMaker will run), so names, types and
allowed values come from `DescribePipeline`, not from this checkout. Type rules are the
trigger Lambda's (`stacks.trigger.handler.parameters`), so both accept exactly the same values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline_definition.operations import OperationError
from stacks.trigger.handler.parameters import ParameterError, coerce_value

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of the deployed pipeline."""

    name: str
    type: str
    default: Any = None
    enum_values: tuple[str, ...] = ()

    def describe(self) -> str:
        """`Name (Type, default X, one of A|B)`."""
        details = [self.type]
        if self.default is not None:
            details.append(f"default {self.default}")
        if self.enum_values:
            details.append(f"one of {'|'.join(self.enum_values)}")
        return f"{self.name} ({', '.join(details)})"


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Parse `Name=Value` items; the value may contain `=`; a name may appear once."""
    values: dict[str, str] = {}
    for item in items:
        name, separator, value = item.partition("=")
        name = name.strip()
        if not separator or not name:
            raise OperationError(f"--param {item!r}: expected Name=Value")
        if name in values:
            raise OperationError(f"--param {name} is given twice")
        values[name] = value
    return values


def definition_parameters(definition: Mapping[str, Any]) -> dict[str, ParameterSpec]:
    """The parameters a pipeline definition declares, by name."""
    specs: dict[str, ParameterSpec] = {}
    for parameter in definition.get("Parameters", []):
        specs[parameter["Name"]] = ParameterSpec(
            name=parameter["Name"],
            type=parameter.get("Type", "String"),
            default=parameter.get("DefaultValue"),
            enum_values=tuple(parameter.get("EnumValues", ())),
        )
    return specs


def deployed_parameters(client: SageMakerClient, pipeline_name: str) -> dict[str, ParameterSpec]:
    """The parameters of the pipeline as deployed (botocore errors propagate)."""
    described = client.describe_pipeline(PipelineName=pipeline_name)
    return definition_parameters(json.loads(described["PipelineDefinition"]))


def valid_parameters_text(specs: Mapping[str, ParameterSpec]) -> str:
    """The accepted parameters, one per line, for error messages."""
    return "\n".join(f"  {specs[name].describe()}" for name in sorted(specs))


def validate_assignments(
    values: Mapping[str, str], specs: Mapping[str, ParameterSpec]
) -> dict[str, str]:
    """Check names, types and allowed values; raise OperationError listing every problem."""
    problems: list[str] = []
    rendered: dict[str, str] = {}
    unknown = sorted(set(values) - set(specs))
    if unknown:
        problems.append(f"unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")
    for name in sorted(set(values) & set(specs)):
        spec = specs[name]
        try:
            rendered[name] = coerce_value(name, spec.type, values[name])
        except ParameterError as error:
            problems.append(str(error))
            continue
        if spec.enum_values and rendered[name] not in spec.enum_values:
            problems.append(f"{name} must be one of {', '.join(spec.enum_values)}")
    if problems:
        raise OperationError(
            "; ".join(problems)
            + "\nthe pipeline's parameters are:\n"
            + valid_parameters_text(specs)
        )
    return rendered
