"""`python -m pipeline_definition diff`: output formats, exit codes and sources end to end."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pipeline_definition.cli import main
from pipeline_definition.diff import markdown as diff_markdown
from pipeline_definition.diff.compare import diff_definitions
from pipeline_definition.diff.formatting import MARKER, format_markdown
from project.paths import PROJECT_ROOT
from testsupport.corpus.catalogue import step
from testsupport.definitions import SHIPPED_DEFINITION

FIXTURE = SHIPPED_DEFINITION

Mutation = Callable[[dict[str, Any]], None]


def write_variant(tmp_path: Path, mutate: Mutation, name: str = "new.json") -> Path:
    """Write a copy of the fixture changed by `mutate`."""
    definition = json.loads(FIXTURE.read_text())
    mutate(definition)
    path = tmp_path / name
    path.write_text(json.dumps(definition, indent=2))
    return path


def deeper_trees(definition: dict[str, Any]) -> None:
    """MaxDepth 6 by default and max_depth 8 for training."""
    for parameter in definition["Parameters"]:
        if parameter["Name"] == "MaxDepth":
            parameter["DefaultValue"] = 6
    step(definition, "TrainModel")["Arguments"]["HyperParameters"]["max_depth"] = "8"


def run_diff(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return exit code, stdout and stderr."""
    code = main(["diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- exit codes ------------------------------------------------------------------------------


def test_no_change_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_diff(capsys, str(FIXTURE), str(FIXTURE))

    assert code == 0
    assert "no changes" in out
    assert err == ""


def test_changes_exit_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run_diff(capsys, str(FIXTURE), str(write_variant(tmp_path, deeper_trees)))

    assert code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json", "FIXTURE"], "'missing.json' is not a file, a folder, a git ref"),
        (["FIXTURE", "BAD"], "not valid JSON"),
        (["FIXTURE", "DUPLICATE"], "two steps named 'TrainModel'"),
    ],
)
def test_errors_exit_two_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("{oops")
    duplicate = write_variant(tmp_path, lambda d: d["Steps"].append(d["Steps"][1]), "dup.json")
    paths = {"FIXTURE": str(FIXTURE), "BAD": "bad.json", "DUPLICATE": str(duplicate)}

    code, out, err = run_diff(capsys, *(paths.get(a, a) for a in args))

    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert message in err


def test_bad_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["diff", str(FIXTURE), str(FIXTURE), "--format", "yaml"])

    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_module_entry_point_exit_code(tmp_path: Path) -> None:
    new = write_variant(tmp_path, deeper_trees)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline_definition", "diff", str(FIXTURE), str(new)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert "~ MaxDepth  default: 4 -> 6" in result.stdout


# --- formats ---------------------------------------------------------------------------------


def test_text_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(definition: dict[str, Any]) -> None:
        deeper_trees(definition)
        definition["Steps"].append({"Name": "Notify", "Type": "Lambda", "Arguments": {}})

    new = write_variant(tmp_path, change)

    _, out, _ = run_diff(capsys, str(FIXTURE), str(new))

    assert out.splitlines() == [
        f"Pipeline definition diff: {FIXTURE} -> {new}",
        "1 step changed, 1 added; 1 parameter changed",
        "",
        "Steps:",
        "  + Notify (Lambda)",
        '  ~ TrainModel  hyperparameter max_depth: Std:Join("", Parameters.MaxDepth) -> "8"',
        "",
        "Parameters:",
        "  ~ MaxDepth  default: 4 -> 6",
        "",
        "Not compared:",
        "  - both sides: a bare definition file holds no pipeline resource: its name, role, "
        "description, tags, parallelism and ${...} values are unknown; not compared",
    ]


def test_markdown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(definition: dict[str, Any]) -> None:
        deeper_trees(definition)
        specification = step(definition, "ProcessData")["Arguments"]["AppSpecification"]
        specification["ContainerArguments"] += ["--min-rows", "100", "--on-error", "a|b"]
        definition["Steps"] = [s for s in definition["Steps"] if s["Name"] != "EvaluateModel"]

    new = write_variant(tmp_path, change)

    code, out, _ = run_diff(capsys, str(FIXTURE), str(new), "--format", "markdown")

    lines = out.splitlines()
    assert code == 1
    assert lines[0] == MARKER
    assert lines[1].startswith("## ")
    assert "**2 steps changed, 1 removed; 1 parameter changed**" in lines[3]
    assert "### Steps removed (1)" in lines
    assert "| `EvaluateModel` | Processing |" in lines
    assert "<details><summary>EvaluateModel definition</summary>" in lines
    assert "#### `TrainModel` (Training)" in lines
    assert '| hyperparameter max_depth | `Std:Join("", Parameters.MaxDepth)` | `"8"` |' in lines
    assert "| `MaxDepth` | default | `4` | `6` |" in lines
    # The long argument list is cut in the table and shown whole in a collapsed block.
    assert any("(full values below)" in line for line in lines)
    assert (
        "<details><summary>ProcessData (in CheckInstanceLimits.IfSteps): "
        "<code>Arguments.AppSpecification.ContainerArguments</code></summary>" in lines
    )
    assert '  "a|b"' in lines
    # A pipe inside a table cell must not split the cell.
    table_rows = [line for line in lines if line.startswith("| ")]
    assert all("a|b" not in row for row in table_rows)


