"""The AWS API models, offline: which request and response shapes each step type maps to.

The models are botocore's own copies of the service definitions (SageMaker's, and EMR's and
EMR Serverless's for those steps), read from the installed package; nothing here touches the
network.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from typing import Final

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

# Step type -> the API whose request its `Arguments` are. The check steps run a processing job;
# the other step types (Lambda, EMR, ForEach, ...) have layouts of their own (check/*_steps.py).
STEP_OPERATIONS: Final[dict[str, str]] = {
    "Processing": "CreateProcessingJob",
    "Training": "CreateTrainingJob",
    "Transform": "CreateTransformJob",
    "Tuning": "CreateHyperParameterTuningJob",
    "Model": "CreateModel",
    "RegisterModel": "CreateModelPackage",
    "AutoML": "CreateAutoMLJob",
    "Job": "CreateJob",
    "QualityCheck": "CreateProcessingJob",
    "ClarifyCheck": "CreateProcessingJob",
    "EndpointConfig": "CreateEndpointConfig",
    "Endpoint": "CreateEndpoint",
    "InferenceComponent": "CreateInferenceComponent",
}

# The SDK removes the resource name from the request (`trim_request_dict`) because the pipeline
# service names each job at execution time, so these required members are legitimately absent.
SERVICE_NAMED_MEMBERS: Final[dict[str, frozenset[str]]] = {
    "Processing": frozenset({"ProcessingJobName"}),
    "Training": frozenset({"TrainingJobName"}),
    "Transform": frozenset({"TransformJobName"}),
    "Tuning": frozenset({"HyperParameterTuningJobName"}),
    "Model": frozenset({"ModelName"}),
    "RegisterModel": frozenset({"ModelPackageName"}),
    "AutoML": frozenset({"AutoMLJobName"}),
    "Job": frozenset({"JobName"}),
    "QualityCheck": frozenset({"ProcessingJobName"}),
    "ClarifyCheck": frozenset({"ProcessingJobName"}),
}

# Step type -> the response shapes (service, shape) its properties (`Steps.X.<path>`) come
# from, as in the SDK's `Properties(shape_name=..., service_name=...)` for each step class.
PROPERTY_SHAPES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "Processing": (("sagemaker", "DescribeProcessingJobResponse"),),
    "Training": (("sagemaker", "DescribeTrainingJobResponse"),),
    "Transform": (("sagemaker", "DescribeTransformJobResponse"),),
    "Tuning": (
        ("sagemaker", "DescribeHyperParameterTuningJobResponse"),
        ("sagemaker", "ListTrainingJobsForHyperParameterTuningJobResponse"),
    ),
    "Model": (("sagemaker", "DescribeModelOutput"),),
    "RegisterModel": (("sagemaker", "DescribeModelPackageOutput"),),
    "AutoML": (("sagemaker", "DescribeAutoMLJobResponse"),),
    "Job": (("sagemaker", "DescribeJobResponse"),),
    "EndpointConfig": (("sagemaker", "DescribeEndpointConfigOutput"),),
    "Endpoint": (("sagemaker", "DescribeEndpointOutput"),),
    "InferenceComponent": (("sagemaker", "DescribeInferenceComponentOutput"),),
    "EMR": (("emr", "Step"),),
    "EMRServerless": (("emr-serverless", "GetJobRunResponse"),),
}

# ".Member", "['key']", '["key"]' or "[0]": the steps of a property path.
_PATH_TOKEN = re.compile(
    r"\.(?P<member>[A-Za-z0-9_]+)|\['(?P<sq>[^']*)'\]|\[\"(?P<dq>[^\"]*)\"\]|\[(?P<index>\d+)\]"
)

# Java regex features Python's `re` lacks or reads differently; patterns using them are skipped.
_UNTRANSLATABLE = re.compile(r"\\[pPQEGhHRXz]|&&|\(\?<[A-Za-z]")


@functools.cache
def service_model(service: str = "sagemaker") -> ServiceModel:
    """An AWS service model from the installed botocore data (each loaded once)."""
    return botocore.session.get_session().get_service_model(service)


def shape(name: str, service: str = "sagemaker") -> Shape:
    """A named shape of a service model (SageMaker's by default)."""
    return service_model(service).shape_for(name)


def operation_input(operation: str, service: str = "sagemaker") -> StructureShape:
    """The request shape of an API operation."""
    input_shape = service_model(service).operation_model(operation).input_shape
    assert isinstance(input_shape, StructureShape), operation
    return input_shape


def request_shape(step_type: str) -> StructureShape | None:
    """The request shape a step type's `Arguments` follow, or None when it has none."""
    operation = STEP_OPERATIONS.get(step_type)
    return operation_input(operation) if operation is not None else None


@functools.cache
def python_pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's (Java) `pattern` as a Python regex, or None when it does not translate."""
    if _UNTRANSLATABLE.search(pattern):
        return None
    with warnings.catch_warnings():
        # "Possible nested set" and similar warnings mean Java and Python disagree on the syntax.
        warnings.simplefilter("error")
        try:
            # DOTALL errs on the side of accepting: a false alarm costs more than a miss here.
            return re.compile(pattern, re.DOTALL)
        except (re.error, FutureWarning, DeprecationWarning):
            return None


@dataclass(frozen=True)
class PropertyType:
    """What a step property path resolves to: its shape, or why it does not resolve."""

    shape: Shape | None = None
    error: str | None = None


def resolve_property(step_type: str, path: str) -> PropertyType | None:
    """Resolve `path` (after `Steps.<name>`) in the step type's response shapes.

    Returns None when the step type has no response model (its properties are not checked).
    """
    roots = PROPERTY_SHAPES.get(step_type)
    if roots is None:
        return None
    tokens = _property_tokens(path)
    if isinstance(tokens, str):
        return PropertyType(error=tokens)
    if not tokens or tokens[0][0] != "member":
        return PropertyType(error="a step is not a value; name one of its properties")
    first = tokens[0][1]
    members = [
        root.members[first]
        for root in (shape(name, service) for service, name in roots)
        if isinstance(root, StructureShape) and first in root.members
    ]
    if not members:
        return PropertyType(error=f"{step_type} steps have no property '{first}' ({roots[0][1]})")
    return _walk(members[0], tokens[1:])


def _walk(current: Shape, tokens: list[tuple[str, str]]) -> PropertyType:
    """Follow member names and indexes from `current` down to the property's shape."""
    for kind, token in tokens:
        if kind == "member" and isinstance(current, StructureShape) and token in current.members:
            current = current.members[token]
        elif kind != "member" and isinstance(current, ListShape):
            current = current.member
        elif kind == "key" and isinstance(current, MapShape):
            current = current.value
        elif kind == "member":
            return PropertyType(error=f"'{current.name}' has no member '{token}'")
        else:
            return PropertyType(error=f"'{current.name}' ({current.type_name}) cannot be indexed")
    return PropertyType(shape=current)


def _property_tokens(path: str) -> list[tuple[str, str]] | str:
    """The (kind, text) steps of a property path, or why it does not parse."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(path):
        match = _PATH_TOKEN.match(path, position)
        if match is None:
            return f"cannot parse property path '{path}' at '{path[position:]}'"
        if match["member"] is not None:
            tokens.append(("member", match["member"]))
        elif match["index"] is not None:
            tokens.append(("index", match["index"]))
        else:
            tokens.append(("key", match["sq"] if match["sq"] is not None else match["dq"]))
        position = match.end()
    return tokens
