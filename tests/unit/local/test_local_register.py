"""The local model registry: versions, ARNs, metrics copies and validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.local.errors import LocalJobError
from pipeline_definition.local.registry import LocalModelRegistry, RegistryError
from pipeline_definition.local.store import LocalObjectStore

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def registry(tmp_path: Path) -> LocalModelRegistry:
    store = LocalObjectStore(tmp_path / "s3")
    store.put_bytes(b"model", "s3://art/models/e1/model.tar.gz")
    store.put_bytes(b'{"rmse": 0.1}', "s3://art/eval/e1/evaluation.json")
    return LocalModelRegistry(tmp_path / "registry", store)


def arguments(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ModelPackageGroupName": "house-price-models",
        "ModelApprovalStatus": "PendingManualApproval",
        "InferenceSpecification": {
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://art/models/e1/model.tar.gz"}]
        },
        "ModelMetrics": {
            "Bias": {},
            "ModelQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri": "s3://art/eval/e1/evaluation.json",
                }
            },
        },
    }
    base.update(overrides)
    return base


def test_versions_increase_per_group(registry: LocalModelRegistry) -> None:
    first = registry.register(arguments(), now=NOW)
    second = registry.register(arguments(ModelApprovalStatus="Approved"), now=NOW)
    other = registry.register(arguments(ModelPackageGroupName="other"), now=NOW)

    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert second.arn == "arn:aws:sagemaker:local:000000000000:model-package/house-price-models/2"
    assert registry.versions("house-price-models") == [1, 2]
    document = json.loads(second.path.read_text())
    assert document["ModelApprovalStatus"] == "Approved"
    assert document["ModelPackageVersion"] == 2
    assert document["CreationTime"] == "2026-01-10T12:00:00.000+00:00"
    copy = second.path.parent / "model-metrics-model-quality-statistics.json"
    assert json.loads(copy.read_text()) == {"rmse": 0.1}
    assert document["LocalMetricsFiles"] == {"ModelMetrics.ModelQuality.Statistics": copy.name}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ModelApprovalStatus": "Maybe"}, "ModelApprovalStatus 'Maybe' is not one of"),
        ({"ModelPackageGroupName": None}, "ModelPackageGroupName None is missing"),
        (
            {"InferenceSpecification": {"Containers": [{"ModelDataUrl": "s3://art/none.tar.gz"}]}},
            "ModelDataUrl s3://art/none.tar.gz does not exist",
        ),
        (
            {
                "ModelMetrics": {
                    "ModelQuality": {"Statistics": {"ContentType": "j", "S3Uri": "s3://a/x"}}
                }
            },
            "metrics file s3://a/x does not exist",
        ),
    ],
)
def test_invalid_packages_are_client_errors(
    registry: LocalModelRegistry, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(LocalJobError, match=message) as error:
        registry.register(arguments(**overrides), now=NOW)
    assert error.value.exception_type == "ClientError"
    assert registry.versions("house-price-models") == []


def test_approving_and_rejecting_update_the_status_as_update_model_package(
    registry: LocalModelRegistry,
) -> None:
    entry = registry.register(arguments(), now=NOW)
    later = datetime(2026, 1, 11, 8, 30, tzinfo=UTC)

    approved = registry.update_status(
        entry.group, entry.version, "Approved", description="RMSE checked", now=later
    )

    stored = json.loads(entry.path.read_text())
    assert stored == approved
    assert stored["ModelApprovalStatus"] == "Approved"
    assert stored["ApprovalDescription"] == "RMSE checked"
    assert stored["LastModifiedTime"] == "2026-01-11T08:30:00.000+00:00"
    assert stored["CreationTime"] == "2026-01-10T12:00:00.000+00:00"
    rejected = registry.update_status(
        entry.group, entry.version, "Rejected", description=None, now=later
    )
    assert rejected["ModelApprovalStatus"] == "Rejected"
    assert rejected["ApprovalDescription"] == "RMSE checked"


def test_an_unknown_version_or_status_is_refused_naming_what_exists(
    registry: LocalModelRegistry,
) -> None:
    registry.register(arguments(), now=NOW)
    with pytest.raises(RegistryError, match=r"has no version 7 .*\(versions: 1\)"):
        registry.update_status("house-price-models", 7, "Approved", description=None, now=NOW)
    with pytest.raises(RegistryError, match="is not one of"):
        registry.update_status("house-price-models", 1, "Maybe", description=None, now=NOW)


def test_the_newest_approved_version_is_the_champion(registry: LocalModelRegistry) -> None:
    group = "house-price-models"
    assert registry.newest_approved(group) is None
    for _ in range(3):
        registry.register(arguments(), now=NOW)
    registry.update_status(group, 1, "Approved", description=None, now=NOW)
    registry.update_status(group, 2, "Approved", description=None, now=NOW)

    champion = registry.newest_approved(group)
    assert champion is not None
    assert (champion.version, champion.model_data_url) == (2, "s3://art/models/e1/model.tar.gz")
    registry.update_status(group, 2, "Rejected", description=None, now=NOW)
    again = registry.newest_approved(group)
    assert again is not None and again.version == 1
    assert registry.same_model(group, 3) == [1, 2]
