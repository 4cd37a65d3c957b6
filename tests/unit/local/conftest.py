"""Fixtures for the local executor's tests: a workspace with fake code and input data."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_definition.local.store import LocalObjectStore
from pipeline_definition.local.workspace import Workspace

from .local_fakes import LocalRun, write_code

ROWS = "a,1\nb,2\nc,3\n"


@pytest.fixture
def local_run(tmp_path: Path) -> LocalRun:
    """A fresh workspace with the fake code staged and a three-row input file."""
    workspace = Workspace(tmp_path / "work")
    code_dir = write_code(tmp_path / "staging")
    data_file = tmp_path / "data.csv"
    data_file.write_text(ROWS)
    return LocalRun(
        workspace=workspace,
        code_dir=code_dir,
        data_file=data_file,
        store=LocalObjectStore(workspace.store),
    )
