"""The layers of DESIGN.md hold, and the import-linter contract notices when they do not."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from project.paths import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("project", "ml_scripts", "pipeline_definition", "stacks")
CONTRACTS = {
    contract["id"]: contract["name"]
    for contract in tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"][
        "importlinter"
    ]["contracts"]
}


def verdicts(output: str) -> dict[str, str]:
    """Contract id -> KEPT or BROKEN, read from lint-imports' report."""
    flat = " ".join(output.split())
    return {
        contract_id: "BROKEN" if f"{name} BROKEN" in flat else "KEPT"
        for contract_id, name in CONTRACTS.items()
        if f"{name} BROKEN" in flat or f"{name} KEPT" in flat
    }


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the project's contracts over the tree at `root`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages and the contracts, to break on purpose."""
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copyfile(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_project_keeps_every_contract() -> None:
    result = lint_imports(PROJECT_ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert verdicts(result.stdout) == dict.fromkeys(CONTRACTS, "KEPT")


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract"),
    [
        ("pipeline_definition/model/graph.py", "import stacks.storage", "layers"),
        ("project/settings.py", "import pipeline_definition.cli", "layers"),
        ("ml_scripts/common/io.py", "import project.paths", "layers"),
        (
            "pipeline_definition/build/render.py",
            "import pipeline_definition.diff",
            "definition-jobs",
        ),
        ("stacks/trigger/handler/events.py", "import project.settings", "trigger-asset"),
        ("ml_scripts/common/metrics.py", "import boto3", "container-code"),
        ("project/run_parameters.py", "import botocore", "shared-rules"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    tree: Path, tmp_path: Path, module: str, forbidden_import: str, contract: str
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tree, broken)
    path = broken / module
    path.write_text(path.read_text() + f"\n{forbidden_import}  # noqa\n")

    result = lint_imports(broken)

    assert result.returncode == 1
    assert verdicts(result.stdout)[contract] == "BROKEN"
