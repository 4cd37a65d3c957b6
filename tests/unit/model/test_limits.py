"""Deep or huge definitions: one clear error in validate, diff and run-local, never a
RecursionError (about 330 nested conditions used to end in one in all three commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.check.validate import validate_definition
from pipeline_definition.cli import main
from pipeline_definition.model.limits import (
    MAX_CHARACTERS,
    MAX_NESTING,
    DefinitionLimitError,
    check_document,
    document_nesting,
    parse_definition_text,
    text_nesting,
)
from testsupport.definitions import SHIPPED_DEFINITION, shipped_definition

CHECK = 3


def nested_conditions(levels: int) -> dict[str, Any]:
    """The shipped definition with its quality gate (9 levels deep) wrapped in `levels` Ors."""
    definition = shipped_definition()
    conditions = definition["Steps"][CHECK]["Arguments"]["Conditions"]
    condition = conditions[0]
    for _ in range(levels):
        condition = {"Type": "Or", "Conditions": [condition]}
    conditions[0] = condition
    return definition


def deep_text(levels: int) -> str:
    """A definition text `levels` condition levels deep, written without recursion."""
    shipped = SHIPPED_DEFINITION.read_text()
    gate = json.dumps(shipped_definition()["Steps"][CHECK]["Arguments"]["Conditions"][0])
    wrapped = '{"Type": "Or", "Conditions": [' * levels + gate + "]}" * levels
    definition = json.loads(shipped)
    definition["Steps"][CHECK]["Arguments"]["Conditions"][0] = "@GATE@"
    return json.dumps(definition).replace('"@GATE@"', wrapped)


def test_the_shipped_definition_is_well_within_the_limit() -> None:
    depth = text_nesting(SHIPPED_DEFINITION.read_text())
    assert depth == document_nesting(shipped_definition()) == 15
    assert depth < MAX_NESTING


def test_brackets_inside_strings_do_not_count() -> None:
    assert text_nesting('{"a": "[[[[{{{{", "b": ["\\"]]]"]}') == 2


def test_nesting_is_measured_the_same_from_text_and_document() -> None:
    definition = nested_conditions(40)
    assert text_nesting(json.dumps(definition)) == document_nesting(definition) == 9 + 2 * 40


@pytest.mark.parametrize("levels", [330, 5000])
def test_a_deep_text_is_refused_before_it_is_parsed(levels: int) -> None:
    with pytest.raises(DefinitionLimitError, match=r"nests objects and lists \d+ levels deep"):
        parse_definition_text(deep_text(levels), "deep.json")


def test_a_huge_text_is_refused_before_it_is_parsed() -> None:
    text = '{"Steps": [], "Metadata": {"x": "' + "a" * MAX_CHARACTERS + '"}}'
    with pytest.raises(DefinitionLimitError, match="at most 1,048,576"):
        parse_definition_text(text, "huge.json")


def test_a_deep_document_gives_one_validation_issue() -> None:
    definition = nested_conditions(330)
    with pytest.raises(DefinitionLimitError):
        check_document(definition)
    (issue,) = validate_definition(definition)
    assert (issue.path, issue.kind) == ("$", "out-of-range")
    assert "669 levels deep" in issue.message


@pytest.fixture
def deep_file(tmp_path: Path) -> Path:
    path = tmp_path / "deep.json"
    path.write_text(deep_text(330))
    return path


def test_validate_exits_2_with_one_line(
    deep_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(deep_file)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "levels deep" in captured.err


def test_diff_exits_2_not_1(deep_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(SHIPPED_DEFINITION), str(deep_file)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "levels deep" in captured.err


def test_run_local_refuses_it_before_anything_runs(
    deep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    code = ["run-local", "--definition", str(deep_file), "--workdir", str(work)]
    assert main([*code, "--pipeline-name", "deep"]) == 2
    captured = capsys.readouterr()
    assert "levels deep" in captured.err
    assert not (work / "executions").exists()