def test_markdown_without_changes_keeps_the_marker() -> None:
    definition = json.loads(FIXTURE.read_text())
    text = format_markdown(diff_definitions(definition, definition), "git:base", "git:head")

    assert text.splitlines()[0] == MARKER
    assert "No step, parameter or pipeline-level change." in text


def test_markdown_stays_within_a_comment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diff_markdown, "MAX_MARKDOWN", 1500)
    old = json.loads(FIXTURE.read_text())
    new = copy.deepcopy(old)
    new["Steps"] = [{**s, "Name": s["Name"] + "V2"} for s in new["Steps"]]

    text = format_markdown(diff_definitions(old, new), "old", "new")

    assert len(text) <= 1500 + 200
    assert text.startswith(MARKER)
    assert "<details>" not in text


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = write_variant(tmp_path, deeper_trees)

    code, out, _ = run_diff(capsys, str(FIXTURE), str(new), "--format", "json")

    report = json.loads(out)
    assert code == 1
    assert report["changed"] is True
    assert report["counts"]["steps_changed"] == 1
    assert report["counts"]["parameters_changed"] == 1
    (train,) = report["steps"]
    assert train["name"] == "TrainModel"
    (change,) = train["changes"]
    assert change == {
        "path": "Arguments.HyperParameters.max_depth",
        "status": "changed",
        "category": "hyperparameter",
        "summary": 'hyperparameter max_depth: Std:Join("", Parameters.MaxDepth) -> "8"',
        "old": {"Std:Join": {"On": "", "Values": [{"Get": "Parameters.MaxDepth"}]}},
        "new": "8",
    }


# --- sources end to end ----------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    """Run git in `repo` with a fixed identity."""
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        capture_output=True,
        check=True,
    )


def test_git_refs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    package = repo / "pipeline_definition"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    # A stand-in renderer: copies the definition committed beside it to --out.
    (package / "__main__.py").write_text(
        "import shutil, sys\n"
        "shutil.copy('definition.json', sys.argv[sys.argv.index('--out') + 1])\n"
    )
    (repo / "definition.json").write_text(FIXTURE.read_text())
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "base")
    git(repo, "tag", "base")
    write_variant(repo, deeper_trees, "definition.json")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-am", "head")
    monkeypatch.chdir(repo)

    code, out, err = run_diff(capsys, "base", "git:main", "--format", "markdown", "--render-only")

    assert code == 1, err
    assert "`git:base (" in out
    assert "| `MaxDepth` | default | `4` | `6` |" in out
    assert "- both sides: rendered, not synthesized (--render-only)" in out


def test_deployed_against_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # CloudFormation resolved the placeholders of what was deployed.
    deployed = (
        FIXTURE.read_text()
        .replace("${ArtifactBucket}", "house-artifacts")
        .replace("${DataBucket}", "house-data")
        .replace("${KmsKeyArn}", "arn:aws:kms:eu-west-1:123456789012:key/k")
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${SageMakerRoleName}", "house-role")
    )
    new = write_variant(tmp_path, deeper_trees)

    with mock_aws():
        boto3.client("sagemaker", region_name="eu-west-1").create_pipeline(
            PipelineName="house-pipeline",
            PipelineDefinition=deployed,
            RoleArn="arn:aws:iam::123456789012:role/house-role",
            ClientRequestToken="create-house-pipeline-for-the-diff-cli-test",
        )
        same, _, _ = run_diff(capsys, "deployed", str(FIXTURE), "--pipeline-name", "house-pipeline")
        changed, out, _ = run_diff(
            capsys, "deployed", str(new), "--pipeline-name", "house-pipeline"
        )
        strict, _, _ = run_diff(
            capsys,
            "deployed",
            str(FIXTURE),
            "--pipeline-name",
            "house-pipeline",
            "--strict-placeholders",
        )
        missing, _, err = run_diff(capsys, "deployed", str(FIXTURE), "--pipeline-name", "nope")

    assert same == 0
    assert changed == 1
    assert out.splitlines()[1] == "1 step changed; 1 parameter changed"
    assert strict == 1
    assert missing == 2
    assert "pipeline 'nope' not found in eu-west-1" in err
