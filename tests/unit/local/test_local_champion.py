"""run-local's champion: the newest Approved local version, never one the run passes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.cli import main
from pipeline_definition.local.champion import ChampionError, local_champion
from pipeline_definition.local.registry import LocalModelRegistry
from pipeline_definition.local.store import LocalObjectStore
from project.champion import CHAMPION_MODEL_DATA
from project.run_parameters import ParameterError, ParameterSpec

GROUP = "house-price-models"
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
OURS = "s3://local-artifacts/models/e1/TrainModel/model/job/output/model.tar.gz"
DOCUMENT: dict[str, Any] = {
    "Parameters": [
        {
            "Name": CHAMPION_MODEL_DATA,
            "Type": "String",
            "DefaultValue": "s3://local-artifacts/code/no-champion/h/NO_CHAMPION.json",
        }
    ],
    "Steps": [
        {
            "Name": "RegisterModel",
            "Type": "RegisterModel",
            "Arguments": {"ModelPackageGroupName": GROUP},
        }
    ],
}
SPECS = {CHAMPION_MODEL_DATA: ParameterSpec(CHAMPION_MODEL_DATA, "String", "s3://x")}


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    store = LocalObjectStore(tmp_path / "s3")
    store.put_bytes(b"model", OURS)
    return store


@pytest.fixture
def registry(tmp_path: Path, store: LocalObjectStore) -> LocalModelRegistry:
    return LocalModelRegistry(tmp_path / "registry", store)


def register(registry: LocalModelRegistry, url: str = OURS) -> int:
    arguments = {
        "ModelPackageGroupName": GROUP,
        "InferenceSpecification": {"Containers": [{"Image": "i", "ModelDataUrl": url}]},
    }
    return registry.register(arguments, now=NOW).version


def test_no_approved_version_leaves_the_default(
    registry: LocalModelRegistry, store: LocalObjectStore
) -> None:
    register(registry)
    lookup = local_champion(DOCUMENT, SPECS, {}, registry, store)
    assert lookup is not None
    assert lookup.champion is None
    assert lookup.parameters() == {}


def test_the_newest_approved_version_becomes_the_parameter(
    registry: LocalModelRegistry, store: LocalObjectStore
) -> None:
    version = register(registry)
    registry.update_status(GROUP, version, "Approved", description=None, now=NOW)

    lookup = local_champion(DOCUMENT, SPECS, {}, registry, store)

    assert lookup is not None
    assert lookup.parameters() == {CHAMPION_MODEL_DATA: OURS}


def test_a_run_cannot_pass_its_own_champion(
    registry: LocalModelRegistry, store: LocalObjectStore
) -> None:
    with pytest.raises(ParameterError, match="not a run's to choose"):
        local_champion(DOCUMENT, SPECS, {CHAMPION_MODEL_DATA: OURS}, registry, store)


def test_a_champion_whose_model_is_gone_stops_the_run_naming_the_way_out(
    registry: LocalModelRegistry, store: LocalObjectStore
) -> None:
    gone = OURS.replace("e1", "e0")
    store.put_bytes(b"m", gone)
    version = register(registry, gone)
    store.path(gone).unlink()  # the local store was cleaned since
    registry.update_status(GROUP, version, "Approved", description=None, now=NOW)

    with pytest.raises(ChampionError, match=f"registry reject {version} --group {GROUP}"):
        local_champion(DOCUMENT, SPECS, {}, registry, store)


def test_a_definition_without_the_parameter_has_no_champion(
    registry: LocalModelRegistry, store: LocalObjectStore
) -> None:
    assert local_champion(DOCUMENT, {}, {CHAMPION_MODEL_DATA: "x"}, registry, store) is None


def test_the_registry_command_lists_approves_and_rejects(
    registry: LocalModelRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register(registry)
    register(registry)
    common = ["--group", GROUP, "--workdir", str(tmp_path)]

    assert main(["registry", "approve", "1", "--description", "checked", *common]) == 0
    approved = capsys.readouterr().out
    assert main(["registry", "reject", "1", *common]) == 0
    rejected = capsys.readouterr().out
    assert main(["registry", "list", *common]) == 0
    listing = capsys.readouterr().out

    assert approved.startswith(f"{GROUP} version 1: PendingManualApproval -> Approved;")
    assert "the next run-local compares with version 1, the newest Approved" in approved
    assert rejected.startswith(f"{GROUP} version 1: Approved -> Rejected;")
    assert "the next run-local has no champion" in rejected
    assert "2 version(s); champion: none" in listing
    assert registry.describe(GROUP, 1)["ApprovalDescription"] == "checked"


def test_the_registry_command_refuses_an_unknown_version(
    registry: LocalModelRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register(registry)

    code = main(["registry", "approve", "4", "--group", GROUP, "--workdir", str(tmp_path)])

    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {GROUP} has no version 4 in {tmp_path.resolve() / 'registry'} (versions: 1)\n"
    )
