"""The offline session never reaches AWS: calls fail at once, naming the operation."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from pipeline_definition.build.offline_session import OfflineRenderError, offline_boto_session
from pipeline_definition.build.sdk_environment import sdk_render_environment


def _list_buckets(session: boto3.Session) -> object:
    return session.client("s3").list_buckets()


def _caller_identity(session: boto3.Session) -> object:
    return session.client("sts").get_caller_identity()


def _get_role(session: boto3.Session) -> object:
    return session.client("iam").get_role(RoleName="x")


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        (_list_buckets, "ListBuckets"),
        (_caller_identity, "GetCallerIdentity"),
        (_get_role, "GetRole"),
    ],
)
def test_any_aws_call_fails_naming_the_operation(
    call: Callable[[boto3.Session], object], operation: str
) -> None:
    with pytest.raises(OfflineRenderError, match=operation):
        call(offline_boto_session("us-east-1"))


def test_render_environment_is_restored_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEMAKER_VALIDATE_ROLE", "true")
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
    with sdk_render_environment("eu-west-1"):
        assert os.environ["SAGEMAKER_VALIDATE_ROLE"] == "false"
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert os.environ["SAGEMAKER_VALIDATE_ROLE"] == "true"
    assert "AWS_EC2_METADATA_DISABLED" not in os.environ


def test_offline_session_stages_uploads_under_content_hashes(tmp_path: Path) -> None:
    from pipeline_definition.build.offline_session import OfflinePipelineSession
    from pipeline_definition.build.staging import CodeStaging

    source = tmp_path / "drivers"
    source.mkdir()
    (source / "sm_train.sh").write_text("#!/bin/bash\n")
    with sdk_render_environment("us-east-1"):
        session = OfflinePipelineSession(
            region="us-east-1", default_bucket="bucket", staging=CodeStaging(tmp_path / "s")
        )
        uri = session.upload_data(
            str(source), bucket="bucket", key_prefix="job/job-20260101000000/input/sm_drivers"
        )
        assert session.default_bucket() == "bucket"
    assert uri.startswith("s3://bucket/code/sm_drivers/")
    assert "2026" not in uri


def test_without_source_dir_blanks_only_the_source_dir() -> None:
    from pipeline_definition.build.offline_session import without_source_dir

    text = '{"source_dir": "s3://${ArtifactBucket}/code/training/abc/", "entry_script": "t.py"}'
    assert json.loads(without_source_dir(text)) == {"source_dir": None, "entry_script": "t.py"}
    with pytest.raises(ValueError, match="must hold a JSON object"):
        without_source_dir("[]")
