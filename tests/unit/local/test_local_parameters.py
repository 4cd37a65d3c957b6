"""run-local's parameters on the shipped definition: the same rules as the cloud's."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_definition.local.definition import LocalDefinition, load_definition
from pipeline_definition.local.runner import RunError, prepare_parameters
from pipeline_definition.local.store import LocalObjectStore
from testsupport.definitions import shipped_definition_text


@pytest.fixture(scope="module")
def shipped() -> LocalDefinition:
    """The shipped definition with local values for its placeholders."""
    return load_definition(shipped_definition_text())


def test_an_instance_type_with_instance_storage_is_refused(
    shipped: LocalDefinition, tmp_path: Path
) -> None:
    store = LocalObjectStore(tmp_path / "s3")

    with pytest.raises(RunError, match="ProcessingInstanceType must be one of the 38 values"):
        prepare_parameters(
            shipped.parameters, ("ProcessingInstanceType=ml.c5d.xlarge",), store, None
        )


def test_input_version_is_a_content_hash_of_what_input_data_names(
    shipped: LocalDefinition, tmp_path: Path
) -> None:
    """Same object, same bytes: the same version. New bytes at the same URI: a new one."""
    store = LocalObjectStore(tmp_path / "s3")
    uri = "s3://local-data/data/raw/sales.csv"
    store.put_bytes(b"rows v1", uri)
    store.put_bytes(b"a sibling that shares the prefix", uri + ".gz")
    param = (f"InputData={uri}",)

    first = prepare_parameters(shipped.parameters, param, store, None)
    again = prepare_parameters(shipped.parameters, param, store, None)
    expected = store.version(uri)
    store.put_bytes(b"rows v2", uri)
    changed = prepare_parameters(shipped.parameters, param, store, None)

    assert first["InputVersion"] == again["InputVersion"] == expected
    assert len(str(first["InputVersion"])) == 32
    assert changed["InputVersion"] != first["InputVersion"]


def test_a_folder_version_follows_every_object_below_it(
    shipped: LocalDefinition, tmp_path: Path
) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    store.put_bytes(b"a", "s3://local-data/raw/a.csv")
    param = ("InputData=s3://local-data/raw/",)

    before = prepare_parameters(shipped.parameters, param, store, None)["InputVersion"]
    store.put_bytes(b"b", "s3://local-data/raw/b.csv")
    after = prepare_parameters(shipped.parameters, param, store, None)["InputVersion"]

    assert before and after and before != after


def test_a_given_input_version_is_kept(shipped: LocalDefinition, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "s3")

    values = prepare_parameters(shipped.parameters, ("InputVersion=by-hand",), store, None)

    assert values["InputVersion"] == "by-hand"


def test_a_manifest_version_follows_the_bytes_of_what_it_lists(
    shipped: LocalDefinition, tmp_path: Path
) -> None:
    """InputDataType=ManifestFile: the listed objects make the version, not the list."""
    store = LocalObjectStore(tmp_path / "s3")
    store.put_bytes(b"a v1", "s3://local-data/raw/a.csv")
    manifest = "s3://local-data/manifests/m.manifest"
    store.put_bytes(b'[{"prefix": "s3://local-data/raw/"}, "a.csv"]', manifest)
    params = (f"InputData={manifest}", "InputDataType=ManifestFile")

    before = prepare_parameters(shipped.parameters, params, store, None)
    expected = store.manifest_version(manifest)
    store.put_bytes(b"a v2", "s3://local-data/raw/a.csv")
    after = prepare_parameters(shipped.parameters, params, store, None)

    assert before["InputDataType"] == "ManifestFile"
    assert before["InputVersion"] == expected != after["InputVersion"]
    assert expected != store.version(manifest)


def test_a_manifest_that_lists_a_missing_object_stops_the_run(
    shipped: LocalDefinition, tmp_path: Path
) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    manifest = "s3://local-data/manifests/m.manifest"
    store.put_bytes(b'[{"prefix": "s3://local-data/raw/"}, "gone.csv"]', manifest)

    with pytest.raises(RunError, match=r"lists s3://local-data/raw/gone\.csv, which is not"):
        prepare_parameters(
            shipped.parameters,
            (f"InputData={manifest}", "InputDataType=ManifestFile"),
            store,
            None,
        )
