"""The executor end to end on the fake pipeline: order, branches, failures, cache, retries."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from pipeline_definition.local.definition import load_definition
from pipeline_definition.local.drivers import hyperparameters_to_cli_args
from pipeline_definition.local.faults import ScriptedFaults
from pipeline_definition.local.results import StepStatus
from pipeline_definition.local.runner import exit_code
from pipeline_definition.local.summary import summary_lines

from .local_fakes import (
    LocalRun,
    definition,
    evaluate_step,
    split_step,
    training_step,
)

FAKE_STEPS = ("Split", "Train", "Evaluate", "Check", "Register", "Fail")


def statuses(result: object) -> dict[str, str]:
    """Step name -> status text."""
    return {step.name: str(step.status) for step in result.steps}  # type: ignore[attr-defined]


def test_full_run_succeeds_and_registers(local_run: LocalRun) -> None:
    result = local_run.run()

    assert result.status == "Succeeded", result.failure_reason
    assert exit_code(result) == 0
    assert statuses(result) == {
        "Split": "succeeded",
        "Train": "succeeded",
        "Evaluate": "succeeded",
        "Check": "succeeded",
        "Register": "succeeded",
        "Fail": "not run",
    }
    assert result.step("Fail").detail == "branch not taken"
    assert result.step("Check").detail == "0.1 <= 0.5 is true -> IfSteps"

    train = result.step("Train").properties
    assert train is not None
    model_uri = train["ModelArtifacts"]["S3ModelArtifacts"]
    job = train["TrainingJobName"]
    assert model_uri.endswith(f"/Train/{job}/output/model.tar.gz")
    assert model_uri.startswith(f"s3://local-artifacts/models/{result.info.execution_id}/")
    assert train["FinalMetricDataList"][0]["Value"] == pytest.approx(0.1)
    with tarfile.open(local_run.store.path(model_uri)) as archive:
        assert sorted(archive.getnames()) == ["code", "code/inference.py", "model.json"]
        state = json.load(archive.extractfile("model.json"))  # type: ignore[arg-type]
    hyperparameters = {"rate": "0.5", "rounds": "10"}
    assert state["argv"] == hyperparameters_to_cli_args(hyperparameters)
    assert state["hps"] == {"rate": 0.5, "rounds": 10}
    assert state["rows"] == 3
    assert state["channels"] == ["train", "code", "sm_drivers"]
    assert state["cwd"].endswith("Train/sandbox/input/data/code")
    assert state["pythonpath"].endswith("Train/sandbox/input/data/code")
    assert state["job"] == job
    output = model_uri.rsplit("/", 1)[0] + "/output.tar.gz"
    assert local_run.store.exists(output)

    register = result.step("Register").properties
    assert register is not None
    assert register["ModelPackageArn"] == (
        "arn:aws:sagemaker:local:000000000000:model-package/fake-models/1"
    )
    package = local_run.workspace.registry / "fake-models" / "1" / "model-package.json"
    document = json.loads(package.read_text())
    assert document["ModelApprovalStatus"] == "PendingManualApproval"
    assert document["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == model_uri
    metrics = package.parent / "model-metrics-model-quality-statistics.json"
    assert json.loads(metrics.read_text())["regression_metrics"]["rmse"]["value"] == 0.1

    record = json.loads(result.record_path.read_text())
    assert record["Status"] == "Succeeded"
    assert record["Parameters"]["Rounds"] == 10
    assert record["Steps"][0]["Command"]["Argv"][1:3] == ["-m", "fakejobs.split"]
    assert (result.directory / "logs" / "Split.log").read_text().count("read 3 rows") == 1


def test_summary_shows_metrics_registry_and_artifacts(local_run: LocalRun) -> None:
    result = local_run.run()
    loaded = local_run.load()

    text = "\n".join(summary_lines(result, loaded, local_run.store))

    assert f"Execution {result.info.execution_id}: Succeeded" in text
    assert "Model metrics (Evaluate/Report" in text
    assert "rmse  0.1" in text
    assert "Registered: fake-models version 1 (PendingManualApproval)" in text
    assert "Evaluate/evaluation" in text
    assert "[evaluation.json, plots/]" in text
    assert "Train/model" in text


def test_fail_branch_renders_the_message(local_run: LocalRun) -> None:
    result = local_run.run(params=("Threshold=0.01",))

    assert result.status == "Failed"
    assert exit_code(result) == 1
    assert result.failed_step == "Fail"
    assert result.failure_reason == "rmse 0.1 is above 0.01"
    assert result.step("Register").status == StepStatus.NOT_RUN
    assert not (local_run.workspace.registry / "fake-models").exists()


def test_script_failure_skips_downstream_and_keeps_the_log(
    local_run: LocalRun, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")

    result = local_run.run(params=(f"InputData={empty}",))

    assert result.status == "Failed"
    split = result.step("Split")
    assert split.status == StepStatus.FAILED
    assert split.attempts == 1  # an algorithm error is not retried
    assert split.failure_reason == (
        "AlgorithmError: exit code 2: DataContractError: the input has no rows"
    )
    assert {s.name: s.status for s in result.steps if s.name != "Split"} == {
        "Train": StepStatus.SKIPPED,
        "Evaluate": StepStatus.SKIPPED,
        "Check": StepStatus.SKIPPED,
        "Register": StepStatus.SKIPPED,
        "Fail": StepStatus.SKIPPED,
    }
    assert result.step("Train").detail == "upstream Split failed"
    text = "\n".join(summary_lines(result, local_run.load(), local_run.store))
    assert "Split: last" in text
    assert "| DataContractError: the input has no rows" in text


def test_training_failure_file_is_the_reason(
    local_run: LocalRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TRAIN_FAIL", "rounds must be positive")

    result = local_run.run()

    assert result.step("Train").failure_reason == (
        "AlgorithmError: exit code 1: rounds must be positive"
    )
    assert result.step("Evaluate").status == StepStatus.SKIPPED


def test_second_run_reuses_the_cache_and_bumps_the_registry(local_run: LocalRun) -> None:
    first = local_run.run()
    second = local_run.run()

    for name in ("Split", "Train", "Evaluate"):
        step = second.step(name)
        assert step.status == StepStatus.CACHED
        assert step.cache_source == first.info.execution_id
        assert step.detail == f"cache hit from {first.info.execution_id}"
        assert step.attempts == 0
    assert second.step("Register").properties["ModelPackageVersion"] == 2  # type: ignore[index]
    assert second.registry[0].version == 2

    uncached = local_run.run(use_cache=False)
    assert uncached.step("Split").status == StepStatus.SUCCEEDED

    # Same URI, other bytes and no attribute that tells them apart: as in SageMaker, whose
    # cache key never looks at the data, a hit (the shipped definition's InputVersion does).
    local_run.data_file.write_text("x,9\n")
    changed = local_run.run()
    assert changed.step("Split").status == StepStatus.CACHED


def test_parameter_change_misses_only_the_steps_it_reaches(local_run: LocalRun) -> None:
    local_run.run()

    result = local_run.run(params=("Rounds=20",))

    assert result.step("Split").status == StepStatus.CACHED
    assert result.step("Train").status == StepStatus.SUCCEEDED
    assert result.step("Check").detail == "0.05 <= 0.5 is true -> IfSteps"


def test_retryable_failure_retries_with_backoff(local_run: LocalRun) -> None:
    faults = ScriptedFaults({"Split": ["SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR"]})
    waits: list[float] = []

    result = local_run.run(fault_injector=faults, sleep=waits.append, retry_interval_scale=1.0)

    split = result.step("Split")
    assert result.status == "Succeeded"
    assert split.attempts == 3
    assert waits == [5.0, 10.0]  # IntervalSeconds 5, BackoffRate 2
    assert [r["ExceptionType"] for r in split.retries] == [
        "SageMaker.JOB_INTERNAL_ERROR",
        "SageMaker.CAPACITY_ERROR",
    ]
    assert split.detail == "succeeded on attempt 3"
    assert any("retrying" in note for note in result.notes)


def test_retry_interval_scale_defaults_to_no_wait(local_run: LocalRun) -> None:
    waits: list[float] = []
    faults = ScriptedFaults({"Train": ["SageMaker.JOB_INTERNAL_ERROR"]})

    result = local_run.run(fault_injector=faults, sleep=waits.append)

    assert result.step("Train").attempts == 2
    assert waits == [0.0]
    assert result.step("Train").retries[0]["DeclaredDelaySeconds"] == 5.0


def test_non_retryable_and_exhausted_failures_stop(local_run: LocalRun) -> None:
    not_listed = ScriptedFaults({"Register": ["SageMaker.JOB_INTERNAL_ERROR"]})
    result = local_run.run(fault_injector=not_listed)
    # RegisterModel's policy lists only Step.* errors.
    assert result.step("Register").attempts == 1
    assert result.step("Register").status == StepStatus.FAILED

    exhausted = ScriptedFaults({"Split": ["SageMaker.CAPACITY_ERROR"] * 3})
    result = local_run.run(fault_injector=exhausted, use_cache=False)
    assert result.step("Split").attempts == 3  # MaxAttempts 2 retries after the first
    assert result.step("Split").failure_reason == "injected SageMaker.CAPACITY_ERROR on attempt 3"
    assert exhausted.calls == [("Split", 1), ("Split", 2), ("Split", 3)]


def test_independent_steps_run_in_parallel(local_run: LocalRun) -> None:
    document = definition([split_step("A", sleep=0.6), split_step("B", sleep=0.6)])

    together = local_run.run(document, use_cache=False, max_parallel=2)
    alone = local_run.run(document, use_cache=False, max_parallel=1)

    a, b = together.step("A"), together.step("B")
    assert a.started and b.started and a.ended and b.ended
    assert a.started < b.ended and b.started < a.ended  # overlapping
    a, b = alone.step("A"), alone.step("B")
    assert a.started and b.started and a.ended and b.ended
    assert a.ended <= b.started or b.ended <= a.started


def test_failure_stops_new_steps_but_not_unrelated_finished_ones(
    local_run: LocalRun, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    document = definition(
        [split_step("A"), split_step("B", depends_on=["A"]), training_step(source="A")]
    )

    result = local_run.run(document, params=(f"InputData={empty}",))

    assert result.step("A").status == StepStatus.FAILED
    assert result.step("B").detail == "upstream A failed"
    assert result.step("Train").detail == "upstream A failed"


def test_processing_max_runtime(local_run: LocalRun) -> None:
    document = definition([split_step(sleep=5, max_runtime=1)])

    result = local_run.run(document)

    assert result.status == "Failed"
    assert "MaxRuntimeExceeded" in (result.step("Split").failure_reason or "")


def test_property_file_missing_fails_the_condition(local_run: LocalRun) -> None:
    document = definition([split_step(), training_step(), evaluate_step()])
    document["Steps"][2]["PropertyFiles"][0]["FilePath"] = "missing.json"
    document["Steps"].append(
        {
            "Name": "Check",
            "Type": "Condition",
            "Arguments": {
                "Conditions": [
                    {
                        "Type": "GreaterThan",
                        "LeftValue": {
                            "Std:JsonGet": {
                                "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Report"},
                                "Path": "a",
                            }
                        },
                        "RightValue": 1,
                    }
                ],
                "IfSteps": [],
                "ElseSteps": [],
            },
        }
    )

    result = local_run.run(document)

    check = result.step("Check")
    assert check.status == StepStatus.FAILED
    assert "missing.json does not exist" in (check.failure_reason or "")


def test_definition_loads_with_local_placeholder_values(local_run: LocalRun) -> None:
    loaded = load_definition(json.dumps(definition()))

    assert loaded.code_uris() == [
        "s3://local-artifacts/code/fake/v1/",
        "s3://local-artifacts/code/sm_drivers/v1/",
    ]
    assert [s for s in FAKE_STEPS if s in loaded.nodes] == list(FAKE_STEPS)


def test_an_empty_fail_message_is_still_the_execution_reason(local_run: LocalRun) -> None:
    document = definition([{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": ""}}])

    result = local_run.run(document)

    assert result.status == "Failed"
    assert result.failed_step == "Stop"
    assert result.failure_reason == ""
