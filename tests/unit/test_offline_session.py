"""The offline session never reaches AWS: calls fail at once, naming the operation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline_definition.offline_session import OfflineRenderError, offline_boto_session
from pipeline_definition.sdk_environment import sdk_render_environment


@pytest.mark.parametrize(
    ("service", "call", "operation"),
    [
        ("s3", lambda c: c.list_buckets(), "ListBuckets"),
        ("sts", lambda c: c.get_caller_identity(), "GetCallerIdentity"),
        ("iam", lambda c: c.get_role(RoleName="x"), "GetRole"),
    ],
)
def test_any_aws_call_fails_naming_the_operation(
    service: str, call: object, operation: str
) -> None:
    client = offline_boto_session("us-east-1").client(service)
    with pytest.raises(OfflineRenderError, match=operation):
        call(client)  # type: ignore[operator]


def test_render_environment_is_restored_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEMAKER_VALIDATE_ROLE", "true")
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
    with sdk_render_environment("eu-west-1"):
        assert os.environ["SAGEMAKER_VALIDATE_ROLE"] == "false"
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert os.environ["SAGEMAKER_VALIDATE_ROLE"] == "true"
    assert "AWS_EC2_METADATA_DISABLED" not in os.environ


def test_offline_session_stages_uploads_under_content_hashes(tmp_path: Path) -> None:
    from pipeline_definition.offline_session import OfflinePipelineSession
    from pipeline_definition.staging import CodeStaging

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
