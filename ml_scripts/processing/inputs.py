"""Which downloaded files the processing step reads: exactly what InputData names.

SageMaker downloads an `S3Prefix` input by key prefix, so for InputData `.../raw/sales.csv` the
input folder also holds `sales.csv.gz`, `sales.csv_backup/x.csv` and any other object whose key
starts with `.../raw/sales.csv`. The job passes InputData itself (`--input-uri`) so the step
can keep to it:

- a URI ending in `/` names a folder: every `.csv` and `.csv.gz` file below it is read;
- any other URI names one object: that file alone is read (in File mode it keeps its file name),
  and a clear error says so when it is not there, whatever else shares the prefix.

With `--input-data-type ManifestFile` (InputDataType), InputData is a manifest and SageMaker
downloads exactly the objects it lists, so every CSV in the input folder is read.

Without `--input-uri` (a run by hand), the input path is read as given: one file, or every CSV
below a folder.
"""

from __future__ import annotations

from pathlib import Path

from ml_scripts import layout
from ml_scripts.common.errors import DataContractError

INPUT_SUFFIXES = (".csv", ".csv.gz")
MANIFEST_SUFFIX = ".manifest"


def discover_inputs(path: Path) -> tuple[list[Path], list[str]]:
    """CSV files to read (a file, or every .csv/.csv.gz under a folder) and ignored-file notes."""
    if path.is_file():
        return [path], []
    if not path.exists():
        raise DataContractError(f"missing file: input path {path} does not exist")
    found: list[Path] = []
    ignored: list[str] = []
    for candidate in _files(path):
        relative = candidate.relative_to(path)
        if candidate.name.lower().endswith(INPUT_SUFFIXES):
            found.append(candidate)
        else:
            ignored.append(f"ignored non-CSV file {relative}")
    if not found:
        raise DataContractError(f"missing file: no .csv or .csv.gz file under {path}")
    return found, ignored


def _files(folder: Path) -> list[Path]:
    """Every file below `folder`, sorted, leaving out hidden files and folders."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(folder).parts)
    )


def object_name(input_uri: str) -> str:
    """The file name an object URI lands under in File mode (the last part of its key)."""
    return input_uri.rsplit("/", 1)[-1]


def select_inputs(
    input_path: Path, input_uri: str | None, input_data_type: str = layout.S3_PREFIX_INPUT
) -> tuple[list[Path], list[str]]:
    """The files InputData names below `input_path`, and notes on the files left out."""
    if input_data_type == layout.MANIFEST_INPUT or not input_uri or input_uri.endswith("/"):
        return discover_inputs(input_path)
    if input_uri.endswith(MANIFEST_SUFFIX):
        raise DataContractError(
            f"InputData {input_uri} names a manifest, but InputDataType is {input_data_type}: "
            f"start the run with InputDataType={layout.MANIFEST_INPUT} to read the objects it lists"
        )
    name = object_name(input_uri)
    if input_path.is_file():
        candidates = [input_path] if input_path.name == name else []
        others: list[Path] = []
    else:
        files = _files(input_path) if input_path.is_dir() else []
        candidates = [path for path in files if path.relative_to(input_path).as_posix() == name]
        others = [path for path in files if path not in candidates]
    if not candidates:
        raise DataContractError(
            f"missing file: InputData {input_uri} names an object, but no object has exactly "
            f"that key (end the URI with '/' to read every CSV in a folder)"
        )
    ignored = [
        f"ignored {path.relative_to(input_path)}: it shares InputData's key prefix but is "
        "another object"
        for path in others
    ]
    return candidates, ignored
