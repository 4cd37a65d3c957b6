"""The definition and the scripts agree: what the pipeline passes and reads is what the
scripts expect and write (checked against the shipped definition, not against the constants)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from ml_scripts import layout
from ml_scripts.common.io import read_json
from ml_scripts.evaluation.evaluate import run_evaluation
from ml_scripts.training.hyperparameters import Hyperparameters, merge_hyperparameters
from pipeline_definition.build.parameters import pipeline_parameters
from project.paths import ML_SCRIPTS_DIR
from testsupport.definitions import shipped_definition


def _step(definition: dict[str, Any], name: str) -> dict[str, Any]:
    """A top-level or branch step by name (ProcessData runs in CheckInstanceLimits' branch)."""
    pending = list(definition["Steps"])
    while pending:
        step: dict[str, Any] = pending.pop()
        if step["Name"] == name:
            return step
        arguments = step.get("Arguments", {})
        pending += [*arguments.get("IfSteps", []), *arguments.get("ElseSteps", [])]
    raise KeyError(name)


def _gate_condition(definition: dict[str, Any]) -> dict[str, Any]:
    condition: dict[str, Any] = _step(definition, "CheckQuality")["Arguments"]["Conditions"][0]
    return condition


def test_training_defaults_equal_the_pipeline_parameter_defaults() -> None:
    parameters = pipeline_parameters("s3://bucket/data.csv", "s3://bucket/NO_CHAMPION.json")
    defaults = Hyperparameters()
    assert (defaults.max_depth, defaults.eta, defaults.num_round) == (
        parameters.max_depth.default_value,
        parameters.eta.default_value,
        parameters.num_round.default_value,
    )


def test_the_hyperparameters_the_definition_passes_by_default_are_the_script_defaults() -> None:
    definition = shipped_definition()
    defaults = {p["Name"]: p["DefaultValue"] for p in definition["Parameters"]}
    passed = _step(definition, "TrainModel")["Arguments"]["HyperParameters"]
    # Each value is Join("", [Parameters.X]); SageMaker hands the script the string.
    values = {
        key: str(defaults[value["Std:Join"]["Values"][0]["Get"].removeprefix("Parameters.")])
        for key, value in passed.items()
    }
    hp, ignored = merge_hyperparameters(values)
    assert ignored == []
    assert set(values) == {"max_depth", "eta", "num_round"}
    assert hp == Hyperparameters()


def test_the_gate_reads_the_metric_evaluation_writes(
    model_dir: Path, processed_dir: Path, tmp_path: Path
) -> None:
    definition = shipped_definition()
    property_file = _step(definition, "EvaluateModel")["PropertyFiles"][0]
    json_get = _gate_condition(definition)["LeftValue"]["Std:JsonGet"]

    written = run_evaluation(model_dir, processed_dir / "test", tmp_path)

    report = read_json(tmp_path / property_file["FilePath"])
    value: Any = report
    for key in json_get["Path"].split("."):
        value = value[key]
    assert isinstance(value, float)
    assert value == written["regression_metrics"]["rmse"]["value"]
    assert report["quality_gate_metric"] == json_get["Path"]


def test_processing_writes_one_folder_per_output_the_definition_collects(
    processed_dir: Path,
) -> None:
    definition = shipped_definition()
    outputs = _step(definition, "ProcessData")["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    collected = {o["OutputName"]: o["S3Output"]["LocalPath"] for o in outputs}
    assert collected == {name: f"/opt/ml/processing/output/{name}" for name in collected}
    assert {p.name for p in processed_dir.iterdir()} == set(collected)
    # The transform needs every training row, so training fits it (and ships it in the model).
    assert not list(processed_dir.rglob(layout.TRANSFORM_FILE))


def test_training_channels_are_processing_outputs_of_the_same_name() -> None:
    config = _step(shipped_definition(), "TrainModel")["Arguments"]["InputDataConfig"]
    # The code and driver channels are staged objects (plain URIs); the data channels are not.
    sources = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"]
        for c in config
        if not isinstance(c["DataSource"]["S3DataSource"]["S3Uri"], str)
    }
    assert sources == {
        name: {"Get": f"Steps.ProcessData.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"}
        for name in ("train", "validation")
    }


def test_layout_imports_nothing_and_parses_as_python_3_10() -> None:
    tree = ast.parse((ML_SCRIPTS_DIR / "layout.py").read_text(), feature_version=(3, 10))
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert imports == []
