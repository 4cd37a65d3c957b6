"""`python -m pipeline_definition validate`: exit codes, output formats and file errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import pipeline_definition.commands.validate as validate_command
from pipeline_definition.cli import main
from project.settings import SettingsError
from testsupport.definitions import SHIPPED_DEFINITION

FIXTURE = SHIPPED_DEFINITION


def write_defective(tmp_path: Path) -> Path:
    """The shipped definition with two defects, written to a file."""
    definition = json.loads(FIXTURE.read_text())
    training = definition["Steps"][1]
    training["Arguments"]["ResourceConfig"]["InstanceCount"] = {
        "Get": "Parameters.TrainingInstanceType"
    }
    training["DependsOn"] = ["Preprocess"]
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    return path


def test_a_clean_file_exits_0_with_a_one_line_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert out == f"{FIXTURE}: 8 steps checked, 0 issues\n"


def test_issues_exit_1_one_per_line_then_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_defective(tmp_path)
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "TrainModel: Steps[1].Arguments.ResourceConfig.InstanceCount: expected integer "
        "(TrainingInstanceCount), got String parameter TrainingInstanceType",
        "TrainModel: Steps[1].DependsOn[0]: depends on step 'Preprocess', which does not exist",
        f"{path}: 8 steps checked, 2 issues",
    ]


def test_json_format_lists_the_issues(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_defective(tmp_path)
    assert main(["validate", str(path), "--format", "json"]) == 1
    captured = capsys.readouterr()
    issues: list[dict[str, Any]] = json.loads(captured.out)
    assert [(i["step"], i["path"], i["kind"]) for i in issues] == [
        ("TrainModel", "Steps[1].Arguments.ResourceConfig.InstanceCount", "wrong-type"),
        ("TrainModel", "Steps[1].DependsOn[0]", "dangling-reference"),
    ]
    assert set(issues[0]) == {"step", "path", "message", "kind", "severity"}
    assert {i["severity"] for i in issues} == {"error"}
    assert captured.err == f"{path}: 8 steps checked, 2 issues\n"


def test_json_format_of_a_clean_file_is_an_empty_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "--format", "json", str(FIXTURE)]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_reads_stdin_for_dash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(FIXTURE.read_text()))
    assert main(["validate", "-"]) == 0
    assert capsys.readouterr().out == "<stdin>: 8 steps checked, 0 issues\n"


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert main(["validate", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {missing}: no such file\n"


def test_invalid_json_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"Steps": [\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: not valid JSON: ")
    assert "(line 2, column 1)" in err


def test_a_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}: cannot read it: ")


def test_an_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(FIXTURE), "--format", "xml"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_without_a_file_it_validates_the_rendered_definition(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rendering runs the SageMaker SDK (seconds); its own tests cover it.
    monkeypatch.setattr(
        validate_command, "render_app_definition", lambda: json.loads(FIXTURE.read_text())
    )
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == "rendered definition: 8 steps checked, 0 issues\n"


def test_without_a_file_bad_settings_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = SettingsError("pipeline_name", "must match [a-zA-Z0-9](-*[a-zA-Z0-9])*")

    def refuse(environ: object) -> None:
        raise error

    monkeypatch.setattr(validate_command, "project_settings", refuse)
    assert main(["validate"]) == 2
    assert capsys.readouterr().err == f"error: {error}\n"


def write_typed_hyperparameter(tmp_path: Path) -> Path:
    """The shipped definition with a typed parameter in a hyperparameter, as ModelTrainer writes."""
    definition = json.loads(FIXTURE.read_text())
    hyperparameters = definition["Steps"][1]["Arguments"]["HyperParameters"]
    hyperparameters["num_round"] = {"Get": "Parameters.NumRound"}
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    return path


def test_a_typed_hyperparameter_fails_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_typed_hyperparameter(tmp_path)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "NumRound.to_string()" in out[0]
    assert out[-1] == f"{path}: 8 steps checked, 1 issue"


def test_sdk_typed_hyperparameters_warn_reports_a_warning_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_typed_hyperparameter(tmp_path)
    assert main(["validate", str(path), "--sdk-typed-hyperparameters=warn"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        "TrainModel: Steps[1].Arguments.HyperParameters.num_round: warning: expected string"
    )
    assert out[-1] == f"{path}: 8 steps checked, 0 issues, 1 warning"


def test_a_definition_over_the_service_limit_is_an_issue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = json.loads(FIXTURE.read_text())
    definition["Metadata"] = {"padding": "x" * 1_048_576}
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("<pipeline>: $: the definition has 1,")
    assert out[0].endswith("characters; the pipeline service accepts at most 1,048,576")
