"""What a deploy changes around the definition: resource properties, ${...} values, code files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.cli import main
from pipeline_definition.diff.intrinsics import render_template_value, simplify
from pipeline_definition.diff.markdown import format_markdown
from pipeline_definition.diff.model import MISSING
from pipeline_definition.diff.review import review
from pipeline_definition.diff.side import CodeSource, LoadedDefinition, PipelineProperties
from pipeline_definition.diff.sources import cached_code
from testsupport.definitions import SHIPPED_DEFINITION, shipped_definition

BODY = SHIPPED_DEFINITION.read_text()
CREATED_ROLE = {"Fn::GetAtt": ["ExecutionRoleCDF74862", "Arn"]}
EXISTING_ROLE = "arn:aws:iam::123456789012:role/service-role/TeamRole"
CREATED_VARIABLES: dict[str, Any] = {
    "ArtifactBucket": {"Ref": "DataStorageArtifactsE2F6E28B"},
    "DataBucket": {"Ref": "DataStorageDataE1224BFA"},
    "KmsKeyArn": {"Fn::GetAtt": ["DataStorageKey0588AACD", "Arn"]},
    "SageMakerRoleName": {
        "Fn::Select": [
            1,
            {"Fn::Split": [":role/", {"Fn::GetAtt": ["ExecutionRoleCDF74862", "Arn"]}]},
        ]
    },
}
TRAINING_CODE = "s3://${ArtifactBucket}/code/training/"


def properties(**changes: Any) -> PipelineProperties:
    """The pipeline resource as the app synthesizes it with default settings."""
    values: dict[str, Any] = {
        "name": "house-price-mlops-pipeline",
        "role_arn": CREATED_ROLE,
        "description": "House-price model: process, train, evaluate, gate, register",
        "substitutions": dict(CREATED_VARIABLES),
        "logical_id": "PipelineD808E361",
    }
    return PipelineProperties(**(values | changes))


def side(label: str, props: PipelineProperties | None, **changes: Any) -> LoadedDefinition:
    """A loaded side holding the shipped definition."""
    return LoadedDefinition(
        label, changes.pop("definition", shipped_definition()), props, **changes
    )


def deployed_definition(
    bucket: str = "house-artifacts", role: str = "house-role"
) -> dict[str, Any]:
    """The shipped definition as CloudFormation resolved it."""
    text = (
        BODY.replace("${ArtifactBucket}", bucket)
        .replace("${DataBucket}", "house-data")
        .replace("${KmsKeyArn}", "arn:aws:kms:us-east-1:123456789012:key/k")
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${SageMakerRoleName}", role)
    )
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def deployed(**changes: Any) -> PipelineProperties:
    """The deployed pipeline's properties: resolved, no Fn::Sub map."""
    values: dict[str, Any] = {
        "name": "house-price-mlops-pipeline",
        "role_arn": "arn:aws:iam::123456789012:role/house-role",
        "description": "House-price model: process, train, evaluate, gate, register",
        "display_name": "house-price-mlops-pipeline",
        "tags": {"aws:cloudformation:stack-name": "house-price-ml-pipeline"},
        "resolved": True,
    }
    return PipelineProperties(**(values | changes))


# --- deploy-time values and the pipeline resource --------------------------------------------


def test_existing_bucket_and_role_change_the_values_and_the_role() -> None:
    existing = properties(
        role_arn=EXISTING_ROLE,
        substitutions=CREATED_VARIABLES
        | {
            "ArtifactBucket": "team-bucket",
            "DataBucket": "team-bucket",
            "SageMakerRoleName": {"Fn::Select": [1, {"Fn::Split": [":role/", EXISTING_ROLE]}]},
        },
    )

    diff = review(side("old", properties()), side("new", existing))

    assert diff.has_changes
    assert [c.summary for c in diff.resource] == [
        f'RoleArn: GetAtt ExecutionRoleCDF74862.Arn -> "{EXISTING_ROLE}"'
    ]
    values = {c.path: c for c in diff.values}
    assert set(values) == {"ArtifactBucket", "DataBucket", "SageMakerRoleName"}
    assert values["ArtifactBucket"].before == "Ref DataStorageArtifactsE2F6E28B"
    assert values["ArtifactBucket"].after == '"team-bucket"'
    assert "TrainModel" in values["ArtifactBucket"].subject
    assert "parameter InputData" in values["DataBucket"].subject
    # Select(1, Split(":role/", ARN)) over a literal ARN is the role's path and name.
    assert values["SageMakerRoleName"].after == '"service-role/TeamRole"'
    assert "3 deploy-time values changed" in diff.summary()


