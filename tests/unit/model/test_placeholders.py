"""Deploy-time placeholders in the definition."""

from __future__ import annotations

import pytest

from pipeline_definition.model import placeholders


def test_role_arn_keeps_the_shape_the_sdk_checks() -> None:
    assert placeholders.ROLE_ARN.startswith("arn:")
    assert ":iam::" in placeholders.ROLE_ARN
    assert placeholders.placeholders_in(placeholders.ROLE_ARN) == {
        "AWS::Partition",
        "AWS::AccountId",
        "SageMakerRoleName",
    }


def test_unknown_placeholders_are_the_ones_nothing_resolves() -> None:
    text = "s3://${ArtifactBucket}/x ${Typo} ${AWS::Region}"
    assert placeholders.unknown_placeholders(text) == {"Typo", "AWS::Region"}


def test_substitute_replaces_every_placeholder() -> None:
    assert (
        placeholders.substitute("s3://${DataBucket}/${DataBucket}", {"DataBucket": "local"})
        == "s3://local/local"
    )


def test_substitute_names_missing_values() -> None:
    with pytest.raises(KeyError, match="KmsKeyArn"):
        placeholders.substitute("${KmsKeyArn}", {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s3://${ArtifactBucket}/code", True),
        ("arn:${AWS::Partition}:iam", True),
        ("${}", False),
        ("${} and ${Role}", True),
        ("$ArtifactBucket", False),
        ("s3://bucket/code", False),
        (None, False),
        (["${ArtifactBucket}"], False),
    ],
)
def test_is_placeholder_needs_a_named_placeholder_in_a_string(
    value: object, expected: bool
) -> None:
    assert placeholders.is_placeholder(value) is expected
