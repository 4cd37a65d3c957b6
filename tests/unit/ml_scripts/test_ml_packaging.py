"""Step bundles: each step's code runs from the files its bundle ships, and importing has no
side effects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ml_scripts.training.package import copy_serving_code
from pipeline_definition.build.code_bundles import BUNDLES, bundle_files
from project.paths import ML_SCRIPTS_DIR
from testsupport.ml_scripts_testkit import run_python

SERVING = "serving code in model.tar.gz"

STEP_MODULES = {
    "ml_scripts.processing.preprocess": "processing",
    "ml_scripts.training.train": "training",
    "ml_scripts.evaluation.evaluate": "evaluation",
    "ml_scripts.inference.serve": SERVING,
    "ml_scripts.inference.predict": SERVING,
}


def _ship(bundle: str, code_dir: Path) -> list[str]:
    """Lay out the bundle's files in `code_dir` as the container receives them."""
    if bundle == SERVING:
        return copy_serving_code(code_dir)
    files = bundle_files(ML_SCRIPTS_DIR, BUNDLES[bundle])
    for archive_path, source in files.items():
        destination = code_dir / archive_path
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    return sorted(files)


@pytest.mark.parametrize("bundle", [*BUNDLES, SERVING])
def test_every_bundle_ships_the_layout_module(bundle: str, tmp_path: Path) -> None:
    shipped = _ship(bundle, tmp_path / "code")
    assert "ml_scripts/layout.py" in shipped
    shipped_layout = tmp_path / "code" / "ml_scripts" / "layout.py"
    assert shipped_layout.read_bytes() == (ML_SCRIPTS_DIR / "layout.py").read_bytes()


@pytest.mark.parametrize(("module", "bundle"), STEP_MODULES.items())
def test_step_imports_from_its_bundle_alone_without_side_effects(
    module: str, bundle: str, tmp_path: Path
) -> None:
    code_dir = tmp_path / "code"
    _ship(bundle, code_dir)
    work = tmp_path / "work"
    work.mkdir()
    script = (
        "import logging, sys, os\n"
        f"import {module}\n"
        "files = [m.__file__ for n, m in sys.modules.items() if n.startswith('ml_scripts')]\n"
        "print(all(f.startswith(sys.argv[1]) for f in files if f))\n"
        "print(len(logging.getLogger().handlers), os.listdir('.'))\n"
    )
    output = run_python(["-c", script, str(code_dir)], cwd=work, pythonpath=code_dir)
    from_bundle, side_effects = output.splitlines()
    assert from_bundle == "True"
    assert side_effects == "0 []"


def test_training_entry_script_runs_as_a_file_from_its_bundle(tmp_path: Path) -> None:
    # As the ModelTrainer driver runs it: `python ml_scripts/training/train.py` in the code folder.
    code_dir = tmp_path / "code"
    _ship("training", code_dir)
    usage = run_python(
        ["ml_scripts/training/train.py", "--help"], cwd=code_dir, pythonpath=code_dir
    )
    assert "--max_depth" in usage
    assert "--num-round" in usage
