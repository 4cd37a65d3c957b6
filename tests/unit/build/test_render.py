"""Rendering the definition: offline, deterministic, content-addressed, size-checked."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import pytest_socket

from pipeline_definition.build.config import PipelineConfig
from pipeline_definition.build.render import (
    LONGEST_PARTITION,
    LONGEST_VALUES,
    MAX_DEFINITION_CHARACTERS,
    DefinitionTooLargeError,
    RenderedDefinition,
    check_size,
    render_definition,
    resolved_length,
)
from pipeline_definition.model import placeholders
from project.paths import ML_SCRIPTS_DIR


def _config(ml_scripts_dir: Path) -> PipelineConfig:
    return PipelineConfig(
        pipeline_name="unit-test-pipeline",
        region="us-east-1",
        model_package_group_name="unit-test-models",
        sample_data_key="data/sample/house_data.csv",
        ml_scripts_dir=ml_scripts_dir,
    )


def _code_uris(definition: dict[str, Any]) -> dict[str, str]:
    """Map each code bundle name to its URI."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, str) and node.startswith("s3://${ArtifactBucket}/code/"):
            found[node.split("/")[4]] = node
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(definition)
    return found


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the real ML scripts that tests may edit."""
    copy = tmp_path_factory.mktemp("scripts") / "ml_scripts"
    shutil.copytree(ML_SCRIPTS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture(scope="module")
def rendered(scripts: Path, tmp_path_factory: pytest.TempPathFactory) -> RenderedDefinition:
    pytest_socket.disable_socket()
    try:
        return render_definition(_config(scripts), tmp_path_factory.mktemp("staging"))
    finally:
        pytest_socket.enable_socket()


def test_render_is_deterministic(
    rendered: RenderedDefinition, scripts: Path, tmp_path: Path
) -> None:
    again = render_definition(_config(scripts), tmp_path / "other-staging")
    assert again.body == rendered.body
    assert again.code_keys == rendered.code_keys


def test_rerender_of_unchanged_code_gives_identical_step_arguments(
    rendered: RenderedDefinition, scripts: Path, tmp_path: Path
) -> None:
    # Step caching compares arguments: they must not drift between renders of the same code.
    again = render_definition(_config(scripts), tmp_path / "staging").definition
    before = {step["Name"]: step for step in rendered.definition["Steps"]}
    after = {step["Name"]: step for step in again["Steps"]}
    assert before.keys() == after.keys()
    for name, step in before.items():
        assert after[name]["Arguments"] == step["Arguments"], name
        assert after[name].get("CacheConfig") == step.get("CacheConfig"), name


def test_definition_names_no_timestamps_or_job_names(rendered: RenderedDefinition) -> None:
    body = rendered.body
    # SageMaker names each job (with a timestamp): no step sets one, and the only mentions are
    # EvaluateModel's references to the upstream jobs' names, for its run report.
    assert '"TrainingJobName":' not in body
    assert '"ProcessingJobName":' not in body
    assert set(re.findall(r'"Get": "([^"]*JobName)"', body)) == {
        "Steps.ProcessData.ProcessingJobName",
        "Steps.TrainModel.TrainingJobName",
    }
    assert "/tmp" not in body
    assert str(Path.home()) not in body


def test_every_code_uri_is_staged(rendered: RenderedDefinition) -> None:
    uris = _code_uris(rendered.definition)
    assert set(uris) == {"processing", "training", "evaluation", "sm_drivers", "no-champion"}
    for uri in uris.values():
        key = uri.removeprefix("s3://${ArtifactBucket}/")
        assert (rendered.staging_dir / key).exists()


def test_changing_a_script_changes_only_the_steps_that_ship_it(
    rendered: RenderedDefinition, scripts: Path, tmp_path: Path
) -> None:
    edited = tmp_path / "ml_scripts"
    shutil.copytree(scripts, edited)
    train_script = edited / "training" / "train.py"
    train_script.write_bytes(train_script.read_bytes() + b"\n# one more byte\n")

    after = render_definition(_config(edited), tmp_path / "staging")
    before_uris, after_uris = _code_uris(rendered.definition), _code_uris(after.definition)
    assert after.body != rendered.body
    assert after_uris["training"] != before_uris["training"]
    # The drivers no longer name the training bundle (sourcecode.json's source_dir is blank).
    assert after_uris["sm_drivers"] == before_uris["sm_drivers"]
    assert after_uris["processing"] == before_uris["processing"]
    assert after_uris["evaluation"] == before_uris["evaluation"]


def test_rerendering_clears_stale_bundles(scripts: Path, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    stale = staging / "code" / "training" / "0123456789abcdef"
    stale.mkdir(parents=True)
    render_definition(_config(scripts), staging)
    assert not stale.exists()


def test_body_is_sorted_and_indented_json(rendered: RenderedDefinition) -> None:
    assert rendered.body == json.dumps(rendered.definition, indent=2, sort_keys=True) + "\n"


def test_oversized_definition_fails_with_the_limit_in_the_message() -> None:
    check_size("x" * MAX_DEFINITION_CHARACTERS)
    with pytest.raises(DefinitionTooLargeError, match="1,048,576"):
        check_size("x" * (MAX_DEFINITION_CHARACTERS + 1))


def test_size_guard_counts_each_placeholder_at_its_longest_value() -> None:
    # Fn::Sub grows the body before SageMaker checks it: a body under the limit as rendered
    # can be over it once a role path of 575 characters replaces each ${SageMakerRoleName}.
    role = placeholders.ref(placeholders.ROLE_NAME)
    body = '"' + role * (MAX_DEFINITION_CHARACTERS // (len(role) + 1)) + '"'
    assert len(body) <= MAX_DEFINITION_CHARACTERS
    assert resolved_length(body) > MAX_DEFINITION_CHARACTERS
    with pytest.raises(DefinitionTooLargeError, match="once CloudFormation substitutes"):
        check_size(body)


def test_longest_values_cover_every_placeholder_and_partition() -> None:
    assert set(LONGEST_VALUES) == set(placeholders.VARIABLES) | set(placeholders.PSEUDO_PARAMETERS)
    partitions = botocore.session.get_session().get_available_partitions()
    assert LONGEST_PARTITION in partitions
    assert max(len(partition) for partition in partitions) == len(LONGEST_PARTITION)


def test_shipped_definition_resolves_far_below_the_limit(rendered: RenderedDefinition) -> None:
    assert resolved_length(rendered.body) > len(rendered.body)
    assert resolved_length(rendered.body) < MAX_DEFINITION_CHARACTERS // 10


def test_staged_json_files_hold_no_unresolved_placeholder(rendered: RenderedDefinition) -> None:
    # Only the definition body goes through Fn::Sub; staged files ship byte for byte.
    staged_json = sorted((rendered.staging_dir / "code").rglob("*.json"))
    assert any(path.name == "sourcecode.json" for path in staged_json)
    for path in staged_json:
        assert "${" not in path.read_text(), path


def test_drivers_sourcecode_keeps_the_entry_script_and_blanks_the_source_dir(
    rendered: RenderedDefinition,
) -> None:
    (source_code_file,) = (rendered.staging_dir / "code" / "sm_drivers").glob("*/sourcecode.json")
    source_code = json.loads(source_code_file.read_text())
    assert source_code["source_dir"] is None
    assert source_code["entry_script"] == "ml_scripts/training/train.py"
    assert source_code["requirements"] is None


def test_the_staged_drivers_read_only_the_entry_script_from_sourcecode_json(
    rendered: RenderedDefinition,
) -> None:
    # Why blanking source_dir is safe: no driver the job runs reads it.
    (drivers,) = (rendered.staging_dir / "code" / "sm_drivers").glob("*/")
    code = {path: path.read_text() for path in drivers.rglob("*") if path.suffix in {".py", ".sh"}}
    assert not [path for path, text in code.items() if "source_dir" in text]
    keys = {
        key
        for text in code.values()
        for key in re.findall(r"source_code(?:\.get\(|\[)\s*[\"']([a-z_]+)[\"']", text)
    }
    assert keys == {"entry_script"}
