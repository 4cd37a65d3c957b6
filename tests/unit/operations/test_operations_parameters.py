"""`--param Name=Value` parsing and validation against a deployed definition."""

from __future__ import annotations

import pytest

from pipeline_definition.operations import OperationError
from pipeline_definition.operations.parameters import (
    ParameterSpec,
    definition_parameters,
    parse_assignments,
    validate_assignments,
)
from testsupport.definitions import shipped_definition

SPECS = definition_parameters(shipped_definition())


def test_reads_names_types_defaults_and_allowed_values_from_the_definition() -> None:
    assert SPECS["MaxDepth"] == ParameterSpec("MaxDepth", "Integer", 4)
    assert SPECS["ModelApprovalStatus"].enum_values == (
        "Approved",
        "Rejected",
        "PendingManualApproval",
    )
    assert SPECS["Eta"].describe() == "Eta (Float, default 0.03)"


def test_assignments_split_on_the_first_equals_sign() -> None:
    assert parse_assignments(["InputData=s3://b/k=v.csv", " MaxDepth =6", "Empty="]) == {
        "InputData": "s3://b/k=v.csv",
        "MaxDepth": "6",
        "Empty": "",
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["MaxDepth"], "--param 'MaxDepth': expected Name=Value"),
        (["=6"], "--param '=6': expected Name=Value"),
        (["MaxDepth=5", "MaxDepth=6"], "--param MaxDepth is given twice"),
    ],
)
def test_malformed_assignments_are_refused(items: list[str], message: str) -> None:
    with pytest.raises(OperationError, match=message):
        parse_assignments(items)


def test_valid_values_are_rendered_for_the_api() -> None:
    rendered = validate_assignments(
        {"MaxDepth": "6", "Eta": "1e-1", "ModelApprovalStatus": "Approved"}, SPECS
    )

    assert rendered == {"MaxDepth": "6", "Eta": "0.1", "ModelApprovalStatus": "Approved"}


def test_unknown_names_list_every_valid_parameter_with_its_type() -> None:
    with pytest.raises(OperationError) as raised:
        validate_assignments({"MaxDeph": "6", "Colour": "red"}, SPECS)

    message = str(raised.value)
    assert message.startswith("unknown parameters: Colour, MaxDeph\n")
    assert "  MaxDepth (Integer, default 4)" in message
    assert "  InputData (String, default s3://${DataBucket}/data/raw/house_data.csv)" in message
    assert message.count("\n  ") == len(SPECS)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"MaxDepth": "six"}, "MaxDepth is an Integer parameter; 'six' is not an integer"),
        ({"RmseThreshold": "low"}, "RmseThreshold is a Float parameter"),
        (
            {"ModelApprovalStatus": "Maybe"},
            "ModelApprovalStatus must be one of Approved, Rejected, PendingManualApproval",
        ),
    ],
)
def test_wrong_types_and_values_name_the_parameter(values: dict[str, str], message: str) -> None:
    with pytest.raises(OperationError, match=message):
        validate_assignments(values, SPECS)
