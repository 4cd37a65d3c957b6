"""The linters check ml_scripts at the oldest Python it runs on: the step images' and the host's.

The images come from the shipped definition (every ImageUri, TrainingImage and registered
model Image); their Python from IMAGE_PYTHON. An image the table does not know fails here, so
a new image cannot slip in without saying which Python its code will meet.
"""

from __future__ import annotations

import re
import tomllib

from pipeline_definition.build.config import IMAGE_PYTHON
from pipeline_definition.model.expressions import image_uris_in
from project.paths import PROJECT_ROOT
from testsupport.definitions import shipped_definition

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())


def _version(text: str) -> tuple[int, int]:
    """(3, 11) from ">=3.11", "3.11" or ruff's "py311"."""
    match = re.search(r"(\d+)\.(\d+)", text) or re.fullmatch(r"py(\d)(\d+)", text)
    assert match, f"no Python version in {text!r}"
    return int(match[1]), int(match[2])


def images_in_definition() -> set[str]:
    """`repository:tag` of every image the shipped definition runs or registers."""
    return {uri.rsplit("/", 1)[-1] for uri in image_uris_in(shipped_definition())}


def test_every_image_in_the_definition_declares_its_python() -> None:
    images = images_in_definition()

    assert images, "the definition names no images"
    assert images <= set(IMAGE_PYTHON), f"add these to IMAGE_PYTHON: {images - set(IMAGE_PYTHON)}"


def test_ruff_and_mypy_target_the_oldest_python_ml_scripts_runs_on() -> None:
    host = _version(PYPROJECT["project"]["requires-python"].split(",")[0])
    oldest = min([host, *(IMAGE_PYTHON[image] for image in images_in_definition())])

    ruff = _version(PYPROJECT["tool"]["ruff"]["target-version"])
    mypy = _version(PYPROJECT["tool"]["mypy"]["python_version"])

    assert ruff <= oldest, f"ruff targets {ruff}, but ml_scripts also runs on {oldest}"
    assert mypy <= oldest, f"mypy targets {mypy}, but ml_scripts also runs on {oldest}"


def test_processing_runs_on_a_patched_scikit_learn_image() -> None:
    # scikit-learn 1.4-2 (Python 3.10) is no longer patched; 1.9-0 is.
    processing = {image for image in images_in_definition() if "scikit-learn" in image}

    assert processing == {"sagemaker-scikit-learn:1.9-0-cpu-py3"}
