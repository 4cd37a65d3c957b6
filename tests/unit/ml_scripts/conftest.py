"""Fixtures for the ml_scripts tests: small raw inputs built from the embedded data set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from testsupport.ml_scripts_testkit import DATA_FILE, HEADER, ROWS


@pytest.fixture
def header() -> list[str]:
    """The raw header of house_data.csv."""
    return list(HEADER)


@pytest.fixture
def rows() -> list[list[str]]:
    """The first 40 raw rows of house_data.csv (fresh copies)."""
    return [list(r) for r in ROWS[:40]]


@pytest.fixture
def write_input(tmp_path: Path) -> Callable[..., Path]:
    """Write raw bytes as an input file under tmp_path/input and return its path."""

    def write(content: bytes, name: str = "input.csv") -> Path:
        path = tmp_path / "input" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    return write


@pytest.fixture(scope="session")
def processed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The processing outputs for the embedded data set (run once per session)."""
    from ml_scripts.processing.preprocess import ProcessingConfig, run_processing

    output = tmp_path_factory.mktemp("processed")
    run_processing(ProcessingConfig(input_path=DATA_FILE, output_dir=output))
    return output


@pytest.fixture(scope="session")
def model_dir(processed_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model trained on the processed embedded data (few rounds: fast, still real)."""
    from ml_scripts.training.hyperparameters import Hyperparameters
    from ml_scripts.training.train import TrainingPaths, run_training

    paths = TrainingPaths.from_processing_output(processed_dir, tmp_path_factory.mktemp("training"))
    run_training(paths, Hyperparameters(num_round=150, eta=0.1), verbose_eval=False)
    return paths.model_dir