def test_a_new_key_is_a_deploy_time_value_change() -> None:
    other_key = CREATED_VARIABLES | {"KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/team"}

    diff = review(side("old", properties()), side("new", properties(substitutions=other_key)))

    (change,) = diff.values
    assert change.summary.startswith("${KmsKeyArn} (used by ProcessData, TrainModel")
    assert change.summary.endswith(
        'GetAtt DataStorageKey0588AACD.Arn -> "arn:aws:kms:us-east-1:123456789012:key/team"'
    )


def test_values_are_compared_with_strict_placeholders_too() -> None:
    new = properties(substitutions=CREATED_VARIABLES | {"ArtifactBucket": "team-bucket"})

    diff = review(side("old", properties()), side("new", new), match_placeholders=False)

    assert [c.path for c in diff.values] == ["ArtifactBucket"]


def test_a_new_pipeline_name_is_a_replacement() -> None:
    diff = review(side("old", properties()), side("new", properties(name="churn-mlops-pipeline")))

    assert diff.replacement is not None
    assert diff.replacement.summary == (
        'PipelineName: "house-price-mlops-pipeline" -> "churn-mlops-pipeline"'
    )
    (warning,) = diff.warnings
    assert warning.startswith("REPLACEMENT: the pipeline name changes")
    assert "execution history is orphaned and deleted with it" in warning
    # The display name follows the name: one change, not two.
    assert [c.path for c in diff.resource] == ["PipelineName"]
    assert diff.summary().endswith("the pipeline is REPLACED")


def test_description_tags_and_parallelism() -> None:
    new = properties(
        description="House prices, nightly",
        tags={"team": "ml"},
        parallelism={"MaxParallelExecutionSteps": 2},
    )

    diff = review(side("old", properties(tags={"team": "data"})), side("new", new))

    assert [c.summary for c in diff.resource] == [
        'PipelineDescription: "House-price model: process, train, evaluate, gate, register" -> '
        '"House prices, nightly"',
        'ParallelismConfiguration: (not set) -> {"MaxParallelExecutionSteps": 2}',
        'Tags.team: "data" -> "ml"',
    ]
    assert diff.replacement is None


def test_deploy_time_references_match_the_deployed_values() -> None:
    old = side("deployed", deployed(), definition=deployed_definition())

    diff = review(old, side("cdk.out", properties()))

    # GetAtt/Ref name what CloudFormation created; the reserved aws: tags are its own.
    assert not diff.has_changes, diff
    assert diff.notes == ()


def test_literal_values_are_compared_with_the_deployed_ones() -> None:
    old = side("deployed", deployed(), definition=deployed_definition())
    new = properties(
        role_arn=EXISTING_ROLE,
        substitutions=CREATED_VARIABLES | {"ArtifactBucket": "team-bucket"},
    )

    diff = review(old, side("cdk.out", new))

    assert [c.path for c in diff.resource] == ["RoleArn"]
    (value,) = diff.values
    assert (value.path, value.before, value.after) == (
        "ArtifactBucket",
        '"house-artifacts"',
        '"team-bucket"',
    )


def test_strict_placeholders_report_deploy_time_references_against_deployed_values() -> None:
    old = side("deployed", deployed(), definition=deployed_definition())

    diff = review(old, side("cdk.out", properties()), match_placeholders=False)

    assert [c.path for c in diff.resource] == ["RoleArn"]


def test_a_bare_definition_side_is_noted_not_guessed() -> None:
    diff = review(
        side("definition.json", None, unknown="a bare definition file"), side("new", properties())
    )

    assert not diff.has_changes
    assert diff.resource == diff.values == ()
    assert diff.notes == ("old side (definition.json): a bare definition file; not compared",)


