"""`run-local` on the shipped definition: rendered from the app, real ml_scripts, end to end.

One workdir for the session (tests/integration/conftest.py): the first run renders and trains
(NumRound kept small), later runs reuse its rendered definition and, where the cache key allows,
its results.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from ml_scripts.inference.model import MODEL_FILE
from pipeline_definition.local.faults import ScriptedFaults
from pipeline_definition.local.results import StepStatus
from pipeline_definition.local.runner import RunOptions, execute, prepare
from pipeline_definition.local.store import LocalObjectStore
from project.paths import PROJECT_ROOT
from testsupport.run_local import FAST, NUM_ROUND, Run, run_cli, store_path

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def workdir(run_local_workdir: Path) -> Path:
    """The session's run-local workdir (the run report's browser test reads it too)."""
    return run_local_workdir


@pytest.fixture(scope="module")
def first(first_run_local: Run) -> Run:
    """The session's first run: it renders the app's definition and runs the embedded data."""
    return first_run_local


@pytest.fixture(scope="module")
def definition_args(workdir: Path, first: Run) -> tuple[str, ...]:
    """Run the definition the first run rendered, without rendering again."""
    assert (workdir / "render" / "definition.json").is_file(), first.stderr
    return ("--definition", str(workdir / "render" / "definition.json"))


def test_first_run_succeeds_and_registers(workdir: Path, first: Run) -> None:
    assert first.code == 0, first.stdout + first.stderr
    assert first.record["Status"] == "Succeeded"
    assert first.record["Parameters"]["NumRound"] == int(NUM_ROUND)
    statuses = {s["Name"]: s["Status"] for s in first.record["Steps"]}
    assert statuses == {
        "CheckInstanceLimits": "succeeded",
        "FailOnInstanceLimits": "not run",
        "ProcessData": "succeeded",
        "TrainModel": "succeeded",
        "EvaluateModel": "succeeded",
        "CheckQuality": "succeeded",
        "RegisterModel": "succeeded",
        "FailOnQuality": "not run",
    }

    model_uri = first.step("TrainModel")["Properties"]["ModelArtifacts"]["S3ModelArtifacts"]
    archive_path = store_path(workdir, model_uri)
    assert archive_path.name == "model.tar.gz"
    with tarfile.open(fileobj=io.BytesIO(archive_path.read_bytes())) as archive:
        names = archive.getnames()
    assert MODEL_FILE in names
    assert "code/inference.py" in names

    outputs = first.step("EvaluateModel")["Properties"]["ProcessingOutputConfig"]["Outputs"]
    report_dir = store_path(workdir, outputs[0]["S3Output"]["S3Uri"])
    evaluation = json.loads((report_dir / "evaluation.json").read_text())
    rmse = evaluation["regression_metrics"]["rmse"]["value"]
    assert 0 < rmse < 1
    assert any((report_dir / "plots").iterdir())

    group = first.step("RegisterModel")["Properties"]["ModelPackageGroupName"]
    package = workdir / "registry" / group / "1" / "model-package.json"
    document = json.loads(package.read_text())
    assert document["ModelApprovalStatus"] == "PendingManualApproval"
    assert document["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == model_uri
    assert f"Registered: {group} version 1 (PendingManualApproval)" in first.stdout
    assert "Model metrics (EvaluateModel/EvaluationReport" in first.stdout
    assert "rmse" in first.stdout


def test_second_run_reuses_the_cache(
    workdir: Path, first: Run, definition_args: tuple[str, ...]
) -> None:
    second = run_cli(workdir, *definition_args, *FAST)

    assert second.code == 0, second.stdout + second.stderr
    first_id = first.record["PipelineExecutionId"]
    for name in ("ProcessData", "TrainModel", "EvaluateModel"):
        assert second.step(name)["Status"] == "cached"
        assert second.step(name)["CacheHit"] == {"SourceExecutionId": first_id}
        assert f"{name}: cache hit from {first_id}" in second.stdout
    register = second.step("RegisterModel")["Properties"]
    assert register["ModelPackageVersion"] == 2
    group = register["ModelPackageGroupName"]
    assert (workdir / "registry" / group / "2" / "model-package.json").is_file()


def test_a_new_version_of_the_same_object_runs_again(
    workdir: Path, definition_args: tuple[str, ...]
) -> None:
    """run-local twice on one object, then on new bytes at the same key: as in SageMaker, the
    cache compares arguments only, and InputVersion (a content hash locally, the version id or
    ETag in AWS) is what changes them."""
    uri = "s3://local-data/data/raw/versioned.csv"
    sample = (PROJECT_ROOT / "data" / "house_data.csv").read_bytes()
    store = LocalObjectStore(workdir / "s3")
    store.put_bytes(sample, uri)
    args = (*definition_args, *FAST, "--param", f"InputData={uri}")

    first = run_cli(workdir, *args)
    again = run_cli(workdir, *args)
    store.put_bytes(b"".join(sample.splitlines(keepends=True)[:-200]), uri)
    changed = run_cli(workdir, *args)

    assert (first.code, again.code, changed.code) == (0, 0, 0), changed.stdout + changed.stderr
    versions = [run.record["Parameters"]["InputVersion"] for run in (first, again, changed)]
    assert versions[0] == versions[1] != versions[2]
    assert first.step("ProcessData")["Status"] == "succeeded"
    for name in ("ProcessData", "TrainModel", "EvaluateModel"):
        assert again.step(name)["Status"] == "cached"
        assert changed.step(name)["Status"] == "succeeded"


def test_a_manifest_input_reads_exactly_the_objects_it_lists(
    workdir: Path, definition_args: tuple[str, ...]
) -> None:
    """InputDataType=ManifestFile, as the trigger starts a batch: the listed objects are read,
    and an object beside them in the same folder is not."""
    lines = (PROJECT_ROOT / "data" / "house_data.csv").read_bytes().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    half = len(rows) // 2
    store = LocalObjectStore(workdir / "s3")
    folder = "s3://local-data/data/raw/2026/01/"
    store.put_bytes(header + b"".join(rows[:half]), folder + "part-a.csv")
    store.put_bytes(header + b"".join(rows[half:]), folder + "part-b.csv")
    store.put_bytes(header + b"".join(rows[:50]), folder + "not-listed.csv")
    manifest = "s3://local-artifacts/manifests/batch.manifest"
    body = json.dumps([{"prefix": folder}, "part-a.csv", "part-b.csv"]).encode()
    store.put_bytes(body, manifest)

    run = run_cli(
        workdir,
        *definition_args,
        *FAST,
        "--param",
        f"InputData={manifest}",
        "--param",
        "InputDataType=ManifestFile",
    )

    assert run.code == 0, run.stdout + run.stderr
    outputs = run.step("ProcessData")["Properties"]["ProcessingOutputConfig"]["Outputs"]
    report_uri = next(o for o in outputs if o["OutputName"] == "report")["S3Output"]["S3Uri"]
    report = json.loads((store_path(workdir, report_uri) / "processing_report.json").read_text())
    assert sorted(f["file"] for f in report["files"]) == ["part-a.csv", "part-b.csv"]
    assert report["rows_in"] == len(rows)
    assert report["input_data_type"] == "ManifestFile"
    assert run.record["Parameters"]["InputVersion"] == store.manifest_version(manifest)


def test_quality_gate_fails_with_the_rendered_message(
    workdir: Path, first: Run, tmp_path: Path
) -> None:
    """A deploy with RMSE_THRESHOLD=0.0001 renders a gate today's model cannot pass."""
    strict = tmp_path / "strict.json"
    rendered = subprocess.run(
        [
            *(sys.executable, "-m", "pipeline_definition", "render"),
            *("--out", str(strict), "--staging-dir", str(tmp_path / "code")),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RMSE_THRESHOLD": "0.0001"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr

    gated = run_cli(
        workdir, "--definition", str(strict), "--code-dir", str(tmp_path / "code"), *FAST
    )

    assert gated.code == 1
    assert gated.record["Status"] == "Failed"
    assert gated.step("FailOnQuality")["Status"] == "failed"
    assert gated.step("RegisterModel")["Status"] == "not run"
    message = gated.record["FailureReason"]
    outputs = first.step("EvaluateModel")["Properties"]["ProcessingOutputConfig"]["Outputs"]
    rmse = json.loads(
        (store_path(workdir, outputs[0]["S3Output"]["S3Uri"]) / "evaluation.json").read_text()
    )["regression_metrics"]["rmse"]["value"]
    # Four significant digits, not every digit: the message quotes evaluation.json's text.
    assert message.startswith(f"Model quality gate failed: RMSE of log price {rmse:.4g} must be")
    assert " must be at most 0.0001 (the threshold) and at most " in message
    assert "there is no champion to compare with" in message
    assert message.endswith("; the model was not registered.")
    assert message in gated.stdout


def test_failing_script_shows_its_log_and_skips_downstream(
    workdir: Path, tmp_path: Path, definition_args: tuple[str, ...]
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")

    failed = run_cli(workdir, *definition_args, *FAST, "--param", f"InputData={empty}")

    assert failed.code == 1
    process = failed.step("ProcessData")
    assert process["Status"] == "failed"
    assert process["Attempts"] == 1
    assert process["FailureReason"].startswith("AlgorithmError: exit code")
    for name in ("TrainModel", "EvaluateModel", "CheckQuality", "RegisterModel", "FailOnQuality"):
        assert failed.step(name)["Status"] == "skipped"
    assert "ProcessData: last" in failed.stdout
    log_tail = [line for line in failed.stdout.splitlines() if line.startswith("  | ")]
    assert log_tail, failed.stdout
    reason = process["FailureReason"].split(": ", 2)[-1]
    assert any(reason in line for line in log_tail)


def run_in_process(workdir: Path, definition: Path, num_round: str, faults: ScriptedFaults) -> Any:
    """Run with a fault injector through the runner API (the CLI has no injection flag)."""
    options = RunOptions(workdir=workdir, definition=definition, params=(f"NumRound={num_round}",))
    prepared = prepare(options, io.StringIO())
    return execute(prepared, options, fault_injector=faults)


def test_retryable_injected_failure_is_retried(
    workdir: Path, definition_args: tuple[str, ...]
) -> None:
    faults = ScriptedFaults({"TrainModel": ["SageMaker.JOB_INTERNAL_ERROR"]})

    result = run_in_process(workdir, Path(definition_args[1]), "61", faults)

    assert result.status == "Succeeded", result.failure_reason
    train = result.step("TrainModel")
    assert train.attempts == 2
    assert train.retries[0]["ExceptionType"] == "SageMaker.JOB_INTERNAL_ERROR"
    assert train.retries[0]["DeclaredDelaySeconds"] == 60
    assert result.step("ProcessData").status == StepStatus.CACHED


def test_non_retryable_injected_failure_is_not_retried(
    workdir: Path, definition_args: tuple[str, ...]
) -> None:
    faults = ScriptedFaults({"TrainModel": ["AlgorithmError"]})

    result = run_in_process(workdir, Path(definition_args[1]), "62", faults)

    assert result.status == "Failed"
    assert result.step("TrainModel").attempts == 1
    assert faults.calls == [("TrainModel", 1)]
    assert result.step("EvaluateModel").status == StepStatus.SKIPPED
