"""Which Python `make` uses (tools/pythons.sh), when it rebuilds a virtual environment, and
`make test-pythons`; the supported versions agree everywhere they are written down.

The interpreters here are small shell scripts that answer the three things tools/pythons.sh asks
a Python (its version, `-m venv DIR`, `-m pytest`), on a PATH that holds nothing else, so each
test decides exactly which Pythons the machine has."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from project.paths import PROJECT_ROOT
from testsupport.pythons import PYTHONS_SCRIPT, supported_pythons

# What tools/pythons.sh, the Makefile and the fakes call, linked into the test's system folder.
SYSTEM_COMMANDS = (
    "bash", "env", "find", "grep", "sort", "mktemp", "tee", "tail", "tr", "sed", "awk", "rm",
    "mkdir", "ln", "touch", "chmod", "basename", "make",
)  # fmt: skip
FAKE_PYTHON = """#!/bin/bash
case "$1" in
  -c) echo "{minor} {release} $0" ;;
  -m) case "$2" in
        venv) mkdir -p "$3/bin" && ln -s "{path}" "$3/bin/python" \\
              && printf '#!/bin/bash\\n' > "$3/bin/npm" && chmod +x "$3/bin/npm" \\
              && echo "version = {release}" > "$3/pyvenv.cfg" ;;
        pytest) echo "${{@:3}}" > "$PWD/pytest-{minor}.args"
                echo "7 passed in 0.01s"; exit {pytest_status} ;;
      esac ;;
