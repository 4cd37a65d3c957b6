"""Step bundles: imports stay inside each step's bundle, and importing has no side effects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

BUNDLES = {
    "ml_scripts.processing.preprocess": ("common", "processing"),
    "ml_scripts.training.train": ("common", "training", "inference"),
    "ml_scripts.evaluation.evaluate": ("common", "evaluation", "inference"),
    "ml_scripts.inference.serve": ("common", "inference"),
    "ml_scripts.inference.predict": ("common", "inference"),
}


@pytest.mark.parametrize(("module", "allowed"), BUNDLES.items())
def test_step_imports_only_its_bundle_and_has_no_import_side_effects(
    module: str, allowed: tuple[str, ...], tmp_path: Path
) -> None:
    script = (
        "import logging, sys, os\n"
        f"import {module}\n"
        "subs = {m.split('.')[1] for m in sys.modules if m.startswith('ml_scripts.')}\n"
        "print(','.join(sorted(subs)))\n"
        "print(len(logging.getLogger().handlers), os.listdir('.'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    subpackages, side_effects = result.stdout.splitlines()
    assert set(subpackages.split(",")) <= set(allowed)
    assert side_effects == "0 []"
