"""`--param Name=Value` parsing, type checks and enum checks against the declarations."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline_definition.local.parameters import (
    ParameterError,
    ParameterSpec,
    convert,
    parameter_specs,
    parse_overrides,
    resolve_parameters,
)

DEFINITION: dict[str, Any] = {
    "Parameters": [
        {"Name": "InputData", "Type": "String", "DefaultValue": "s3://b/raw.csv"},
        {"Name": "NumRound", "Type": "Integer", "DefaultValue": 2000},
        {"Name": "Eta", "Type": "Float", "DefaultValue": 1},
        {"Name": "Flag", "Type": "Boolean", "DefaultValue": False},
        {
            "Name": "ModelApprovalStatus",
            "Type": "String",
            "DefaultValue": "PendingManualApproval",
            "EnumValues": ["Approved", "Rejected", "PendingManualApproval"],
        },
        {"Name": "Required", "Type": "String"},
    ]
}
SPECS = parameter_specs(DEFINITION)


def test_declarations() -> None:
    by_name = {spec.name: spec for spec in SPECS}
    assert by_name["Eta"].default == 1.0
    assert isinstance(by_name["Eta"].default, float)
    assert by_name["Required"].has_default is False
    assert by_name["ModelApprovalStatus"].enum_values == (
        "Approved",
        "Rejected",
        "PendingManualApproval",
    )


def test_defaults_and_overrides() -> None:
    values = resolve_parameters(
        SPECS,
        parse_overrides(
            ["NumRound=20", "Eta=1e-2", "Flag=TRUE", "Required=x=y", "ModelApprovalStatus=Approved"]
        ),
    )
    assert values == {
        "InputData": "s3://b/raw.csv",
        "NumRound": 20,
        "Eta": 0.01,
        "Flag": True,
        "ModelApprovalStatus": "Approved",
        "Required": "x=y",
    }


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("NumRound=2.5", "parameter NumRound is an Integer; '2.5' is not an integer"),
        ("NumRound=", "parameter NumRound is an Integer; '' is not an integer"),
        ("Eta=fast", "parameter Eta is a Float; 'fast' is not a number"),
        ("Eta=nan", "parameter Eta is a Float; 'nan' is not finite"),
        ("Flag=yes", "parameter Flag is a Boolean; 'yes' is neither true nor false"),
        ("ModelApprovalStatus=Maybe", "parameter ModelApprovalStatus: 'Maybe' is not one of"),
        ("NumRounds=3", "unknown parameter 'NumRounds'; did you mean NumRound?"),
        ("Required=" + "x" * 1025, "value has 1025 characters"),
    ],
)
def test_bad_values_name_the_parameter(assignment: str, message: str) -> None:
    with pytest.raises(ParameterError) as error:
        resolve_parameters(
            SPECS,
            parse_overrides(
                [assignment, "Required=r"][: 1 if assignment.startswith("Required") else 2]
            ),
        )
    assert message in str(error.value)


def test_assignment_syntax() -> None:
    with pytest.raises(ParameterError, match="expects Name=Value"):
        parse_overrides(["NumRound"])
    with pytest.raises(ParameterError, match="given more than once"):
        parse_overrides(["Eta=1", "Eta=2"])


def test_missing_required_parameter() -> None:
    with pytest.raises(
        ParameterError, match="parameter Required has no default; pass --param Required=VALUE"
    ):
        resolve_parameters(SPECS, {})


def test_invalid_declarations() -> None:
    with pytest.raises(ParameterError, match="type 'Number'"):
        parameter_specs({"Parameters": [{"Name": "X", "Type": "Number"}]})
    with pytest.raises(ParameterError, match="default 'a' is not a Integer"):
        parameter_specs({"Parameters": [{"Name": "X", "Type": "Integer", "DefaultValue": "a"}]})


def test_convert_integer_signs() -> None:
    spec = ParameterSpec(name="N", type="Integer")
    assert convert(spec, " -3 ") == -3
    assert convert(spec, "+7") == 7
