"""`run-local --parity` on the shipped pipeline, in the images' real environments.

Marked `parity`: the first run builds the environments (a minute or two per image, then they
are cached in .local/parity-envs), so `make test` leaves these out and `make parity` runs them.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.local.parity.envs import DEFAULT_CACHE_DIR
from pipeline_definition.local.parity.locks import load_locks, lock_for_image
from pipeline_definition.local.runner import render_app_definition
from pipeline_definition.local.store import LocalObjectStore
from pipeline_definition.local.workspace import Workspace
from project.paths import PROJECT_ROOT
from testsupport.corpus.catalogue import step

pytestmark = [pytest.mark.parity, pytest.mark.timeout(900)]

TOLERANCE = 1e-6
# pandas 3.0 added `pd.col` expressions; the images' pandas (2.2.3 and 2.3.2) have no `col`.
INJECTED = '        _ = clean.assign(price_thousands=pd.col("SalePrice") / 1000)\n'
INJECT_AFTER = "    def _write_clean(self, clean: pd.DataFrame, keys: np.ndarray) -> None:\n"


@dataclass(frozen=True)
class Run:
    """One CLI run: exit code, output and its execution.json."""

    workdir: Path
    code: int
    output: str
    record: dict[str, Any]

    def step(self, name: str) -> dict[str, Any]:
        """A step's entry in execution.json."""
        return next(s for s in self.record["Steps"] if s["Name"] == name)

    def store_path(self, uri: str) -> Path:
        """Where a URI lives in this run's local store."""
        return LocalObjectStore(self.workdir / "s3").path(uri)


@dataclass(frozen=True)
class Rendered:
    """The app's definition and its staged code."""

    definition: Path
    code_dir: Path


def run_local(workdir: Path, rendered: Rendered, *args: str) -> Run:
    """`run-local --definition ... --no-cache` in a subprocess, in a fresh workdir."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline_definition",
            "run-local",
            "--workdir",
            str(workdir),
            "--definition",
            str(rendered.definition),
            "--code-dir",
            str(rendered.code_dir),
            "--no-cache",
            "--plain",
            *args,
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    records = sorted((workdir / "executions").glob("*/execution.json"))
    record = json.loads(records[-1].read_text()) if records else {}
    return Run(workdir, completed.returncode, completed.stdout + completed.stderr, record)


def numbers(node: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every numeric leaf of a JSON document with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from numbers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from numbers(value, f"{path}[{index}]")
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, float(node)


def evaluation(run: Run) -> dict[str, Any]:
    """The EvaluateModel step's evaluation.json."""
    outputs = run.step("EvaluateModel")["Properties"]["ProcessingOutputConfig"]["Outputs"]
    report = next(o for o in outputs if o["OutputName"] == "evaluation")
    document: dict[str, Any] = json.loads(
        (run.store_path(report["S3Output"]["S3Uri"]) / "evaluation.json").read_text()
    )
    return document


def library_versions(run: Run) -> dict[str, str]:
    """What the training job reported in its model card."""
    uri = run.step("TrainModel")["Properties"]["ModelArtifacts"]["S3ModelArtifacts"]
    with tarfile.open(fileobj=io.BytesIO(run.store_path(uri).read_bytes())) as archive:
        member = archive.extractfile("model_card.json")
        assert member is not None
        versions: dict[str, str] = json.load(member)["library_versions"]
    return versions


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The app's definition, rendered once (through the render cache)."""
    workspace = Workspace(tmp_path_factory.mktemp("render"))
    definition, code_dir, _ = render_app_definition(workspace, io.StringIO())
    return Rendered(definition, code_dir)


