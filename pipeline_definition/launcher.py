"""Where the command line starts: `python -m pipeline_definition`, `.venv/bin/pipeline-definition`.

Standard library only, and imported before anything else of ours: a Python that lacks the
project's dependencies (the system's `python3` outside `.venv`, a half-made environment) or is
not a supported version gets one line saying what to run instead of a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

# The console script `make install` puts in .venv/bin ([project.scripts] in pyproject.toml).
SCRIPT = "pipeline-definition"
MODULE_PROG = "python -m pipeline_definition"
OWN_PACKAGES = frozenset({"pipeline_definition", "project", "ml_scripts", "stacks"})
OLDEST, NEWEST = (3, 11), (3, 13)
EXIT_SETUP = 2
VENV_BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin"


def run_instead(venv_bin: Path = VENV_BIN) -> str:
    """What to run instead, by what the checkout's .venv holds."""
    if (venv_bin / SCRIPT).exists():
        return f"use .venv/bin/{SCRIPT} ... (or .venv/bin/python -m pipeline_definition ...)"
    if (venv_bin / "python").exists():
        return (
            "use .venv/bin/python -m pipeline_definition ... "
            f"(`make install` adds .venv/bin/{SCRIPT})"
        )
    return f"run `make install` first, then use .venv/bin/{SCRIPT} ..."


def unsupported_python_hint(version: tuple[int, int]) -> str | None:
    """One line when `version` is outside the supported range, else None."""
    if OLDEST <= version <= NEWEST:
        return None
    supported = f"{OLDEST[0]}.{OLDEST[1]} to {NEWEST[0]}.{NEWEST[1]}"
    return (
        f"this is Python {version[0]}.{version[1]} ({sys.executable}); the project needs "
        f"{supported}: {run_instead()}"
    )


def missing_dependency_hint(error: ModuleNotFoundError) -> str | None:
    """One line for a dependency this Python lacks; None when the missing module is ours."""
    missing = error.name or ""
    if missing.partition(".")[0] in OWN_PACKAGES:
        return None
    return (
        f"no module named {missing!r} in {sys.executable}: the project's dependencies are "
        f"installed in .venv, not here; {run_instead()}"
    )


def _fail(message: str, argv: Sequence[str]) -> int:
    print(f"error: {message}", file=sys.stderr)
    if "--json" in argv:
        # --json promises one object on stdout, failures included.
        print(json.dumps({"error": message, "exit_code": EXIT_SETUP}))
    return EXIT_SETUP


def prog_name(executable: str) -> str:
    """How the user called us, for usage lines: the console script or `python -m`."""
    return SCRIPT if Path(executable).name == SCRIPT else MODULE_PROG


def launch(argv: Sequence[str] | None = None) -> int:
    """Check the interpreter, then run the CLI; a missing dependency is one line, exit 2."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    hint = unsupported_python_hint((sys.version_info.major, sys.version_info.minor))
    if hint:
        return _fail(hint, arguments)
    try:
        from pipeline_definition.cli import main  # noqa: PLC0415 - after the checks above

        return main(arguments, prog=prog_name(sys.argv[0]))
    except ModuleNotFoundError as error:
        hint = missing_dependency_hint(error)
        if hint is None:
            raise
        return _fail(hint, arguments)
