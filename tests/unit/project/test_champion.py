"""The champion rules: which version is the champion, and that no run may choose its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from project.champion import (
    CHAMPION_MODEL_DATA,
    champion_target,
    find_champion,
    model_data_url,
    refuse_champion,
)
from project.run_parameters import ParameterError

GROUP = "house-price-models"
PREFIX = "s3://artifacts/models/"
OURS = "s3://artifacts/models/exec-1/TrainModel/model/job/output/model.tar.gz"


class FakeRegistry:
    """ListModelPackages and DescribeModelPackage over a list of (version, status, url)."""

    def __init__(self, versions: list[tuple[int, str, str]]) -> None:
        self.versions = versions
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def list_model_packages(self, **kwargs: Any) -> Mapping[str, Any]:
        self.calls.append(("list", kwargs))
        approved = [v for v in self.versions if v[1] == kwargs["ModelApprovalStatus"]]
        newest = sorted(approved, reverse=True)[: kwargs["MaxResults"]]
        return {
            "ModelPackageSummaryList": [
                {"ModelPackageArn": f"arn:aws:sagemaker:r:1:model-package/{GROUP}/{v}"}
                for v, _, _ in newest
            ]
        }

    def describe_model_package(self, **kwargs: Any) -> Mapping[str, Any]:
        self.calls.append(("describe", kwargs))
        version = int(kwargs["ModelPackageName"].rsplit("/", 1)[1])
        url = next(u for v, _, u in self.versions if v == version)
        return {
            "ModelPackageVersion": version,
            "InferenceSpecification": {"Containers": [{"ModelDataUrl": url}]},
        }


def test_the_newest_approved_version_is_the_champion() -> None:
    older = OURS.replace("exec-1", "exec-0")
    registry = FakeRegistry(
        [(1, "Approved", older), (2, "Approved", OURS), (3, "PendingManualApproval", OURS)]
    )

    lookup = find_champion(registry, GROUP, PREFIX)

    assert lookup.champion is not None
    assert (lookup.champion.version, lookup.champion.model_data_url) == (2, OURS)
    assert lookup.parameters() == {CHAMPION_MODEL_DATA: OURS}
    assert lookup.describe() == f"{CHAMPION_MODEL_DATA}: champion {GROUP} version 2 ({OURS})"
    assert registry.calls[0] == (
        "list",
        {
            "ModelPackageGroupName": GROUP,
            "ModelApprovalStatus": "Approved",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 1,
        },
    )


def test_no_approved_version_means_no_champion_and_no_parameter() -> None:
    lookup = find_champion(FakeRegistry([(1, "Rejected", OURS)]), GROUP, PREFIX)

    assert lookup.champion is None
    assert lookup.parameters() == {}
    assert lookup.describe() == (
        f"{CHAMPION_MODEL_DATA}: no champion (no Approved version in {GROUP})"
    )


def test_a_model_from_outside_the_pipelines_models_is_no_champion() -> None:
    foreign = "s3://seed-bucket/house-price/model.tar.gz"

    lookup = find_champion(FakeRegistry([(4, "Approved", foreign)]), GROUP, PREFIX)

    assert lookup.champion is None
    assert lookup.parameters() == {}
    assert foreign in lookup.reason
    assert "was not trained by this pipeline" in lookup.reason


def test_the_model_url_may_come_from_a_model_data_source() -> None:
    package = {
        "InferenceSpecification": {
            "Containers": [{"ModelDataSource": {"S3DataSource": {"S3Uri": OURS}}}]
        }
    }
    assert model_data_url(package) == OURS
    assert model_data_url({"InferenceSpecification": {"Containers": []}}) is None


def test_a_run_cannot_choose_its_champion() -> None:
    refuse_champion({"MaxDepth": "6"})
    with pytest.raises(ParameterError, match="ChampionModelData is not a run's to choose"):
        refuse_champion({CHAMPION_MODEL_DATA: OURS})


def test_the_target_comes_from_the_register_step_and_the_placeholder_default() -> None:
    definition = {
        "Parameters": [
            {
                "Name": CHAMPION_MODEL_DATA,
                "Type": "String",
                "DefaultValue": "s3://artifacts/code/no-champion/abc/NO_CHAMPION.json",
            }
        ],
        "Steps": [
            {
                "Name": "CheckQuality",
                "Type": "Condition",
                "Arguments": {
                    "IfSteps": [
                        {
                            "Name": "RegisterModel",
                            "Type": "RegisterModel",
                            "Arguments": {"ModelPackageGroupName": GROUP},
                        }
                    ],
                    "ElseSteps": [],
                },
            }
        ],
    }

    assert champion_target(definition) == (GROUP, PREFIX)
    assert champion_target({"Parameters": [], "Steps": definition["Steps"]}) is None
