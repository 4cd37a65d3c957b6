"""`python -m pipeline_definition run-local` on fake definitions: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.cli import main

from .local_fakes import body, definition, split_step, write_code


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A definition file with its staged code beside it (`code/`), and input data."""
    write_code(tmp_path / "render" / "code")
    data = tmp_path / "data.csv"
    data.write_text("a,1\nb,2\n")
    return {"dir": tmp_path, "data": data}


def run_local(files: dict[str, Path], document: dict[str, Any], *args: str) -> int:
    path = files["dir"] / "render" / "definition.json"
    path.write_text(body(document))
    return main(
        [
            "run-local",
            "--definition",
            str(path),
            "--workdir",
            str(files["dir"] / "work"),
            "--pipeline-name",
            "fake-pipeline",
            *args,
        ]
    )


def test_success_prints_progress_and_summary(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_local(files, definition(), "--input-data", str(files["data"]), "--param", "Rounds=4")

    out = capsys.readouterr().out
    assert code == 0
    assert "Split                succeeded in" in out
    assert "Fail                 not run - branch not taken" in out
    assert ": Succeeded in" in out
    assert "rmse  0.25" in out
    assert "Registered: fake-models version 1 (PendingManualApproval)" in out
    record = sorted((files["dir"] / "work" / "executions").glob("*/execution.json"))[0]
    assert json.loads(record.read_text())["Parameters"]["Rounds"] == 4


def test_fail_branch_exits_non_zero(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_local(
        files, definition(), "--param", "Threshold=0.001", "--input-data", str(files["data"])
    )

    out = capsys.readouterr().out
    assert code == 1
    assert "failure: rmse 0.1 is above 0.001" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--param", "Rounds=many"), "Rounds is an Integer parameter; 'many' is not an integer"),
        (("--param", "Approval=Yes"), "Approval must be one of"),
        (("--param", "Round=3"), "unknown parameter Round (did you mean Rounds?)"),
        (("--param", "Rounds"), "--param: expected Name=Value, got 'Rounds'"),
        (("--param", "InputData=s3://local-data/none.csv"), "nothing there in the local store"),
        (("--param", "InputData=/no/such/file.csv"), "no such local file or folder"),
        (("--param", "InputData=s3://x/y", "--input-data", "d.csv"), "both choose the input"),
        (("--code-dir", "/no/such/dir"), "is not a folder; pass --code-dir"),
        (("--pipeline-name", "bad name"), "not a valid SageMaker pipeline name"),
    ],
)
def test_user_errors_exit_2_with_a_clear_message(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    assert run_local(files, definition(), *args) == 2
    assert message in capsys.readouterr().err


def test_unsupported_steps_and_cycles_stop_before_running(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    document = definition(
        [
            split_step("A", depends_on=["B"]),
            split_step("B", depends_on=["A"]),
            {"Name": "Tune", "Type": "Tuning", "Arguments": {}},
            {"Name": "Notify", "Type": "Lambda", "Arguments": {}},
        ]
    )

    assert run_local(files, document) == 2

    err = capsys.readouterr().err
    assert "step 'Tune' (Tuning) cannot run locally: SageMaker's tuner chooses" in err
    assert "step 'Notify' (Lambda) has no FunctionArn" in err
    assert "cycle: A -> B -> A" in err
    assert not (files["dir"] / "work" / "executions").exists()


def test_json_prints_one_object_on_stdout_and_the_progress_on_stderr(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_local(files, definition(), "--input-data", str(files["data"]), "--json")

    captured = capsys.readouterr()
    record = json.loads(captured.out)
    assert captured.out.count("\n") == 1
    assert code == record["exit_code"] == 0
    assert record["status"] == "Succeeded"
    assert [step["name"] for step in record["steps"]] == [
        "Split",
        "Train",
        "Evaluate",
        "Check",
        "Register",
        "Fail",
    ]
    assert record["steps"][3]["detail"] == "0.1 <= 0.5 is true -> IfSteps"
    (metrics,) = record["metrics"]
    assert metrics["source"] == "Evaluate/Report"
    assert metrics["values"]["rmse"] == 0.1
    assert Path(metrics["file"]).is_file()
    (entry,) = record["registry"]
    assert (entry["group"], entry["version"], entry["approval_status"]) == (
        "fake-models",
        1,
        "PendingManualApproval",
    )
    assert Path(record["record"]).is_file()
    assert "Split                succeeded in" in captured.err


def test_json_reports_a_failed_run_and_its_reason(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_local(
        files,
        definition(),
        "--param",
        "Threshold=0.001",
        "--input-data",
        str(files["data"]),
        "--json",
    )

    record = json.loads(capsys.readouterr().out)
    assert code == record["exit_code"] == 1
    assert record["status"] == "Failed"
    assert record["failure_reason"] == "rmse 0.1 is above 0.001"
    assert record["failed_step"] == "Fail"


def test_json_errors_are_one_object_too(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_local(files, definition(), "--param", "Round=3", "--json")

    captured = capsys.readouterr()
    assert code == 2
    record = json.loads(captured.out)
    assert record["exit_code"] == 2
    assert record["error"].startswith("unknown parameter Round (did you mean Rounds?)\n")
    assert "  Rounds (Integer, default 10)" in record["error"]
    assert captured.err.startswith("error: unknown parameter Round")
