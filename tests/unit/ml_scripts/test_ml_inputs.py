"""ProcessData reads exactly the object InputData names, whatever else shares its key prefix.

The input folders are laid out as SageMaker's S3Prefix download leaves them (the local store's
`local_name` names them the same way): InputData `s3://b/raw/sales.csv` downloads `sales.csv`,
and with it every other key that starts with `raw/sales.csv`.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ml_scripts.common.errors import DataContractError
from ml_scripts.processing.inputs import select_inputs
from ml_scripts.processing.preprocess import ProcessingConfig, main, run_processing
from testsupport.ml_scripts_testkit import HEADER, ROWS, to_csv

SALES = "s3://b/raw/sales.csv"


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def downloaded(tmp_path: Path) -> Path:
    """What S3Prefix downloads for InputData s3://b/raw/sales.csv: the object and its siblings."""
    folder = tmp_path / "input"
    write(folder / "sales.csv", to_csv(HEADER, ROWS[:30]))
    write(folder / "sales.csv.gz", gzip.compress(to_csv(HEADER, ROWS[30:40])))
    write(folder / "sales.csv_backup" / "x.csv", to_csv(HEADER, ROWS[40:45]))
    return folder


def report(output: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((output / "report" / "processing_report.json").read_text())
    return loaded


def test_an_object_uri_reads_that_object_only(downloaded: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"

    run_processing(ProcessingConfig(input_path=downloaded, output_dir=output, input_uri=SALES))

    written = report(output)
    assert [f["file"] for f in written["files"]] == ["sales.csv"]
    assert written["rows_in"] == 30
    assert written["input_uri"] == SALES
    assert any("sales.csv.gz: it shares InputData's key prefix" in w for w in written["warnings"])


def test_a_folder_uri_reads_every_csv_in_it(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    write(folder / "a.csv", to_csv(HEADER, ROWS[:10]))
    write(folder / "b.csv.gz", gzip.compress(to_csv(HEADER, ROWS[10:20])))
    write(folder / "2026" / "c.csv", to_csv(HEADER, ROWS[20:25]))
    write(folder / "notes.txt", b"not data")

    files, ignored = select_inputs(folder, "s3://b/raw/")

    assert [p.relative_to(folder).as_posix() for p in files] == ["2026/c.csv", "a.csv", "b.csv.gz"]
    assert ignored == ["ignored non-CSV file notes.txt"]


def test_an_absent_object_fails_clearly_even_when_its_prefix_matched_others(
    downloaded: Path,
) -> None:
    (downloaded / "sales.csv").unlink()

    with pytest.raises(DataContractError) as refused:
        select_inputs(downloaded, SALES)

    assert str(refused.value) == (
        f"missing file: InputData {SALES} names an object, but no object has exactly that key "
        "(end the URI with '/' to read every CSV in a folder)"
    )


def test_a_folder_without_the_slash_is_an_object_that_does_not_exist(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    write(folder / "a.csv", to_csv(HEADER, ROWS[:10]))

    with pytest.raises(DataContractError, match="end the URI with '/'"):
        select_inputs(folder, "s3://b/raw")


def test_without_an_input_uri_the_path_is_read_as_given(downloaded: Path) -> None:
    files, _ = select_inputs(downloaded, None)

    assert len(files) == 3
    assert select_inputs(downloaded / "sales.csv", None)[0] == [downloaded / "sales.csv"]


def test_the_step_takes_the_uri_as_the_pipeline_passes_it(downloaded: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    argv = ["--input-dir", str(downloaded), "--input-uri", SALES, "--output-dir", str(output)]

    assert main(argv) == 0
    assert report(output)["rows_in"] == 30


def test_the_version_the_job_environment_carries_is_recorded(
    downloaded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INPUT_VERSION", "3HL4kqtJlcpXroDTDmJ")
    output = tmp_path / "out"
    argv = ["--input-dir", str(downloaded), "--input-uri", SALES, "--output-dir", str(output)]

    assert main(argv) == 0
    assert report(output)["input_version"] == "3HL4kqtJlcpXroDTDmJ"


def test_a_manifest_input_reads_every_listed_object_that_arrived(tmp_path: Path) -> None:
    """ManifestFile: SageMaker downloads exactly the listed objects, so all of them are read."""
    folder = tmp_path / "input"
    write(folder / "2026-01-a.csv", to_csv(HEADER, ROWS[:10]))
    write(folder / "2026-01-b.csv.gz", gzip.compress(to_csv(HEADER, ROWS[10:25])))
    output = tmp_path / "out"
    argv = [
        "--input-dir",
        str(folder),
        "--input-uri",
        "s3://artifacts/manifests/0123abcd.manifest",
        "--input-data-type",
        "ManifestFile",
        "--output-dir",
        str(output),
    ]

    assert main(argv) == 0

    written = report(output)
    assert sorted(f["file"] for f in written["files"]) == ["2026-01-a.csv", "2026-01-b.csv.gz"]
    assert written["rows_in"] == 25
    assert written["input_data_type"] == "ManifestFile"


def test_a_manifest_read_as_a_prefix_says_which_input_type_to_pass(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    write(folder / "batch.manifest", b'[{"prefix": "s3://b/raw/"}, "a.csv"]')

    with pytest.raises(DataContractError, match="start the run with InputDataType=ManifestFile"):
        select_inputs(folder, "s3://b/manifests/batch.manifest")


def test_the_input_data_type_is_one_of_the_two_the_pipeline_declares(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--input-dir", str(tmp_path), "--input-data-type", "AugmentedManifestFile"])