def test_unreadable_deployed_tags_are_noted() -> None:
    old = side("deployed", deployed(tags=None), definition=deployed_definition())

    diff = review(old, side("cdk.out", properties(tags={"team": "ml"})))

    assert "tags not compared" in diff.notes[0]


def test_template_values_in_short_form() -> None:
    assert render_template_value({"Ref": "Bucket"}) == "Ref Bucket"
    assert render_template_value(CREATED_VARIABLES["SageMakerRoleName"]) == (
        'Select(1, Split(":role/", GetAtt ExecutionRoleCDF74862.Arn))'
    )
    assert render_template_value(MISSING) == "(not set)"
    assert simplify({"Fn::Join": ["-", ["a", "b"]]}) == "a-b"
    assert simplify({"Fn::Select": [5, ["a"]]}) == {"Fn::Select": [5, ["a"]]}


# --- code bundles ----------------------------------------------------------------------------


FIT = "ml_scripts/training/fit.py"


def write_bundle(root: Path, digest: str, lines: list[str]) -> Path:
    """A staged training bundle with fit.py and an unchanged helper."""
    folder = root / "code" / "training" / digest
    (folder / "ml_scripts" / "training").mkdir(parents=True)
    (folder / FIT).write_text("\n".join(lines) + "\n")
    (folder / "ml_scripts" / "layout.py").write_text("MODEL = 'model'\n")
    return folder


def with_training_hash(digest: str) -> dict[str, Any]:
    """The shipped definition with another training code hash."""
    text = BODY
    start = text.index(TRAINING_CODE) + len(TRAINING_CODE)
    old = text[start : text.index("/", start)]
    parsed: dict[str, Any] = json.loads(text.replace(old, digest))
    return parsed


def write_cdk_out(folder: Path, digest: str, fit_lines: list[str]) -> Path:
    """A cdk.out with the pipeline at one training hash and that bundle staged."""
    body = json.dumps(with_training_hash(digest), indent=2, sort_keys=True)
    resource = {
        "Type": "AWS::SageMaker::Pipeline",
        "Properties": {
            "PipelineName": "house-price-mlops-pipeline",
            "RoleArn": CREATED_ROLE,
            "PipelineDefinition": {
                "PipelineDefinitionBody": {"Fn::Sub": [body, CREATED_VARIABLES]}
            },
        },
    }
    folder.mkdir(parents=True)
    (folder / "Stack.template.json").write_text(json.dumps({"Resources": {"P": resource}}))
    write_bundle(folder / "asset.0001", digest, fit_lines)
    return folder


FIT_LINES = ["import xgboost", "", "def fit(rounds):", "    return rounds * 2", "", "# end"]


@pytest.fixture
def bundles(tmp_path: Path) -> tuple[Path, Path]:
    """Two cdk.out folders whose training bundles differ by one line of fit.py."""
    changed = [*FIT_LINES]
    changed[3] = "    return rounds * 3"
    old = write_cdk_out(tmp_path / "old.out", "1111111111111111", FIT_LINES)
    new = write_cdk_out(tmp_path / "new.out", "2222222222222222", changed)
    return old, new


