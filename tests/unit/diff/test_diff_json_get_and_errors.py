"""diff: JsonGet references read with their step in text and markdown; errors exit 2, never 1
(which means "changes")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import pipeline_definition.commands.diff as diff_command
from pipeline_definition.cli import main
from pipeline_definition.diff.compare import diff_definitions
from pipeline_definition.diff.formatting import format_markdown, format_text
from pipeline_definition.diff.values import render_expression
from testsupport.definitions import SHIPPED_DEFINITION, shipped_definition

CHECK = 3


def gate_reference(definition: dict[str, Any]) -> dict[str, Any]:
    """The quality gate's PropertyFile reference (a `Get` of the property file)."""
    condition = definition["Steps"][CHECK]["Arguments"]["Conditions"][0]
    reference: dict[str, Any] = condition["LeftValue"]["Std:JsonGet"]["PropertyFile"]
    return reference


def repointed() -> dict[str, Any]:
    """The gate reads the same file name from another step: ProcessData instead."""
    definition = shipped_definition()
    gate_reference(definition)["Get"] = "Steps.ProcessData.PropertyFiles.EvaluationReport"
    return definition


@pytest.mark.parametrize("formatter", [format_text, format_markdown])
def test_a_repointed_json_get_reads_differently_before_and_after(formatter: Any) -> None:
    report = formatter(diff_definitions(shipped_definition(), repointed()), "old", "new")
    assert "Std:JsonGet(EvaluateModel.EvaluationReport, regression_metrics.rmse.value)" in report
    assert "Std:JsonGet(ProcessData.EvaluationReport, regression_metrics.rmse.value)" in report
    assert "null" not in report


def test_a_json_get_of_an_s3_uri_names_the_uri_not_null() -> None:
    expression = {
        "Std:JsonGet": {
            "S3Uri": {"Std:Join": {"On": "/", "Values": ["s3://b", {"Get": "Steps.Fn.Name"}]}},
            "Path": "Result",
        }
    }
    assert render_expression(expression) == (
        'Std:JsonGet(Std:Join("/", "s3://b", Steps.Fn.Name), Result)'
    )


def test_an_unexpected_failure_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("Steps")

    monkeypatch.setattr(diff_command, "review", broken)
    new = tmp_path / "new.json"
    new.write_text(json.dumps(copy.deepcopy(repointed())))
    assert main(["diff", str(SHIPPED_DEFINITION), str(new)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: diff failed: KeyError: 'Steps'\n"
