"""The run-parameter rules every caller shares: declarations, parsing, coercion, messages."""

from __future__ import annotations

from typing import Any

import pytest

from project.run_parameters import (
    ParameterError,
    ParameterSpec,
    check_values,
    coerce,
    decode_specs,
    definition_parameters,
    encode_specs,
    object_version,
    parse_assignments,
    parse_declarations,
    resolve,
)
from testsupport.definitions import shipped_definition

SHIPPED = definition_parameters(shipped_definition())
DECLARED: list[dict[str, Any]] = [
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
SPECS = parse_declarations(DECLARED)


def test_declarations_are_read_with_typed_defaults_and_allowed_values() -> None:
    assert SPECS["Eta"].default == 1.0
    assert isinstance(SPECS["Eta"].default, float)
    assert SPECS["Required"].has_default is False
    assert SPECS["ModelApprovalStatus"].enum_values == (
        "Approved",
        "Rejected",
        "PendingManualApproval",
    )
    assert list(SPECS) == [item["Name"] for item in DECLARED]


def test_the_shipped_definition_declares_what_the_rules_expect() -> None:
    assert SHIPPED["MaxDepth"] == ParameterSpec("MaxDepth", "Integer", 4)
    assert SHIPPED["Eta"].describe() == "Eta (Float, default 0.03)"
    assert SHIPPED["InputData"].type == "String"


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ([{"Name": "X", "Type": "Number"}], "type 'Number' is not one of"),
        ([{"Name": "X", "Type": "Integer", "DefaultValue": "a"}], "default 'a' is not an Integer"),
        ([{"Type": "String"}], "a parameter declaration needs a Name"),
        ([{"Name": "X"}, {"Name": "X"}], "parameter X is declared twice"),
        ([{"Name": "X", "EnumValues": "a"}], "EnumValues must be a list"),
        ({"Name": "X"}, "Parameters must be a list"),
    ],
)
def test_invalid_declarations_are_refused(declared: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_declarations(declared)


def test_assignments_split_on_the_first_equals_sign() -> None:
    assert parse_assignments(["InputData=s3://b/k=v.csv", " MaxDepth =6", "Empty="]) == {
        "InputData": "s3://b/k=v.csv",
        "MaxDepth": "6",
        "Empty": "",
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["MaxDepth"], "expected Name=Value, got 'MaxDepth'"),
        (["=6"], "expected Name=Value, got '=6'"),
        (["MaxDepth=5", "MaxDepth=6"], "parameter MaxDepth is given more than once"),
    ],
)
def test_malformed_assignments_are_refused(items: list[str], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_assignments(items)


def test_values_become_the_api_strings() -> None:
    rendered = check_values(
        {"MaxDepth": "6", "Eta": "1e-1", "TrainingInstanceType": "ml.m5.xlarge", "NumRound": 7},
        SHIPPED,
    )

    assert rendered == {
        "MaxDepth": "6",
        "Eta": "0.1",
        "TrainingInstanceType": "ml.m5.xlarge",
        "NumRound": "7",
    }


def test_resolve_gives_typed_values_with_defaults() -> None:
    values = resolve(
        SPECS,
        parse_assignments(
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
    ("values", "message"),
    [
        ({"NumRound": "2.5"}, "NumRound is an Integer parameter; '2.5' is not an integer"),
        ({"NumRound": ""}, "NumRound is an Integer parameter; '' is not an integer"),
        ({"NumRound": True}, "NumRound is an Integer parameter; True is not an integer"),
        ({"Eta": "fast"}, "Eta is a Float parameter; 'fast' is not a finite number"),
        ({"Eta": "nan"}, "Eta is a Float parameter; 'nan' is not a finite number"),
        ({"Flag": "yes"}, "Flag is a Boolean parameter; 'yes' is not true or false"),
        ({"InputData": 5}, "InputData is a String parameter; 5 is not a string"),
        (
            {"ModelApprovalStatus": "Maybe"},
            "ModelApprovalStatus must be one of Approved, Rejected, PendingManualApproval; "
            "got 'Maybe'",
        ),
        ({"NumRounds": "3"}, "unknown parameter NumRounds (did you mean NumRound?)"),
        ({"Required": "x" * 1025}, "Required: 1,025 characters; SageMaker allows at most 1,024"),
    ],
)
def test_bad_values_name_the_parameter_and_the_rule(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ParameterError) as error:
        check_values(values, SPECS)

    assert message in str(error.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ParameterError) as error:
        check_values({"NumRound": "x", "Eta": "y", "Colour": "red"}, SPECS)

    message = str(error.value)
    assert "NumRound is an Integer parameter" in message
    assert "Eta is a Float parameter" in message
    assert "unknown parameter Colour" in message


def test_unknown_names_list_every_valid_parameter_with_its_type() -> None:
    with pytest.raises(ParameterError) as raised:
        check_values({"MaxDeph": "6", "Colour": "red"}, SHIPPED)

    message = str(raised.value)
    assert message.startswith("unknown parameters Colour, MaxDeph (did you mean MaxDepth?)\n")
    assert "  MaxDepth (Integer, default 4)" in message
    assert "  InputData (String, default s3://${DataBucket}/data/sample/house_data.csv)" in message
    assert message.count("\n  ") == len(SHIPPED)


def test_long_bad_values_are_cut_in_messages() -> None:
    with pytest.raises(ParameterError) as raised:
        check_values({"NumRound": "9" * 600_000 + "x"}, SPECS)

    assert len(str(raised.value)) < 200
    assert "600,003 chars" in str(raised.value)


def test_a_required_parameter_without_a_value_is_named() -> None:
    with pytest.raises(ParameterError, match="parameter Required has no default; give Required="):
        resolve(SPECS, {})


def test_integer_signs_and_spaces() -> None:
    spec = ParameterSpec(name="N", type="Integer")
    assert coerce(spec, " -3 ") == -3
    assert coerce(spec, "+7") == 7


def test_encoded_specs_round_trip_without_defaults() -> None:
    decoded = decode_specs(encode_specs(SHIPPED.values()))

    assert list(decoded) == list(SHIPPED)
    assert (
        decoded["TrainingInstanceType"].enum_values == SHIPPED["TrainingInstanceType"].enum_values
    )
    assert all(spec.default is None for spec in decoded.values())


@pytest.mark.parametrize(
    ("raw", "message"),
    [("{", "not JSON"), ("{}", "non-empty JSON list"), ("[]", "non-empty JSON list")],
)
def test_bad_encoded_specs_are_refused(raw: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        decode_specs(raw)


@pytest.mark.parametrize(
    ("type_", "value", "rendered"),
    [
        ("Integer", 5, "5"),
        ("Integer", " 007 ", "7"),
        ("Integer", "-3", "-3"),
        ("Float", 1, "1.0"),
        ("Float", "0.05", "0.05"),
        ("Float", "1e-3", "0.001"),
        ("Boolean", True, "true"),
        ("Boolean", "False", "false"),
        ("String", "s3://b/k.csv", "s3://b/k.csv"),
    ],
)
def test_values_are_rendered_as_the_api_expects(type_: str, value: object, rendered: str) -> None:
    assert check_values({"P": value}, {"P": ParameterSpec("P", type_)}) == {"P": rendered}


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("Integer", True),
        ("Integer", 2.5),
        ("Integer", "2.0"),
        ("Float", "nan"),
        ("Float", "inf"),
        ("Float", False),
        ("Boolean", "yes"),
        ("Boolean", 1),
        ("String", 3),
        ("String", "x" * 1025),
    ],
)
def test_values_of_the_wrong_type_are_refused(type_: str, value: object) -> None:
    with pytest.raises(ParameterError, match=r"^P"):
        coerce(ParameterSpec("P", type_), value)


@pytest.mark.parametrize(
    ("version_id", "etag", "expected"),
    [
        ("3HL4kqtJlcpXroDTDmJ", '"d41d8cd98f00b204"', "3HL4kqtJlcpXroDTDmJ"),
        (None, '"d41d8cd98f00b204"', "d41d8cd98f00b204"),
        ("null", "d41d8cd98f00b204-2", "d41d8cd98f00b204-2"),
        (None, '""', None),
        (None, None, None),
    ],
)
def test_an_objects_input_version_is_its_version_id_else_its_etag(
    version_id: str | None, etag: str | None, expected: str | None
) -> None:
    assert object_version(version_id, etag) == expected
