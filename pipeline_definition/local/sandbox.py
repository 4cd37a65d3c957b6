"""A folder per job that stands in for the container's `/opt/ml`.

Container paths appear in arguments, environment values and configuration files; they are
rewritten to the sandbox so that scripts written for the container run unchanged.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

CONTAINER_ROOT = "/opt/ml"
# `/opt/ml` at the start of a path: not inside another path, followed by `/` or the end
# of the path (`:` separates PYTHONPATH entries, `=` ends a `--flag=` prefix, ...).
_CONTAINER_PATH = re.compile(r"(?<![\w./-])/opt/ml(?=[/:\s\"',;=]|$)")
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")


class SandboxError(ValueError):
    """A container path lies outside `/opt/ml` and has no place in the sandbox."""


class Sandbox:
    """Maps `/opt/ml/...` to `<root>/...`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def reset(self) -> None:
        """Start from an empty sandbox (a retry must not see the failed attempt's files)."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)

    def host_path(self, container_path: str) -> Path:
        """The sandbox path of a container path below `/opt/ml`."""
        pure = PurePosixPath(container_path)
        root = PurePosixPath(CONTAINER_ROOT)
        if not pure.is_absolute() or ".." in pure.parts:
            raise SandboxError(f"{container_path!r} must be an absolute path without '..'")
        if pure != root and root not in pure.parents:
            raise SandboxError(f"{container_path!r} is outside {CONTAINER_ROOT}")
        return self.root.joinpath(*pure.relative_to(root).parts)

    def map_text(self, text: str) -> str:
        """Rewrite every container path in `text` (arguments, environment values)."""
        return _CONTAINER_PATH.sub(lambda _: str(self.root), text)

    def map_environment(self, environment: Mapping[str, str]) -> dict[str, str]:
        """Rewrite container paths in environment values."""
        return {name: self.map_text(str(value)) for name, value in environment.items()}


def is_python(executable: str) -> bool:
    """True for `python`, `python3`, `python3.11`, `/usr/bin/python3`, ..."""
    return bool(_PYTHON.match(PurePosixPath(executable).name))


def map_command(
    command: Sequence[str], sandbox: Sandbox, python: str = sys.executable
) -> list[str]:
    """A container command for this machine: Python is `python` (by default this
    interpreter), paths the sandbox."""
    argv = [sandbox.map_text(part) for part in command]
    if len(argv) >= 2 and PurePosixPath(argv[0]).name == "env" and is_python(argv[1]):
        argv = argv[1:]
    if argv and is_python(argv[0]):
        argv[0] = python
    return argv
