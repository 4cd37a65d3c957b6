"""How the command line starts: the console script, `--version`, and a Python without the
project's dependencies, which gets one line instead of a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from pipeline_definition import cli, launcher
from pipeline_definition.commands import version
from project.paths import CDK_CLI_PACKAGE, PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
MAKEFILE = (PROJECT_ROOT / "Makefile").read_text()
# The interpreter .venv was made from, without site-packages: no rich, no boto3, no SDK.
BARE_PYTHON = (getattr(sys, "_base_executable", sys.executable), "-S")


def test_version_prints_the_project_and_the_sdk_and_cdk_versions_one_a_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])

    lines = capsys.readouterr().out.splitlines()
    assert exited.value.code == 0
    assert lines[0] == f"house-price-mlops {PYPROJECT['project']['version']}"
    assert lines[1].startswith("Python 3.")
    assert f"sagemaker {metadata.version('sagemaker')} (SageMaker Python SDK)" in lines
    assert f"aws-cdk-lib {metadata.version('aws-cdk-lib')} (AWS CDK library)" in lines
    assert f"boto3 {metadata.version('boto3')}" in lines
    if CDK_CLI_PACKAGE.exists():
        cdk = json.loads(CDK_CLI_PACKAGE.read_text())["version"]
        assert f"aws-cdk {cdk} (AWS CDK CLI, node_modules)" in lines


def test_version_needs_no_command_and_says_what_is_missing(tmp_path: Path) -> None:
    assert version.cdk_cli_version(tmp_path / "absent.json") is None
    assert version.library_version("no-such-distribution-here") == "not installed"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "9.8.7"\n')
    assert version.project_version(tmp_path / "pyproject.toml") == "9.8.7"


def test_the_console_script_is_declared_and_installed_by_make() -> None:
    scripts = PYPROJECT["project"]["scripts"]
    module, _, function = scripts[launcher.SCRIPT].partition(":")
    assert (module, function) == ("pipeline_definition.launcher", "launch")
    assert callable(launcher.launch)
    install = re.search(r"^PROJECT_INSTALL = ((?:[^\n]*\\\n)*[^\n]*)", MAKEFILE, re.M)
    assert install
    command = install[1].replace("\\\n", " ")
    for flag in ("--no-deps", "--no-index", "--no-build-isolation", "--editable ."):
        assert flag in command
    # After the locked packages (the rule needs the stamp), again when pyproject.toml changes.
    rule = re.search(r"^\$\(SCRIPT\): (.*)\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert rule
    assert set(rule[1].split()) == {"pyproject.toml", "$(STAMP)"}
    assert "$(BIN)/$(PROJECT_INSTALL)" in rule[2]
    assert "SCRIPT := $(BIN)/pipeline-definition" in MAKEFILE
    for target in ("install", "run", "test"):
        assert re.search(rf"^{target}: .*\$\(SCRIPT\)", MAKEFILE, re.M), target


def _bare(*arguments: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BARE_PYTHON, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_python_without_the_dependencies_gets_one_line_not_a_traceback() -> None:
    result = _bare("-m", "pipeline_definition", "list")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: no module named 'rich' in ")
    assert "the project's dependencies are installed in .venv, not here" in line
    assert ".venv/bin/" in line
    assert result.stdout == ""


def test_the_seed_script_and_json_mode_get_the_same_hint() -> None:
    seed = _bare("execute_pipeline.py", "--monitor")
    as_json = _bare("-m", "pipeline_definition", "status", "x", "--json")

    assert seed.returncode == 2
    assert seed.stderr.startswith("error: no module named")
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["exit_code"] == 2
    assert "no module named" in json.loads(as_json.stdout)["error"]


def test_the_hint_names_what_the_checkout_has(tmp_path: Path) -> None:
    assert "run `make install` first" in launcher.run_instead(tmp_path)
    (tmp_path / "python").touch()
    assert "use .venv/bin/python -m pipeline_definition" in launcher.run_instead(tmp_path)
    (tmp_path / launcher.SCRIPT).touch()
    assert launcher.run_instead(tmp_path).startswith(f"use .venv/bin/{launcher.SCRIPT} ...")


def test_unsupported_pythons_are_named_and_our_own_import_errors_are_not_hidden() -> None:
    assert launcher.unsupported_python_hint((3, 12)) is None
    old = launcher.unsupported_python_hint((3, 10))
    assert old and "this is Python 3.10" in old and "the project needs 3.11 to 3.13" in old
    ours = ModuleNotFoundError("No module named 'pipeline_definition.nope'")
    ours.name = "pipeline_definition.nope"
    assert launcher.missing_dependency_hint(ours) is None


def test_the_usage_line_names_the_way_it_was_called() -> None:
    assert launcher.prog_name("/x/.venv/bin/pipeline-definition") == "pipeline-definition"
    assert launcher.prog_name("/x/pipeline_definition/__main__.py") == launcher.MODULE_PROG
