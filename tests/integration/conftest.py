"""Shared by the integration tests: one moto server on loopback, and one run-local run of the
shipped definition, each for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from testsupport.run_local import FAST, Run, run_cli


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def run_local_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's run-local workdir."""
    return tmp_path_factory.mktemp("run-local")


@pytest.fixture(scope="session")
def first_run_local(run_local_workdir: Path) -> Run:
    """Render the app's definition and run it on the embedded data (few boosting rounds)."""
    return run_cli(run_local_workdir, *FAST)
