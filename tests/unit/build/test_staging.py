"""Content-addressed staging of shipped code."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_definition.build.code_bundles import BUNDLES, bundle_files
from pipeline_definition.build.staging import CodeStaging, content_hash, list_files


def _tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_hash_depends_on_content_and_paths_only(tmp_path: Path) -> None:
    a = _tree(tmp_path / "a", {"pkg/x.py": "x = 1\n", "pkg/y.py": "y = 2\n"})
    b = _tree(tmp_path / "b", {"pkg/y.py": "y = 2\n", "pkg/x.py": "x = 1\n"})
    assert content_hash(a) == content_hash(b)
    (b / "pkg" / "x.py").write_text("x = 2\n")
    assert content_hash(a) != content_hash(b)


def test_bytecode_and_caches_do_not_change_the_hash(tmp_path: Path) -> None:
    root = _tree(tmp_path / "code", {"m.py": "print(1)\n"})
    before = content_hash(root)
    _tree(root, {"__pycache__/m.cpython-311.pyc": "junk", "n.pyc": "junk", ".DS_Store": "x"})
    assert content_hash(root) == before
    assert [p.name for p in list_files(root)] == ["m.py"]


def test_executable_bit_is_part_of_the_hash(tmp_path: Path) -> None:
    root = _tree(tmp_path / "code", {"run.sh": "echo hi\n"})
    before = content_hash(root)
    (root / "run.sh").chmod(0o755)
    assert content_hash(root) != before


def test_stage_directory_under_label_and_hash(tmp_path: Path) -> None:
    source = _tree(tmp_path / "src", {"a/b.txt": "b"})
    staging = CodeStaging(tmp_path / "staging")
    staged = staging.stage(source, "drivers")
    assert staged.key == f"code/drivers/{content_hash(source)}/"
    assert (staging.root / staged.key / "a" / "b.txt").read_text() == "b"
    assert staging.staged == {staged.key: staged}


def test_stage_single_file_keeps_its_name(tmp_path: Path) -> None:
    source = _tree(tmp_path / "src", {"runproc.sh": "#!/bin/sh\n"}) / "runproc.sh"
    staged = CodeStaging(tmp_path / "staging").stage(source, "runproc")
    assert staged.key.endswith("/runproc.sh")
    assert not staged.is_directory
    assert staged.local_path.read_text() == "#!/bin/sh\n"


def test_staging_a_missing_or_empty_source_fails_clearly(tmp_path: Path) -> None:
    staging = CodeStaging(tmp_path / "staging")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        staging.stage(tmp_path / "missing", "x")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no files"):
        staging.stage(tmp_path / "empty", "x")


def test_bundles_ship_only_the_packages_each_step_imports(tmp_path: Path) -> None:
    files = {"__init__.py": "", "layout.py": ""}
    for package in ("common", "processing", "training", "evaluation", "inference"):
        files[f"{package}/__init__.py"] = ""
        files[f"{package}/module.py"] = package
    root = _tree(tmp_path / "ml_scripts", files)
    shipped = bundle_files(root, BUNDLES["processing"])
    assert sorted(shipped) == [
        "ml_scripts/__init__.py",
        "ml_scripts/common/__init__.py",
        "ml_scripts/common/module.py",
        "ml_scripts/layout.py",
        "ml_scripts/processing/__init__.py",
        "ml_scripts/processing/module.py",
    ]


def test_bundle_with_a_missing_package_fails_clearly(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / "ml_scripts", {"__init__.py": "", "layout.py": "", "common/__init__.py": ""}
    )
    with pytest.raises(FileNotFoundError, match="processing"):
        bundle_files(root, BUNDLES["processing"])


def test_bundle_without_the_layout_module_fails_clearly(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ml_scripts", {"__init__.py": "", "common/__init__.py": ""})
    with pytest.raises(FileNotFoundError, match=r"module .*layout\.py"):
        bundle_files(root, ("common",))
