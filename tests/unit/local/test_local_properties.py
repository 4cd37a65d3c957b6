"""Property paths: members, indexes, map keys and the SDK's ['name'] selector on lists."""

from __future__ import annotations

import pytest

from pipeline_definition.local.properties import (
    PathToken,
    PropertyLookupError,
    json_path,
    lookup,
    parse_path,
)

DESCRIBE = {
    "ProcessingOutputConfig": {
        "Outputs": [
            {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}},
            {"OutputName": "evaluation", "S3Output": {"S3Uri": "s3://b/eval"}},
        ]
    },
    "InputDataConfig": [
        {"ChannelName": "code", "DataSource": {"S3DataSource": {"S3Uri": "s3://c"}}}
    ],
    "FinalMetricDataList": [{"MetricName": "validation:rmse", "Value": 0.2}],
    "Environment": {"PYTHONPATH": "/opt/ml/code"},
}


def test_parse_path_tokens() -> None:
    assert parse_path("A.B[0]['x y'][\"z\"]") == [
        PathToken("member", "A"),
        PathToken("member", "B"),
        PathToken("index", 0),
        PathToken("key", "x y"),
        PathToken("key", "z"),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri", "s3://b/eval"),
        ("ProcessingOutputConfig.Outputs[0].OutputName", "train"),
        ("InputDataConfig['code'].DataSource.S3DataSource.S3Uri", "s3://c"),
        ("FinalMetricDataList['validation:rmse'].Value", 0.2),
        ("Environment['PYTHONPATH']", "/opt/ml/code"),
        ("Environment.PYTHONPATH", "/opt/ml/code"),
    ],
)
def test_lookup(path: str, expected: object) -> None:
    assert lookup(DESCRIBE, path) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "ProcessingOutputConfig.Outputs['test']",
            "no element named 'test' (names: evaluation, train)",
        ),
        ("ProcessingOutputConfig.Outputs[2]", "has 2 elements, no index 2"),
        ("ProcessingOutputConfig.Missing", "no member 'Missing' (members: Outputs)"),
        ("Environment['HOME']", "no key 'HOME'"),
        ("Environment.PYTHONPATH.x", "is not an object"),
        ("ProcessingOutputConfig[0]", "is not a list"),
        ("A..B", "cannot parse path"),
    ],
)
def test_lookup_errors_name_what_is_missing(path: str, message: str) -> None:
    with pytest.raises(PropertyLookupError) as error:
        lookup(DESCRIBE, path)
    assert message in str(error.value)


def test_json_path_has_no_name_selector() -> None:
    document = {"items": [{"Name": "a", "v": 1}]}
    assert json_path(document, "$.items[0].v") == 1
    with pytest.raises(PropertyLookupError, match="is not an object"):
        json_path(document, "items['a']")
