"""Champion against challenger on a laptop: the whole loop of the deployed pipeline, locally.

Run 1 registers version 1 (no champion yet); approving it makes it the champion; run 2, with a
deliberately worse hyperparameter (NumRound=60: early stopping never gets to the rounds it
needs), fails the gate with a message naming the champion's RMSE, although its own RMSE is
within the threshold; run 3, with the default parameters, reuses run 1's training from the cache,
scores the same as the champion and registers version 2, and the summary says that it is the
same model as version 1. One workdir for the module; the real definition and ml_scripts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.local.store import LocalObjectStore
from testsupport.run_local import Run, run_command

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

GROUP = "house-price-models"
# The test RMSE of the default model on the embedded data (bench/RESULTS.md).
DEFAULT_RMSE = 0.1196349712961185


def cli(workdir: Path, *args: str) -> Run:
    """`python -m pipeline_definition ARGS --workdir WORKDIR` in a subprocess."""
    return run_command(workdir, *args, timeout=400)


def evaluation(workdir: Path, run: Run) -> dict[str, Any]:
    """The run's evaluation.json."""
    outputs = run.step("EvaluateModel")["Properties"]["ProcessingOutputConfig"]["Outputs"]
    folder = LocalObjectStore(workdir / "s3").path(outputs[0]["S3Output"]["S3Uri"])
    report: dict[str, Any] = json.loads((folder / "evaluation.json").read_text())
    return report


@dataclass(frozen=True)
class Loop:
    """The three runs and the approval between the first two."""

    workdir: Path
    first: Run
    approval: Run
    worse: Run
    again: Run


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Loop:
    workdir = tmp_path_factory.mktemp("champion")
    first = cli(workdir, "run-local", "--plain")
    approval = cli(workdir, "registry", "approve", "1", "--description", "first model")
    definition = ("--definition", str(workdir / "render" / "definition.json"))
    worse = cli(workdir, "run-local", "--plain", *definition, "--param", "NumRound=60")
    again = cli(workdir, "run-local", "--plain", *definition)
    return Loop(workdir, first, approval, worse, again)


def test_run_1_registers_version_1_without_a_champion(loop: Loop) -> None:
    first = loop.first
    assert first.code == 0, first.stdout + first.stderr
    assert first.step("RegisterModel")["Properties"]["ModelPackageVersion"] == 1
    report = evaluation(loop.workdir, first)
    assert report["regression_metrics"]["rmse"]["value"] == pytest.approx(DEFAULT_RMSE, abs=1e-6)
    assert report["champion"]["present"] is False
    assert "ChampionModelData: no champion (no Approved version in house-price-models)" in (
        first.stderr
    )
    assert "ChampionModelData" in first.record["Parameters"]  # the placeholder default
    assert first.record["Parameters"]["ChampionModelData"].endswith("/NO_CHAMPION.json")


def test_approving_version_1_makes_it_the_champion(loop: Loop) -> None:
    assert loop.approval.code == 0, loop.approval.stderr
    assert loop.approval.stdout == (
        f"{GROUP} version 1: PendingManualApproval -> Approved; the next run-local compares "
        "with version 1, the newest Approved\n"
    )
    package = json.loads(
        (loop.workdir / "registry" / GROUP / "1" / "model-package.json").read_text()
    )
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"] == "first model"


def test_run_2_with_a_worse_hyperparameter_fails_the_gate_naming_the_champions_rmse(
    loop: Loop,
) -> None:
    worse = loop.worse
    champion_model = loop.first.step("TrainModel")["Properties"]["ModelArtifacts"][
        "S3ModelArtifacts"
    ]
    assert worse.code == 1, worse.stdout + worse.stderr
    assert worse.record["Parameters"]["ChampionModelData"] == champion_model
    assert worse.step("FailOnQuality")["Status"] == "failed"
    assert worse.step("RegisterModel")["Status"] == "not run"
    report = evaluation(loop.workdir, worse)
    rmse = report["regression_metrics"]["rmse"]["value"]
    champion_rmse = report["champion"]["rmse"]
    # Within the threshold: it is the champion that stops this model.
    assert rmse <= 0.15
    assert report["champion"]["rmse_above_champion"] > 0.005
    assert champion_rmse == pytest.approx(DEFAULT_RMSE, abs=1e-6)
    message = worse.record["FailureReason"]
    # Figures at four significant digits: SageMaker quotes the text evaluation.json gives.
    shown = report["regression_metrics"]["rmse"]["text"]
    assert shown == f"{rmse:.4g}"
    assert message.startswith(f"Model quality gate failed: RMSE of log price {shown} must be")
    assert f"scores an RMSE of log price of {champion_rmse:.4g} on the same" in message
    assert message in worse.stdout
    assert worse.record["Registry"] == []


def test_run_3_with_the_defaults_registers_version_2_and_says_it_is_the_same_model(
    loop: Loop,
) -> None:
    again = loop.again
    assert again.code == 0, again.stdout + again.stderr
    first_id = loop.first.record["PipelineExecutionId"]
    assert again.step("TrainModel")["CacheHit"] == {"SourceExecutionId": first_id}
    # A new champion is a new EvaluateModel argument: it runs again, on the same model.
    assert again.step("EvaluateModel")["Status"] == "succeeded"
    assert evaluation(loop.workdir, again)["champion"]["rmse_above_champion"] == 0.0
    register = again.step("RegisterModel")["Properties"]
    assert register["ModelPackageVersion"] == 2
    assert f"Registered: {GROUP} version 2 (PendingManualApproval)" in again.stdout
    assert (
        "  the same model as version 1: the same model.tar.gz registered again "
        "(ProcessData, TrainModel reused from the cache)"
    ) in again.stdout
