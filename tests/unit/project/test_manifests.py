"""Manifest inputs: the format SageMaker reads, written by the trigger and read by run-local."""

from __future__ import annotations

import json

import pytest

from ml_scripts import layout
from project.manifests import (
    INPUT_DATA_TYPES,
    MANIFEST_FILE,
    S3_PREFIX,
    ManifestError,
    folder_of,
    manifest_for,
    parse_manifest,
)


def test_a_manifest_names_one_folders_objects_below_its_prefix() -> None:
    manifest = manifest_for("data", ["data/raw/2026/01/a.csv", "data/raw/2026/01/b.csv.gz"])

    assert json.loads(manifest.body()) == [
        {"prefix": "s3://data/data/raw/2026/01/"},
        "a.csv",
        "b.csv.gz",
    ]
    assert manifest.uris == [
        "s3://data/data/raw/2026/01/a.csv",
        "s3://data/data/raw/2026/01/b.csv.gz",
    ]
    assert parse_manifest(manifest.body()) == manifest


def test_objects_at_the_bucket_root_have_an_empty_folder() -> None:
    assert folder_of("top.csv") == ""
    assert manifest_for("b", ["top.csv"]).prefix == "s3://b/"
    assert folder_of("a/b/c.csv") == "a/b/"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([], "at least one object"),
        (["raw/a/x.csv", "raw/b/y.csv"], "share a folder; got 2"),
        (["raw/a.csv", "raw/a.csv"], "1 key\\(s\\) listed twice"),
    ],
)
def test_a_manifest_that_sagemaker_would_refuse_is_not_written(
    keys: list[str], message: str
) -> None:
    with pytest.raises(ManifestError, match=message):
        manifest_for("b", keys)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ('{"prefix": "s3://b/"}', "must be a JSON array"),
        ("[]", "must be a JSON array"),
        ('["a.csv"]', "first entry must be"),
        ('[{"prefix": "https://b/"}, "a.csv"]', "must be an s3://bucket"),
        ('[{"prefix": "s3://b/raw/"}]', "at least one object"),
        ('[{"prefix": "s3://b/raw/"}, 3]', "must name an object"),
        ('[{"prefix": "s3://b/raw/"}, "sub/"]', "must name an object"),
        ("[" * 100_000, "not JSON"),
    ],
)
def test_a_malformed_manifest_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_manifest(text)


def test_the_scripts_and_the_starters_spell_the_input_types_alike() -> None:
    """ml_scripts and project import neither: the two lists of API values must agree."""
    assert (S3_PREFIX, MANIFEST_FILE) == (layout.S3_PREFIX_INPUT, layout.MANIFEST_INPUT)
    assert INPUT_DATA_TYPES == layout.INPUT_DATA_TYPES
