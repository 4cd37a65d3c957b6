"""The hash-checked locks: complete, in step with requirements*.txt, and what make installs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from project.paths import PROJECT_ROOT

MAKEFILE = (PROJECT_ROOT / "Makefile").read_text()
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(?P<version>[^\s;\\]+)")
# lock file -> the pinned inputs it must agree with
LOCKS = {
    "requirements-lock.txt": ("requirements.txt", "requirements-dev.txt", "constraints.txt"),
    "requirements-security-lock.txt": ("requirements-security.txt",),
    "requirements-pip-lock.txt": (),
}


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line (markers and hashes ignored)."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[_name(match["name"])] = match["version"]
    return found


def entries(path: Path) -> dict[str, list[str]]:
    """Each pinned requirement of a lock with the hashes that follow it."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = _name(match["name"])
            blocks[current] = []
        elif current and "--hash=sha256:" in line:
            blocks[current].append(line.split("--hash=sha256:")[1].split()[0])
    return blocks


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_locked_requirement_carries_sha256_hashes(lock: str) -> None:
    locked = entries(PROJECT_ROOT / lock)

    assert locked
    for name, hashes in locked.items():
        assert hashes, f"{lock}: {name} has no hash"
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_agrees_with_every_pin_it_was_made_from(lock: str) -> None:
    locked = pins(PROJECT_ROOT / lock)
    for source in LOCKS[lock]:
        for name, version in pins(PROJECT_ROOT / source).items():
            assert locked.get(name) == version, (
                f"{source} pins {name}=={version}, {lock} has {locked.get(name)}: run make lock"
            )


def test_the_pip_lock_holds_the_makefiles_pip() -> None:
    version = re.search(r"^PIP_VERSION := (\S+)$", MAKEFILE, re.M)
    assert version
    assert pins(PROJECT_ROOT / "requirements-pip-lock.txt") == {"pip": version[1]}


def test_the_locks_say_how_to_make_them_again() -> None:
    for lock in LOCKS:
        assert "#    make lock" in (PROJECT_ROOT / lock).read_text().splitlines()[1]


def test_make_installs_both_environments_from_the_locks_with_hashes_required() -> None:
    assert "PIP_INSTALL = python -m pip install --quiet --disable-pip-version-check " in MAKEFILE
    assert "--require-hashes" in MAKEFILE.split("PIP_INSTALL = ")[1].splitlines()[0]
    for target in ("$(BIN)", "$(SECURITY_VENV)/bin"):
        assert f"{target}/$(PIP_INSTALL) -r $(PIP_LOCK)" in MAKEFILE
    assert "$(BIN)/$(PIP_INSTALL) -r $(LOCK)" in MAKEFILE
    assert "$(SECURITY_VENV)/bin/$(PIP_INSTALL) -r $(SECURITY_LOCK)" in MAKEFILE
    # Nothing is installed without hashes but the project itself, which downloads nothing.
    installs = [line for line in MAKEFILE.splitlines() if "pip install" in line]
    assert installs == [
        "PIP_INSTALL = python -m pip install --quiet --disable-pip-version-check --require-hashes",
        "PROJECT_INSTALL = python -m pip install --quiet --disable-pip-version-check --no-deps "
        "--no-index \\",
    ]


def test_the_lock_is_made_by_uv_pinned_in_the_dev_requirements() -> None:
    assert pins(PROJECT_ROOT / "requirements-dev.txt")["uv"]
    assert "$(BIN)/uv pip compile --universal --generate-hashes" in MAKEFILE