def test_a_one_line_script_change_is_shown_as_a_line_diff(
    bundles: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = bundles

    code = main(["diff", str(old), str(new)])

    out = capsys.readouterr().out
    assert code == 1
    assert "  ~ TrainModel  code bundle 'training' changed: 11111111… -> 22222222…" in out
    section = out[out.index("Code bundles:") :].splitlines()
    assert section[1:] == [
        "  ~ training  11111111… -> 22222222…: 1 file changed",
        f"    ~ {FIT}",
        f"        --- a/{FIT}",
        f"        +++ b/{FIT}",
        "        @@ -1,6 +1,6 @@",
        "         import xgboost",
        "         ",
        "         def fit(rounds):",
        "        -    return rounds * 2",
        "        +    return rounds * 3",
        "         ",
        "         # end",
    ]


def test_bundle_diff_in_markdown_and_json(
    bundles: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = bundles

    main(["diff", str(old), str(new), "--format", "markdown"])
    markdown = capsys.readouterr().out
    main(["diff", str(old), str(new), "--format", "json"])
    report = json.loads(capsys.readouterr().out)

    assert "### Code bundles changed (1)" in markdown
    assert f"- `~` `{FIT}`" in markdown
    assert "```diff" in markdown
    assert "+    return rounds * 3" in markdown
    (bundle,) = report["bundles"]
    assert (bundle["name"], bundle["old_hash"], bundle["new_hash"]) == (
        "training",
        "1111111111111111",
        "2222222222222222",
    )
    (changed,) = bundle["files"]
    assert changed["path"] == FIT
    assert "-    return rounds * 2" in changed["diff"]


def test_bundle_files_added_removed_and_binary(tmp_path: Path) -> None:
    old_folder = write_bundle(tmp_path / "old", "1111111111111111", FIT_LINES)
    new_folder = write_bundle(tmp_path / "new", "2222222222222222", FIT_LINES)
    (old_folder / "ml_scripts" / "layout.py").unlink()
    (new_folder / "ml_scripts" / "training" / "ridge.py").write_text("ALPHA = 1.0\n")
    (old_folder / "model.bin").write_bytes(b"\0\1")
    (new_folder / "model.bin").write_bytes(b"\0\2\3")
    old = side("old", None, code=CodeSource((tmp_path / "old" / "code",)))
    new = side("new", None, code=CodeSource((tmp_path / "new" / "code",)))

    diff = review(
        LoadedDefinition("old", with_training_hash("1111111111111111"), code=old.code),
        LoadedDefinition("new", with_training_hash("2222222222222222"), code=new.code),
    )

    (bundle,) = diff.bundles
    assert [(f.path, f.status, f.note) for f in bundle.files] == [
        ("ml_scripts/layout.py", "added", ""),
        ("ml_scripts/training/ridge.py", "added", ""),
        ("model.bin", "changed", "binary, 2 bytes -> 3 bytes"),
    ]
    assert bundle.files[1].diff[-1] == "+ALPHA = 1.0"


def test_a_side_without_staged_code_says_so(bundles: tuple[Path, Path], tmp_path: Path) -> None:
    _, new = bundles
    old = LoadedDefinition(
        "deployed",
        with_training_hash("1111111111111111"),
        code=CodeSource((), "the deployed pipeline's code bundles are in S3 only"),
    )
    new_side = LoadedDefinition(
        "new",
        with_training_hash("2222222222222222"),
        code=CodeSource((new / "asset.0001" / "code",)),
    )

    (bundle,) = review(old, new_side).bundles

    assert bundle.files == ()
    assert bundle.missing == "old side: the deployed pipeline's code bundles are in S3 only"


def test_a_copy_from_the_render_cache_stands_in_for_the_deployed_code(
    bundles: tuple[Path, Path], tmp_path: Path
) -> None:
    old_out, new_out = bundles
    cache = tmp_path / "render-cache"
    shutil.copytree(old_out / "asset.0001" / "code", cache / ("0" * 32) / "code")
    old = LoadedDefinition(
        "deployed", with_training_hash("1111111111111111"), code=cached_code(cache)
    )
    new = LoadedDefinition(
        "new",
        with_training_hash("2222222222222222"),
        code=CodeSource((new_out / "asset.0001" / "code",)),
    )

    (bundle,) = review(old, new).bundles

    assert [f.path for f in bundle.files] == [FIT]


def test_markdown_shows_the_replacement_resource_and_values() -> None:
    new = properties(
        name="churn-mlops-pipeline",
        substitutions=CREATED_VARIABLES | {"ArtifactBucket": "team-bucket"},
    )

    text = format_markdown(review(side("old", properties()), side("new", new)), "old", "new")

    lines = text.splitlines()
    assert "> [!CAUTION]" in lines
    assert "### Pipeline resource (1)" in lines
    assert '| `PipelineName` | `"house-price-mlops-pipeline"` | `"churn-mlops-pipeline"` |' in lines
    assert "### Deploy-time values (1)" in lines
    used_by = "| `${ArtifactBucket}` (used by parameter ChampionModelData, ProcessData"
    assert any(line.startswith(used_by) for line in lines)
