"""SUPPORTED_REGIONS against the data that decides it: cfn-lint's schemas and botocore's endpoints.

cfn-lint (a dev dependency, never imported by the app) ships the resource types CloudFormation
offers in each region. The committed list must be exactly the regions that offer both SageMaker
resource types the stack creates and where botocore knows SageMaker: when an upgrade of either
package adds or drops a region, this test names it.
"""

from __future__ import annotations

import json
from importlib import resources

import botocore.session

from project.settings import SUPPORTED_REGIONS

STACK_SAGEMAKER_TYPES = ("AWS::SageMaker::Pipeline", "AWS::SageMaker::ModelPackageGroup")


def _cfn_lint_region_types() -> dict[str, set[str]]:
    providers = resources.files("cfnlint.data.schemas.providers")
    types: dict[str, set[str]] = {}
    for entry in providers.iterdir():
        # One JSON file per region (plus sam.json, the SAM transform's types).
        if entry.name.endswith(".json") and entry.name != "sam.json":
            types[entry.name.removesuffix(".json")] = set(json.loads(entry.read_text()))
    return types


def _botocore_sagemaker_regions() -> set[str]:
    session = botocore.session.get_session()
    return {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("sagemaker", partition)
    }


def test_supported_regions_are_where_cloudformation_has_both_sagemaker_types() -> None:
    region_types = _cfn_lint_region_types()
    assert "us-east-1" in region_types  # the data is where this test expects it
    with_both = {
        region
        for region, types in region_types.items()
        if all(resource_type in types for resource_type in STACK_SAGEMAKER_TYPES)
    }
    expected = with_both & _botocore_sagemaker_regions()
    assert sorted(SUPPORTED_REGIONS - expected) == [], "listed but not supported"
    assert sorted(expected - SUPPORTED_REGIONS) == [], "supported but not listed"


def test_the_china_regions_lack_the_model_package_group_type() -> None:
    region_types = _cfn_lint_region_types()
    for region in ("cn-north-1", "cn-northwest-1"):
        assert "AWS::SageMaker::Pipeline" in region_types[region]
        assert "AWS::SageMaker::ModelPackageGroup" not in region_types[region]
        assert region not in SUPPORTED_REGIONS
