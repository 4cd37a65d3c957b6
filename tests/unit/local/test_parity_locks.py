"""Parity locks: well formed, one for every image the shipped definition uses, complete."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.build.code_bundles import BUNDLES
from pipeline_definition.local.parity.locks import (
    LOCKS_DIR,
    Lock,
    LockError,
    image_reference,
    load_locks,
    lock_for_image,
    parse_lock,
)
from pipeline_definition.model.graph import flatten_steps
from project.paths import ML_SCRIPTS_DIR
from testsupport.definitions import shipped_definition

IMAGE_KEYS = ("ImageUri", "TrainingImage", "Image")
# Module a script imports -> the distribution that provides it.
DISTRIBUTIONS = {
    "numpy": "numpy",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
    "xgboost": "xgboost-cpu",
    "matplotlib": "matplotlib",
}
BUNDLE_URI = re.compile(r"/code/(\w+)/[0-9a-f]+/?$")
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost"

HEADER = """# image: sagemaker-example
# tags: 1-0 1-0-cpu-py3
# python: 3.12
# source-repository: https://github.com/example/images
# source-commit: 0123456789abcdef0123456789abcdef01234567
# source-paths: docker/uv.lock
"""


def _strings(node: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [pair for k, v in node.items() for pair in _strings(v, k)]
    if isinstance(node, list):
        return [pair for item in node for pair in _strings(item, key)]
    return [(key, node)] if isinstance(node, str) else []


def _third_party_imports(files: list[Path]) -> set[str]:
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name != "ml_scripts"}


def _bundle_files(bundle: str) -> list[Path]:
    files = sorted(ML_SCRIPTS_DIR.glob("*.py"))
    for package in BUNDLES[bundle]:
        files += sorted((ML_SCRIPTS_DIR / package).rglob("*.py"))
    return files


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sagemaker-example-1-0.txt"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def locks() -> list[Lock]:
    """The shipped locks."""
    return load_locks()


def test_every_shipped_lock_names_its_image_python_and_source(locks: list[Lock]) -> None:
    assert [lock.path.name for lock in locks] == [
        "sagemaker-scikit-learn-1.4-2.txt",
        "sagemaker-scikit-learn-1.9-0.txt",
        "sagemaker-xgboost-3.2-0.txt",
    ]
    for lock in locks:
        assert lock.path.name == f"{lock.image}-{min(lock.tags, key=len)}.txt"
        assert lock.source_repository.startswith("https://github.com/aws/")
        assert lock.source_paths
        assert all(re.fullmatch(r"[0-9][0-9a-z.+]*", version) for _, version in lock.pins)


def test_the_images_python_versions_are_pinned(locks: list[Lock]) -> None:
    pythons = {lock.label: lock.python for lock in locks}
    assert pythons == {
        "sagemaker-scikit-learn:1.4-2-cpu-py3": "3.10",
        "sagemaker-scikit-learn:1.9-0-cpu-py3": "3.12",
        "sagemaker-xgboost:3.2-0": "3.12",
    }


def test_every_image_of_the_shipped_definition_has_a_lock(locks: list[Lock]) -> None:
    images = {value for key, value in _strings(shipped_definition()) if key in IMAGE_KEYS}
    assert images, "the shipped definition names no image"
    for image in images:
        assert lock_for_image(image, locks).serves(*image_reference(image))


@pytest.mark.parametrize(
    ("uri", "lock_file"),
    [
        (f"{SKLEARN}:1.4-2-cpu-py3", "sagemaker-scikit-learn-1.4-2.txt"),
        (f"{SKLEARN}:1.9-0-cpu-py3", "sagemaker-scikit-learn-1.9-0.txt"),
        (f"{XGBOOST}:3.2-0", "sagemaker-xgboost-3.2-0.txt"),
        # Another region's registry is the same image.
        ("450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:3.2-0", None),
    ],
)
def test_either_processing_image_and_xgboost_have_locks(
    locks: list[Lock], uri: str, lock_file: str | None
) -> None:
    expected = lock_file or "sagemaker-xgboost-3.2-0.txt"
    assert lock_for_image(uri, locks).path.name == expected


def test_each_step_imports_only_what_its_images_lock_pins(locks: list[Lock]) -> None:
    checked = 0
    for node in flatten_steps(shipped_definition()):
        step = node.raw
        strings = _strings(step.get("Arguments") or {})
        images = [value for key, value in strings if key in IMAGE_KEYS]
        # The code a job runs is an input; a container argument may only name a bundle (the
        # run report states all three).
        bundles = {
            m.group(1)
            for key, value in strings
            if key != "ContainerArguments" and (m := BUNDLE_URI.search(value))
        }
        if step["Type"] not in ("Processing", "Training"):
            continue
        pinned = {name for name, _ in lock_for_image(images[0], locks).pins}
        for bundle in bundles - {"sm_drivers"}:
            imports = _third_party_imports(_bundle_files(bundle))
            unknown = imports - set(DISTRIBUTIONS)
            assert not unknown, f"map {unknown} to their distributions and pin them in the locks"
            missing = {DISTRIBUTIONS[name] for name in imports} - pinned
            assert not missing, f"{step['Name']} ({bundle}) imports unpinned {missing}"
            checked += 1
    assert checked == 3


def test_an_image_without_a_lock_names_the_locks_there_are(locks: list[Lock]) -> None:
    with pytest.raises(LockError, match=r"no parity lock for image sagemaker-xgboost:1\.7-1"):
        lock_for_image(f"{XGBOOST}:1.7-1", locks)
    with pytest.raises(LockError, match=r"sagemaker-scikit-learn:1\.4-2-cpu-py3\|1\.4-2"):
        lock_for_image(f"{SKLEARN}:1.4-2-py312-cpu-py3", locks)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (f"{XGBOOST}@sha256:{'a' * 64}", "pinned by digest"),
        (XGBOOST, "has no tag"),
        ("sagemaker-xgboost:", "has no tag"),
    ],
)
def test_image_references_need_a_tag(uri: str, message: str) -> None:
    with pytest.raises(LockError, match=message):
        image_reference(uri)


def test_a_lock_parses_its_header_and_pins(tmp_path: Path) -> None:
    lock = parse_lock(_write(tmp_path, HEADER + "# a comment\nNumPy==2.1.0\n\npandas==2.2.3\n"))
    assert lock.label == "sagemaker-example:1-0"
    assert lock.tags == ("1-0", "1-0-cpu-py3")
    assert lock.python == "3.12"
    assert lock.pins == (("numpy", "2.1.0"), ("pandas", "2.2.3"))
    assert lock.serves("sagemaker-example", "1-0-cpu-py3")
    assert not lock.serves("sagemaker-example", "1-1")
    edited = parse_lock(_write(tmp_path, HEADER + "numpy==2.1.1\npandas==2.2.3\n"))
    assert edited.digest != lock.digest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER.replace("# python: 3.12\n", ""), "the header lacks python"),
        (HEADER.replace("3.12", "3"), "is not a minor version"),
        (HEADER.replace("0123456789abcdef" * 2, "main"), "source-commit"),
        (HEADER + "numpy>=2\n", r"sagemaker-example-1-0.txt:7: 'numpy>=2' is not"),
        (HEADER + "numpy==2.1.0\nNumPy==2.1.1\n", "pinned more than once: numpy"),
        (HEADER, "pins no packages"),
    ],
)
def test_a_malformed_lock_is_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(LockError, match=message):
        parse_lock(_write(tmp_path, text))


def test_the_locks_folder_holds_only_locks() -> None:
    assert {path.suffix for path in LOCKS_DIR.iterdir()} == {".txt"}
