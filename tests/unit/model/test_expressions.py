"""What counts as an expression, the condition operators, and the images a definition runs."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline_definition.model.expressions import (
    COMPARISON_OPERATORS,
    CONDITION_TYPES,
    image_uris_in,
    is_expression,
    looks_like_expression,
    repository_arns,
)
from testsupport.definitions import shipped_definition

XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"


@pytest.mark.parametrize(
    "value",
    [
        {"Get": "Parameters.X"},
        {"Std:Join": {"On": "/", "Values": ["a"]}},
        {"Std:JsonGet": {"Path": "a.b"}},
    ],
)
def test_the_three_expression_forms_are_expressions(value: dict[str, Any]) -> None:
    assert is_expression(value)
    assert looks_like_expression(value)


def test_an_unknown_std_function_only_looks_like_an_expression() -> None:
    value = {"Std:Split": {"On": ","}}
    assert not is_expression(value)
    assert looks_like_expression(value)


@pytest.mark.parametrize(
    "value",
    [
        {"Get": "Parameters.X", "Other": 1},
        {"Name": "Get"},
        {1: "Get"},
        {},
        "Get",
        ["Get"],
        None,
    ],
)
def test_other_values_are_not_expressions(value: Any) -> None:
    assert not is_expression(value)
    assert not looks_like_expression(value)


def test_comparisons_come_first_among_the_condition_types() -> None:
    assert COMPARISON_OPERATORS["GreaterThanOrEqualTo"] == ">="
    assert CONDITION_TYPES == (
        "Equals",
        "GreaterThan",
        "GreaterThanOrEqualTo",
        "LessThan",
        "LessThanOrEqualTo",
        "In",
        "Not",
        "Or",
    )


def test_image_uris_of_the_shipped_definition_are_sorted_and_unique() -> None:
    assert image_uris_in(shipped_definition()) == [SKLEARN, XGBOOST]


def test_image_uris_are_found_at_any_depth_and_only_as_strings() -> None:
    definition = {
        "Steps": [
            {"Arguments": {"Containers": [{"Image": "b"}, {"Image": {"Get": "Parameters.I"}}]}},
            {"Arguments": {"AlgorithmSpecification": {"TrainingImage": "a"}}},
        ]
    }
    assert image_uris_in(definition) == ["a", "b"]


def test_repository_arns_name_each_repository_once() -> None:
    images = [XGBOOST, XGBOOST.replace(":3.2-0", ":1.7-1"), SKLEARN]
    assert repository_arns(images, partition="aws") == [
        "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-scikit-learn",
        "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-xgboost",
    ]


def test_repository_arns_read_china_registries() -> None:
    image = "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/model:7"
    assert repository_arns([image], partition="aws-cn") == [
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/model"
    ]


def test_an_image_outside_ecr_has_no_repository_arn() -> None:
    with pytest.raises(ValueError, match="is not an ECR image URI"):
        repository_arns(["docker.io/library/python:3"], partition="aws")
