"""`run-local` seeds only what the stack deploys: the staged code and the sample at its key.

The stack ships `data/house_data.csv` to `data/sample/house_data.csv` in the data bucket and
nothing else; InputData defaults there. A definition whose default names another object finds
nothing, so its run fails at the processing step as it would in AWS.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pipeline_definition.cli import main
from pipeline_definition.local.definition import DATA_BUCKET, load_definition
from pipeline_definition.local.runner import (
    SAMPLE_DATA_URI,
    RunOptions,
    prepare,
    prepare_parameters,
    seed_sample_data,
)
from pipeline_definition.local.store import LocalObjectStore, list_files
from project.paths import SAMPLE_DATA
from project.settings import load_settings
from testsupport.definitions import shipped_definition_text

from .local_fakes import body, definition, write_code


@pytest.fixture
def definition_file(tmp_path: Path) -> Path:
    """The fake definition (InputData defaults to s3://${DataBucket}/raw/data.csv) and code."""
    write_code(tmp_path / "render" / "code")
    path = tmp_path / "render" / "definition.json"
    path.write_text(body(definition()))
    return path


def _data_bucket_keys(store: LocalObjectStore) -> set[str]:
    bucket = store.root / DATA_BUCKET
    return {path.relative_to(bucket).as_posix() for path in list_files(bucket)}


def test_the_sample_lands_where_the_stack_deploys_it(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    seed_sample_data(store)
    sample_key = load_settings({}, {}).sample_data_key
    assert f"s3://{DATA_BUCKET}/{sample_key}" == SAMPLE_DATA_URI
    assert store.path(SAMPLE_DATA_URI).read_bytes() == SAMPLE_DATA.read_bytes()
    assert _data_bucket_keys(store) == {sample_key}


def test_the_shipped_definitions_default_input_is_the_seeded_sample(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    shipped = load_definition(shipped_definition_text())
    seed_sample_data(store)

    values = prepare_parameters(shipped.parameters, (), store, None)

    assert values["InputData"] == SAMPLE_DATA_URI
    assert store.exists(SAMPLE_DATA_URI)


def test_input_data_file_goes_beside_the_sample_without_replacing_it(
    definition_file: Path, tmp_path: Path
) -> None:
    data = tmp_path / "mine.csv"
    data.write_text("a,1\n")
    options = RunOptions(
        workdir=tmp_path / "work",
        definition=definition_file,
        input_data=data,
        pipeline_name="fake-pipeline",
    )

    prepared = prepare(options, io.StringIO())

    store = LocalObjectStore(prepared.workspace.store)
    assert prepared.parameters["InputData"] == f"s3://{DATA_BUCKET}/local-input/InputData/mine.csv"
    # Only what the stack deploys, plus the file the user gave; the default's key stays empty.
    assert _data_bucket_keys(store) == {
        load_settings({}, {}).sample_data_key,
        "local-input/InputData/mine.csv",
    }
    assert store.path(SAMPLE_DATA_URI).read_bytes() == SAMPLE_DATA.read_bytes()


def test_a_default_the_stack_does_not_deploy_fails_at_processing_as_in_aws(
    definition_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "work"
    code = main(
        [
            "run-local",
            "--definition",
            str(definition_file),
            "--workdir",
            str(workdir),
            "--pipeline-name",
            "fake-pipeline",
            "--plain",
        ]
    )

    err = capsys.readouterr().err
    assert code == 1
    missing = f"s3://{DATA_BUCKET}/raw/data.csv"
    assert f"note: InputData defaults to {missing}, where nothing is" in err
    assert SAMPLE_DATA_URI in err
    (record,) = workdir.glob("executions/*/execution.json")
    steps = {step["Name"]: step for step in json.loads(record.read_text())["Steps"]}
    assert steps["Split"]["Status"] == "failed"
    assert f"no objects found at {missing}" in steps["Split"]["FailureReason"]


def test_input_data_that_is_not_a_file_is_refused(
    definition_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run-local",
            "--definition",
            str(definition_file),
            "--workdir",
            str(tmp_path / "work"),
            "--pipeline-name",
            "fake-pipeline",
            "--input-data",
            str(tmp_path / "absent.csv"),
        ]
    )

    assert code == 2
    assert f"--input-data {tmp_path / 'absent.csv'}: no such file" in capsys.readouterr().err
