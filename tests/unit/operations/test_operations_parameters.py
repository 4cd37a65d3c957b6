"""`execute --param`: the shared rules, reported as the CLI's one-line errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.parameters import (
    assignments,
    deployed_parameters,
    validate_assignments,
)
from project.run_parameters import definition_parameters
from testsupport.definitions import shipped_definition, shipped_definition_text

SPECS = definition_parameters(shipped_definition())


class DescribingClient:
    """Answers DescribePipeline with a fixed definition body."""

    def __init__(self, body: str) -> None:
        self.body = body

    def describe_pipeline(self, **_: Any) -> dict[str, str]:
        return {"PipelineDefinition": self.body}


def test_the_deployed_declarations_are_read() -> None:
    specs = deployed_parameters(DescribingClient(shipped_definition_text()), "p")  # type: ignore[arg-type]

    assert specs == SPECS


def test_a_deployed_definition_with_bad_declarations_is_an_operation_error() -> None:
    body = json.dumps({"Parameters": [{"Name": "X", "Type": "Number"}]})

    with pytest.raises(OperationError, match="the deployed pipeline's parameters: parameter X"):
        deployed_parameters(DescribingClient(body), "p")  # type: ignore[arg-type]


def test_malformed_assignments_name_the_flag() -> None:
    with pytest.raises(OperationError, match="--param: expected Name=Value, got 'MaxDepth'"):
        assignments(["MaxDepth"])


def test_bad_values_are_operation_errors_with_the_shared_message() -> None:
    with pytest.raises(OperationError, match="MaxDepth is an Integer parameter; 'six'"):
        validate_assignments({"MaxDepth": "six"}, SPECS)


def test_good_values_become_api_strings() -> None:
    assert validate_assignments({"Eta": "1e-1"}, SPECS) == {"Eta": "0.1"}
