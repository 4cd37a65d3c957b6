"""Find a Python interpreter of a given minor version on this machine; download nothing.

Candidates, in order: `python3.X` on PATH (pyenv shims included), then every
`$PYENV_ROOT/versions/3.X.*/bin/python3.X` (default `~/.pyenv`), newest patch first. A
candidate counts when it runs, reports that minor version and has `venv` and `ensurepip`
(Debian splits those into `python3.X-venv`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROBE_TIMEOUT_SECONDS = 30
_PROBE = "import sys, venv, ensurepip; print(sys.version.split()[0]); print(sys.executable)"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Interpreter:
    """A working interpreter: its real executable and full version."""

    executable: Path
    version: str  # "3.12.1"

    @property
    def minor(self) -> str:
        """ "3.12" of "3.12.1"."""
        return ".".join(self.version.split(".")[:2])


def _patch_order(path: Path) -> tuple[int, ...]:
    match = _VERSION.match(path.name)
    return tuple(int(part) for part in match.groups()) if match else (0,)


def candidates(minor: str, environ: Mapping[str, str]) -> list[Path]:
    """Where a `python<minor>` may be, in the order they are tried."""
    found: list[Path] = []
    on_path = shutil.which(f"python{minor}", path=environ.get("PATH", ""))
    if on_path:
        found.append(Path(on_path))
    pyenv_root = Path(environ.get("PYENV_ROOT") or Path(environ.get("HOME", "~")) / ".pyenv")
    versions = pyenv_root.expanduser() / "versions"
    if versions.is_dir():
        installed = [
            path
            for path in versions.iterdir()
            if path.name.startswith(f"{minor}.") and (path / "bin" / f"python{minor}").exists()
        ]
        for path in sorted(installed, key=_patch_order, reverse=True):
            found.append(path / "bin" / f"python{minor}")
    return found


def probe(executable: Path) -> Interpreter | None:
    """The interpreter behind `executable` (a shim resolves to the real one), or None."""
    try:
        completed = subprocess.run(
            [str(executable), "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = completed.stdout.split()
    if completed.returncode != 0 or len(lines) != 2 or not _VERSION.match(lines[0]):
        return None
    return Interpreter(executable=Path(lines[1]), version=lines[0])


def find_python(minor: str, environ: Mapping[str, str] | None = None) -> Interpreter | None:
    """The first working interpreter of `minor` ("3.12"), or None."""
    for path in candidates(minor, os.environ if environ is None else environ):
        interpreter = probe(path)
        if interpreter is not None and interpreter.minor == minor:
            return interpreter
    return None


def missing_message(missing: Mapping[str, list[str]]) -> str:
    """One message for every missing minor version: what needs it and how to get it."""
    needs = " and ".join(
        f"Python {minor} (for {', '.join(users)})" for minor, users in sorted(missing.items())
    )
    versions = sorted(missing)
    packages = " ".join(f"python{minor} python{minor}-venv" for minor in versions)
    return (
        f"parity mode needs {needs}, not found on this machine (looked for python<version> on "
        "PATH and under $PYENV_ROOT/versions, default ~/.pyenv, with the venv module). Install "
        f"with `pyenv install {' '.join(versions)}` (or your system's packages, e.g. "
        f"`apt-get install {packages}`), then run again; parity mode downloads nothing but "
        "packages"
    )
