"""The console script `make install` puts in .venv/bin, installed the same way into a throwaway
environment and run from another folder, without activating anything."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from project.paths import PROJECT_ROOT

pytestmark = pytest.mark.integration

MAKEFILE = (PROJECT_ROOT / "Makefile").read_text()


def _project_install() -> list[str]:
    """The Makefile's PROJECT_INSTALL command, as arguments after the interpreter."""
    line = MAKEFILE.split("PROJECT_INSTALL = python ")[1].split("\n\n")[0]
    return line.replace("\\\n", " ").split("\n")[0].split()


def test_the_console_script_runs_from_anywhere(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    # The environment borrows this one's packages (pip, setuptools, the dependencies) read-only.
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    environ = {**os.environ, "PYTHONWARNINGS": "ignore:Editable installation"}

    subprocess.run(
        [str(venv / "bin" / "python"), *_project_install()],
        cwd=PROJECT_ROOT,
        env=environ,
        check=True,
        timeout=120,
    )
    result = subprocess.run(
        [str(venv / "bin" / "pipeline-definition"), "--version"],
        cwd=tmp_path,
        env={k: v for k, v in environ.items() if k != "VIRTUAL_ENV"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("house-price-mlops ")
    assert "sagemaker " in result.stdout
