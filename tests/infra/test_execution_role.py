"""The SageMaker execution role: trust, no managed policies, scoped permissions."""

from __future__ import annotations

from typing import Any

import pytest


def _roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


@pytest.fixture(scope="module")
def execution_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    matches = [
        (logical_id, role)
        for logical_id, role in _roles(template).items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "sagemaker.amazonaws.com"}
    ]
    assert len(matches) == 1
    return matches[0]


@pytest.fixture(scope="module")
def statements(template: dict[str, Any], execution_role: tuple[str, dict[str, Any]]) -> list[Any]:
    logical_id, _ = execution_role
    policies = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": logical_id} in r["Properties"]["Roles"]
    ]
    assert len(policies) == 1
    found: list[Any] = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def test_role_is_trusted_by_sagemaker_only(execution_role: tuple[str, dict[str, Any]]) -> None:
    _, role = execution_role
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
        }
    ]


def test_role_has_no_managed_policies(execution_role: tuple[str, dict[str, Any]]) -> None:
    _, role = execution_role
    assert "ManagedPolicyArns" not in role["Properties"]


def test_only_actions_without_resource_types_use_a_star_resource(statements: list[Any]) -> None:
    starred = {a for s in statements if "*" in _resources(s) for a in _actions(s)}
    assert starred == {"cloudwatch:PutMetricData", "ecr:GetAuthorizationToken"}


def test_metric_writes_are_limited_to_sagemaker_namespaces(statements: list[Any]) -> None:
    (metrics,) = [s for s in statements if "cloudwatch:PutMetricData" in _actions(s)]
    assert metrics["Condition"] == {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}


def test_pass_role_is_limited_to_itself_and_to_sagemaker(
    statements: list[Any], execution_role: tuple[str, dict[str, Any]]
) -> None:
    logical_id, _ = execution_role
    (pass_role,) = [s for s in statements if "iam:PassRole" in _actions(s)]
    assert _resources(pass_role) == [{"Fn::GetAtt": [logical_id, "Arn"]}]
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


def test_job_permissions_are_scoped_to_pipeline_jobs(statements: list[Any]) -> None:
    jobs = [
        s
        for s in statements
        if {"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", "sagemaker:AddTags"}
        & set(_actions(s))
        and "sagemaker:CreateModelPackage" not in _actions(s)
    ]
    rendered = [str(r) for s in jobs for r in _resources(s)]
    assert len(rendered) == 4  # create processing, create training, track both
    assert all("job/pipelines-*" in r for r in rendered)


def test_model_registration_is_scoped_to_the_model_package_group(statements: list[Any]) -> None:
    (register,) = [s for s in statements if "sagemaker:CreateModelPackage" in _actions(s)]
    rendered = " ".join(str(r) for r in _resources(register))
    assert "model-package-group/house-price-models" in rendered
    assert "model-package/house-price-models/*" in rendered


def test_s3_access_is_scoped_to_our_buckets_and_prefixes(statements: list[Any]) -> None:
    s3_resources = [
        str(r)
        for s in statements
        if any(a.startswith("s3:") for a in _actions(s))
        for r in _resources(s)
    ]
    assert s3_resources, "the role needs S3 access"
    for resource in s3_resources:
        assert "DataStorage" in resource, resource
    # Object-level resources (bucket ARN plus a key pattern) of every statement that writes.
    object_writes = {
        str(r)
        for s in statements
        if "s3:PutObject" in _actions(s)
        for r in _resources(s)
        if "'/" in str(r)
    }
    assert object_writes
    assert all(
        any(prefix in w for prefix in ("/processed/*", "/models/*", "/evaluation/*"))
        for w in object_writes
    ), object_writes


def test_image_pulls_are_limited_to_the_step_images(statements: list[Any]) -> None:
    (pull,) = [s for s in statements if "ecr:BatchGetImage" in _actions(s)]
    repositories = sorted(str(r).rsplit("/", 1)[-1] for r in _resources(pull))
    assert repositories == ["sagemaker-scikit-learn", "sagemaker-xgboost"]
