"""Whoever deploys a registered model: the key ARN and a managed policy that reads the model.

TrainModel writes model.tar.gz below models/ with the stack's key (OutputDataConfig), and the
model package records that URI. A role that hosts the model (CreateModel's execution role) reads
the archive and decrypts it: the policy grants exactly that, plus describing the packages.
"""

from __future__ import annotations

from typing import Any

import pytest

from testsupport.synthesis import Synthesis


@pytest.fixture(scope="module")
def policy(synthesis: Synthesis) -> tuple[str, dict[str, Any]]:
    (found,) = synthesis.resources("AWS::IAM::ManagedPolicy").items()
    return found


def _statements(policy: tuple[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    document = policy[1]["Properties"]["PolicyDocument"]
    return {statement["Sid"]: statement for statement in document["Statement"]}


def _training_output(synthesis: Synthesis) -> dict[str, Any]:
    (train,) = [step for step in synthesis.definition["Steps"] if step["Type"] == "Training"]
    output: dict[str, Any] = train["Arguments"]["OutputDataConfig"]
    return output


def test_stack_outputs_the_key_arn_and_the_policy(
    synthesis: Synthesis, policy: tuple[str, dict[str, Any]]
) -> None:
    outputs = synthesis.template["Outputs"]
    key_arn = outputs["KmsKeyArn"]["Value"]["Fn::GetAtt"]
    assert key_arn[0].startswith("DataStorageKey")
    assert key_arn[1] == "Arn"
    assert outputs["ModelDeployerPolicyArn"]["Value"] == {"Ref": policy[0]}


def test_policy_reads_the_archives_where_training_writes_them(
    synthesis: Synthesis, policy: tuple[str, dict[str, Any]]
) -> None:
    read = _statements(policy)["ReadModelArchives"]
    assert read["Action"] == "s3:GetObject"
    bucket_arn, suffix = read["Resource"]["Fn::Join"][1]
    assert bucket_arn["Fn::GetAtt"][0].startswith("DataStorageArtifacts")
    assert suffix == "/models/*"
    output_path = _training_output(synthesis)["S3OutputPath"]["Std:Join"]["Values"][0]
    assert output_path == "s3://${ArtifactBucket}/models"


def test_policy_decrypts_with_the_key_training_encrypts_with(
    synthesis: Synthesis, policy: tuple[str, dict[str, Any]]
) -> None:
    decrypt = _statements(policy)["DecryptModelArchives"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == synthesis.template["Outputs"]["KmsKeyArn"]["Value"]
    assert _training_output(synthesis)["KmsKeyId"] == "${KmsKeyArn}"


def test_policy_describes_only_this_groups_packages(policy: tuple[str, dict[str, Any]]) -> None:
    describe = _statements(policy)["DescribeRegisteredModels"]
    assert describe["Action"] == [
        "sagemaker:DescribeModelPackage",
        "sagemaker:DescribeModelPackageGroup",
    ]
    arns = ["".join(str(part) for part in arn["Fn::Join"][1]) for arn in describe["Resource"]]
    assert [arn.rsplit(":", 1)[-1] for arn in arns] == [
        "model-package-group/house-price-models",
        "model-package/house-price-models/*",
    ]


def test_policy_grants_nothing_else(policy: tuple[str, dict[str, Any]]) -> None:
    assert set(_statements(policy)) == {
        "ReadModelArchives",
        "DecryptModelArchives",
        "DescribeRegisteredModels",
    }
    assert "PolicyName" not in policy[1]["Properties"]  # a generated name never collides
