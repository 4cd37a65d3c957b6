"""The supported Python versions, as tools/pythons.sh (which the Makefile runs) declares them."""

from __future__ import annotations

import subprocess

from project.paths import PROJECT_ROOT

PYTHONS_SCRIPT = PROJECT_ROOT / "tools" / "pythons.sh"


def supported_pythons() -> list[str]:
    """The supported versions ("3.11", ...), oldest first."""
    result = subprocess.run(
        ["bash", str(PYTHONS_SCRIPT), "supported"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return sorted(result.stdout.split(), key=lambda v: tuple(int(p) for p in v.split(".")))