esac
"""
SHIM = """#!/bin/bash
echo "pyenv: $(basename "$0"): command not found" >&2
exit 127
"""


class Machine:
    """A folder standing for a machine: its PATH, its pyenv and a checkout of the project."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.system = root / "system"
        self.pyenv = root / "pyenv"
        self.checkout = root / "checkout"
        for folder in (self.bin, self.system, self.pyenv, self.checkout / "tools"):
            folder.mkdir(parents=True)
        for name in SYSTEM_COMMANDS:
            found = shutil.which(name)
            assert found, f"{name} is needed by tools/pythons.sh"
            (self.system / name).symlink_to(found)
        shutil.copy(PROJECT_ROOT / "Makefile", self.checkout / "Makefile")
        shutil.copy(PYTHONS_SCRIPT, self.checkout / "tools" / "pythons.sh")
        for name in (
            "requirements.txt",
            "requirements-dev.txt",
            "constraints.txt",
            "requirements-pip-lock.txt",
            "requirements-lock.txt",
        ):
            (self.checkout / name).write_text("")
        for name in ("package.json", "package-lock.json"):
            (self.checkout / name).write_text("{}")
        (self.checkout / "pyproject.toml").write_text("")

    def python(
        self, name: str, release: str, *, folder: Path | None = None, pytest_status: int = 0
    ) -> Path:
        """A fake interpreter of `release` called `name` (on the PATH unless `folder` is given)."""
        path = (folder or self.bin) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        minor = ".".join(release.split(".")[:2])
        path.write_text(
            FAKE_PYTHON.format(minor=minor, release=release, path=path, pytest_status=pytest_status)
        )
        path.chmod(0o755)
        return path

    def shim(self, name: str) -> None:
        """A pyenv shim on the PATH for a version pyenv has not selected: it fails."""
        path = self.bin / name
        path.write_text(SHIM)
        path.chmod(0o755)

    def run(self, *args: str, python: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command in the checkout with only this machine's PATH (and PYTHON if given)."""
        env = {
            "PATH": f"{self.bin}:{self.system}",
            "HOME": str(self.root),
            "PYENV_ROOT": str(self.pyenv),
            **({"PYTHON": str(python)} if python is not None else {}),
        }
        return subprocess.run(
            list(args),
            cwd=self.checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def pythons(
        self, *args: str, python: str | Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run tools/pythons.sh with `args`."""
        return self.run("bash", "tools/pythons.sh", *args, python=python)

    def venv_release(self, name: str) -> str:
        """The release written in a (fake) virtual environment's pyvenv.cfg."""
        return (self.checkout / name / "pyvenv.cfg").read_text().split("=")[1].strip()


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def test_the_newest_supported_python_on_the_path_is_picked(machine: Machine) -> None:
    machine.python("python3.11", "3.11.9")
    newest = machine.python("python3.13", "3.13.2")
    machine.python("python3", "3.14.0")

    result = machine.pythons("pick")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(newest)


def test_a_shim_that_does_not_run_is_passed_over(machine: Machine) -> None:
    machine.shim("python3.13")
    working = machine.python("python3.12", "3.12.8")

    result = machine.pythons("pick")

    assert result.stdout.strip() == str(working)


def test_plain_python3_is_used_when_it_is_supported(machine: Machine) -> None:
    python3 = machine.python("python3", "3.12.3")

    assert machine.pythons("pick").stdout.strip() == str(python3)


def test_python_given_wins_over_a_newer_one(machine: Machine) -> None:
    machine.python("python3.13", "3.13.2")
    older = machine.python("python3.11", "3.11.9", folder=machine.root / "elsewhere")

    result = machine.pythons("pick", python=older)

    assert result.stdout.strip() == str(older)


def test_an_unsupported_python_given_is_refused_by_name(machine: Machine) -> None:
    old = machine.python("python3.10", "3.10.14")

    result = machine.pythons("pick", python=old)

    assert result.returncode == 1
    assert result.stdout == ""
    assert f"PYTHON={old} is Python 3.10.14" in result.stderr
    assert "this project needs Python 3.11, 3.12 or 3.13" in result.stderr
    assert "PYTHON=/path/to/python3.12" in result.stderr


def test_no_supported_python_says_what_was_found_and_how_to_point_at_one(
    machine: Machine,
) -> None:
    machine.python("python3", "3.10.12")
    machine.shim("python3.12")
    pyenv_313 = machine.python(
        "python3.13", "3.13.1", folder=machine.pyenv / "versions" / "3.13.1" / "bin"
    )

    result = machine.pythons("pick")

    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith("No supported Python on the PATH")
    assert "python3.12 does not run" in message
    assert "python3 is 3.10.12" in message
    assert message.endswith(f"Point at one: make run PYTHON={pyenv_313}")


def test_a_missing_virtual_environment_is_made_with_the_pick(machine: Machine) -> None:
    python = machine.python("python3.12", "3.12.8")

    result = machine.pythons("venv", ".venv")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Making .venv with Python 3.12.8 ({python})"
    assert machine.venv_release(".venv") == "3.12.8"


def test_a_working_virtual_environment_is_kept_when_a_newer_python_appears(
    machine: Machine,
) -> None:
    machine.python("python3.11", "3.11.9")
    machine.pythons("venv", ".venv")
    machine.python("python3.13", "3.13.2")

    assert machine.pythons("venv-ok", ".venv").returncode == 0
    result = machine.pythons("venv", ".venv")

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert machine.venv_release(".venv") == "3.11.9"


def test_python_asking_for_another_version_rebuilds_and_says_why(machine: Machine) -> None:
    machine.python("python3.11", "3.11.9")
    machine.pythons("venv", ".venv")
    (machine.checkout / ".venv" / "installed-packages").write_text("3.11 wheels")
    newer = machine.python("python3.12", "3.12.8")

    assert machine.pythons("venv-ok", ".venv", python=newer).returncode == 1
    result = machine.pythons("venv", ".venv", python=newer)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == (
        f"Rebuilding .venv: it was made with Python 3.11.9, and PYTHON={newer} is Python 3.12."
    )
    assert machine.venv_release(".venv") == "3.12.8"
    assert not (machine.checkout / ".venv" / "installed-packages").exists()


def test_the_same_minor_version_keeps_the_virtual_environment(machine: Machine) -> None:
    machine.python("python3.12", "3.12.1")
    machine.pythons("venv", ".venv")
    patched = machine.python("python3.12", "3.12.8", folder=machine.root / "elsewhere")

    assert machine.pythons("venv-ok", ".venv", python=patched).returncode == 0


def test_a_virtual_environment_whose_python_is_gone_is_rebuilt(machine: Machine) -> None:
    old = machine.python("python3.12", "3.12.1", folder=machine.root / "removed")
    machine.pythons("venv", ".venv", python=old)
    old.unlink()
    machine.python("python3.13", "3.13.2")

    assert machine.pythons("venv-ok", ".venv").returncode == 1
    result = machine.pythons("venv", ".venv")

    assert "Rebuilding .venv: its Python no longer runs" in result.stderr
    assert machine.venv_release(".venv") == "3.13.2"


def test_a_virtual_environment_of_an_unsupported_python_is_rebuilt(machine: Machine) -> None:
    old = machine.python("python3.10", "3.10.14", folder=machine.root / "old")
    (machine.checkout / ".venv").mkdir()
    machine.run("bash", str(old), "-m", "venv", ".venv")
    machine.python("python3.12", "3.12.8")

    result = machine.pythons("venv", ".venv")

    assert result.stderr.startswith("Rebuilding .venv: it was made with Python 3.10.14, and")
    assert machine.venv_release(".venv") == "3.12.8"


def test_a_bad_python_stops_before_anything_is_removed(machine: Machine) -> None:
    machine.python("python3.11", "3.11.9")
    machine.pythons("venv", ".venv")

    result = machine.pythons("venv", ".venv", python=machine.root / "missing" / "python3")

    assert result.returncode == 1
    assert "does not run a Python" in result.stderr
    assert machine.venv_release(".venv") == "3.11.9"


def test_a_folder_that_is_not_a_virtual_environment_is_never_removed(machine: Machine) -> None:
    machine.python("python3.12", "3.12.8")
    (machine.checkout / ".venv").mkdir()
    (machine.checkout / ".venv" / "notes.txt").write_text("mine")

    result = machine.pythons("venv", ".venv")

    assert result.returncode == 1
    assert ".venv exists and is not a virtual environment: move it away" in result.stderr
    assert (machine.checkout / ".venv" / "notes.txt").read_text() == "mine"


def test_found_looks_on_the_path_then_at_pyenv_releases(machine: Machine) -> None:
    on_path = machine.python("python3.12", "3.12.8")
    machine.shim("python3.13")
    versions = machine.pyenv / "versions"
    machine.python("python3.13", "3.13.0", folder=versions / "3.13.0" / "bin")
    newest = machine.python("python3.13", "3.13.10", folder=versions / "3.13.10" / "bin")
    machine.python("python3.13", "3.13.11", folder=versions / "3.13.11t" / "bin")
    machine.python("python3.12", "3.12.1", folder=versions / "3.12.1" / "bin")

    result = machine.pythons("found")

    assert result.stdout.splitlines() == [f"3.13 {newest}", f"3.12 {on_path}"]


def test_make_treats_the_stamp_as_stale_only_when_the_venv_cannot_be_kept(
    machine: Machine,
) -> None:
    machine.python("python3.11", "3.11.9")
    machine.pythons("venv", ".venv")
    (machine.checkout / ".venv" / ".installed").write_text("")
    (machine.checkout / ".venv" / "bin" / "pipeline-definition").write_text("")
    newer = machine.python("python3.12", "3.12.8", folder=machine.root / "elsewhere")

    kept = machine.run("make", "-n", "install")
    rebuilt = machine.run("make", "-n", "install", f"PYTHON={newer}")

    assert "Nothing to be done for 'install'" in kept.stdout, kept.stdout + kept.stderr
    assert f"PYTHON='{newer}'" in rebuilt.stdout
    assert "tools/pythons.sh venv .venv" in rebuilt.stdout


def test_make_install_refuses_an_unsupported_python(machine: Machine) -> None:
    old = machine.python("python3.10", "3.10.14")

    result = machine.run("make", "install", f"PYTHON={old}")

    assert result.returncode != 0
    assert "this project needs Python 3.11, 3.12 or 3.13" in result.stderr
    assert not (machine.checkout / ".venv").exists()


def test_make_test_pythons_runs_each_version_in_its_own_venv_and_times_it(
    machine: Machine,
) -> None:
    machine.python("python3.11", "3.11.9")
    machine.python("python3.12", "3.12.8", pytest_status=1)
    machine.shim("python3.13")
    pyenv_313 = machine.python(
        "python3.13", "3.13.1", folder=machine.pyenv / "versions" / "3.13.1" / "bin"
    )

    result = machine.run("make", "test-pythons")

    assert result.returncode != 0
    assert "1 of 3 Pythons failed." in result.stderr
    # .venv goes to the version `make install` would pick (the newest on the PATH).
    assert machine.venv_release(".venv") == "3.12.8"
    assert machine.venv_release(".venv-3.11") == "3.11.9"
    assert machine.venv_release(".venv-3.13") == "3.13.1"
    for minor in ("3.11", "3.12", "3.13"):
        args = (machine.checkout / f"pytest-{minor}.args").read_text().split()
        assert args == ["-q", "tests/unit", "tests/integration"]
    rows = {
        row[0]: row
        for row in map(str.split, result.stdout.splitlines())
        if row[:1] in (["3.11"], ["3.12"], ["3.13"])
    }
    assert list(rows) == ["3.11", "3.12", "3.13"]
    assert rows["3.11"][1:3] == ["passed", f"{machine.bin}/python3.11"]
    assert rows["3.12"][1] == "FAILED"
    assert rows["3.13"][1:3] == ["passed", str(pyenv_313)]
    for row in rows.values():
        assert re.fullmatch(r"\d+\.\d", row[3])  # wall seconds
        assert re.fullmatch(r"\d+\.\d", row[4])  # CPU seconds
        assert float(row[3]) < 60
        assert row[5:] == ["7", "passed", "in", "0.01s"]


def test_make_test_pythons_names_the_versions_it_did_not_find(machine: Machine) -> None:
    machine.python("python3.12", "3.12.8")

    result = machine.run("make", "test-pythons")

    assert result.returncode == 0, result.stderr
    absent = [line for line in result.stdout.splitlines() if " absent " in line]
    assert [line.split()[0] for line in absent] == ["3.11", "3.13"]
    assert f"not on the PATH nor under {machine.pyenv}/versions" in absent[0]


def test_a_python_inside_a_virtual_environment_stands_for_its_base_interpreter(
    tmp_path: Path,
) -> None:
    # make puts .venv/bin first on the PATH: a new environment is made from the real interpreter.
    base = getattr(sys, "_base_executable", sys.executable)
    real = subprocess.run(
        [base, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=False
    )
    assert real.returncode == 0

    result = subprocess.run(
        ["bash", str(PYTHONS_SCRIPT), "pick"],
        env={"PATH": "/usr/bin:/bin", "PYTHON": str(tmp_path / "venv" / "bin" / "python")},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )

    assert Path(result.stdout.strip()).samefile(base)


def test_3_11_to_3_13_are_supported_and_this_interpreter_is_one() -> None:
    assert supported_pythons() == ["3.11", "3.12", "3.13"]
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in supported_pythons()


def test_requires_python_matches_the_supported_versions() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    oldest, *_, newest = supported_pythons()
    major, minor = newest.split(".")

    assert pyproject["project"]["requires-python"] == f">={oldest},<{major}.{int(minor) + 1}"


def test_the_linters_target_no_python_newer_than_the_oldest_supported() -> None:
    # Code that passes ruff and mypy at the oldest supported version runs on all of them.
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    oldest = tuple(int(p) for p in supported_pythons()[0].split("."))
    ruff_target = re.fullmatch(r"py3(\d+)", pyproject["tool"]["ruff"]["target-version"])
    mypy_target = str(pyproject["tool"]["mypy"]["python_version"])

    assert ruff_target is not None
    assert (3, int(ruff_target[1])) <= oldest
    assert tuple(int(p) for p in mypy_target.split(".")) <= oldest


def test_the_readme_names_the_supported_and_tested_versions() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    versions = supported_pythons()
    listed = ", ".join(versions[:-1]) + f" or {versions[-1]}"

    assert f"Python {listed}" in readme
    assert "make test-pythons" in readme