@pytest.fixture(scope="module")
def default_run(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The whole pipeline in default mode."""
    return run_local(tmp_path_factory.mktemp("default"), rendered)


@pytest.fixture(scope="module")
def parity_run(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The whole pipeline in parity mode (builds the environments the first time)."""
    return run_local(tmp_path_factory.mktemp("parity"), rendered, "--parity")


def test_the_parity_pipeline_succeeds_in_the_images_versions(
    rendered: Rendered, parity_run: Run
) -> None:
    assert parity_run.code == 0, parity_run.output[-3000:]
    assert parity_run.record["Status"] == "Succeeded"
    definition = json.loads(rendered.definition.read_text())
    images = {
        step["Name"]: (step["Arguments"].get("AppSpecification") or {}).get("ImageUri")
        or step["Arguments"]["AlgorithmSpecification"]["TrainingImage"]
        for step in definition["Steps"]
        if step["Type"] in ("Processing", "Training")
    }
    locks = load_locks()
    for name, image in images.items():
        lock = lock_for_image(image, locks)
        path = parity_run.step(name)["Command"]["Environment"]["PATH"]
        env_dir = Path(path.split(":")[0]).parent
        assert env_dir.parent == DEFAULT_CACHE_DIR
        assert env_dir.name.startswith(f"{lock.image}-{lock.tags[0]}-py{lock.python}.")
    pins = dict(lock_for_image(images["TrainModel"], locks).pins)
    versions = library_versions(parity_run)
    assert versions["python"].startswith(lock_for_image(images["TrainModel"], locks).python + ".")
    for library in ("numpy", "pandas", "pyarrow"):
        assert versions[library] == pins[library]
    assert versions["xgboost"] == pins["xgboost-cpu"]


def test_the_run_report_is_made_in_the_evaluation_images_versions(
    rendered: Rendered, parity_run: Run
) -> None:
    """EvaluateModel's report and its six figures, made with the XGBoost image's matplotlib."""
    assert parity_run.code == 0, parity_run.output[-3000:]
    outputs = parity_run.step("EvaluateModel")["Properties"]["ProcessingOutputConfig"]["Outputs"]
    folder = parity_run.store_path(outputs[0]["S3Output"]["S3Uri"])
    assert len(list((folder / "plots").glob("*.png"))) == 6
    definition = json.loads(rendered.definition.read_text())
    (evaluate,) = [s for s in definition["Steps"] if s["Name"] == "EvaluateModel"]
    pins = dict(
        lock_for_image(evaluate["Arguments"]["AppSpecification"]["ImageUri"], load_locks()).pins
    )
    html = (folder / "report.html").read_text()
    for library in ("matplotlib", "numpy", "pandas"):
        assert f"<td>{library}</td>" in html
        row = html.split(f"<td>{library}</td>", 1)[1].split("</tr>", 1)[0]
        assert row.endswith(f"<td>{pins[library]}</td>"), row


def test_training_ran_the_real_driver_when_namespaces_work(parity_run: Run) -> None:
    log = (parity_run.workdir / "executions").glob("*/logs/TrainModel.log")
    text = next(log).read_text()
    if "parity: no private /opt/ml" in parity_run.output:
        pytest.skip(re.findall(r"no private /opt/ml \(([^)]*)\)", parity_run.output)[0])
    assert "Running Basic Script driver" in text
    assert "Training Container Execution Completed" in text


def test_parity_metrics_match_the_default_run(default_run: Run, parity_run: Run) -> None:
    assert default_run.code == 0, default_run.output[-3000:]
    assert parity_run.code == 0, parity_run.output[-3000:]
    default = dict(numbers(evaluation(default_run)))
    parity = dict(numbers(evaluation(parity_run)))
    assert default.keys() == parity.keys()
    assert ".regression_metrics.rmse.value" in default
    differences = {
        key: (default[key], parity[key])
        for key in default
        if abs(default[key] - parity[key]) > TOLERANCE
    }
    assert not differences
    # The versions differ, so the match is not a run of the same libraries twice.
    assert library_versions(default_run)["pandas"] != library_versions(parity_run)["pandas"]


@pytest.fixture(scope="module")
def injected(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """ProcessData alone, its code calling an API the host's pandas has and the image's lacks."""
    root = tmp_path_factory.mktemp("injected")
    code_dir = root / "code-dir"
    shutil.copytree(rendered.code_dir, code_dir)
    scripts = list((code_dir / "code" / "processing").glob("*/ml_scripts/processing/preprocess.py"))
    assert len(scripts) == 1
    text = scripts[0].read_text()
    assert INJECT_AFTER in text, "the injection point moved: update INJECT_AFTER"
    scripts[0].write_text(text.replace(INJECT_AFTER, INJECT_AFTER + INJECTED))
    definition = json.loads(rendered.definition.read_text())
    # ProcessData sits inside the CheckInstanceLimits condition's branch, not at the top level.
    definition["Steps"] = [step(definition, "ProcessData")]
    path = root / "definition.json"
    path.write_text(json.dumps(definition))
    return Rendered(path, code_dir)


def test_parity_mode_catches_an_api_the_images_pandas_lacks(
    injected: Rendered, tmp_path: Path
) -> None:
    default = run_local(tmp_path / "default", injected)
    assert default.code == 0, default.output[-3000:]
    assert default.step("ProcessData")["Status"] == "succeeded"

    parity = run_local(tmp_path / "parity", injected, "--parity")
    assert parity.code == 1, parity.output[-3000:]
    step = parity.step("ProcessData")
    assert step["Status"] == "failed"
    assert "module 'pandas' has no attribute 'col'" in step["FailureReason"]
