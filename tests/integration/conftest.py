"""One run-local run of the shipped definition per session, shared by the modules that read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from testsupport.run_local import FAST, Run, run_cli


@pytest.fixture(scope="session")
def run_local_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's run-local workdir."""
    return tmp_path_factory.mktemp("run-local")


@pytest.fixture(scope="session")
def first_run_local(run_local_workdir: Path) -> Run:
    """Render the app's definition and run it on the embedded data (few boosting rounds)."""
    return run_cli(run_local_workdir, *FAST)
