"""Which parts of `ml_scripts/` each step ships.

Each step gets only the packages it imports, so an edit to one step's code changes only that
step's code hash and step caching keeps reusing the others. Every bundle also ships the
package's top-level modules (`ml_scripts/__init__.py` and `ml_scripts/layout.py`, the names
the definition and the scripts share), which every step imports.
"""

from __future__ import annotations

from pathlib import Path

from ml_scripts.layout import PACKAGE_MODULES
from pipeline_definition.build.staging import CodeStaging, StagedCode, list_files

BUNDLES: dict[str, tuple[str, ...]] = {
    "processing": ("common", "processing"),
    "training": ("common", "training", "inference"),
    "evaluation": ("common", "evaluation", "inference"),
}


def bundle_files(ml_scripts_dir: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Map archive paths (`ml_scripts/...`) to the top-level modules and the given subpackages."""
    files: dict[str, Path] = {}
    for module in PACKAGE_MODULES:
        path = ml_scripts_dir / module
        if not path.is_file():
            raise FileNotFoundError(f"code bundle needs the module {path}, which is missing")
        files[f"ml_scripts/{module}"] = path
    for package in packages:
        root = ml_scripts_dir / package
        if not (root / "__init__.py").is_file():
            raise FileNotFoundError(f"code bundle needs the package {root}, which is missing")
        for path in list_files(root):
            files[f"ml_scripts/{package}/{path.relative_to(root).as_posix()}"] = path
    return files


def stage_bundle(staging: CodeStaging, ml_scripts_dir: Path, name: str) -> StagedCode:
    """Stage the named bundle and return where it will be deployed."""
    return staging.stage_tree(bundle_files(ml_scripts_dir, BUNDLES[name]), name)
