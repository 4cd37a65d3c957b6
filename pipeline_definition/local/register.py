"""Run a RegisterModel step: one model package version in the local registry folder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline_definition.local.jobs import JobContext


def run_register(ctx: JobContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Register the package; return its DescribeModelPackage-like document."""
    entry = ctx.register_model(arguments)
    ctx.log(
        f"registered {entry.group} version {entry.version} ({entry.approval_status}) "
        f"at {entry.path}"
    )
    return {
        **arguments,
        "ModelPackageArn": entry.arn,
        "ModelPackageGroupName": entry.group,
        "ModelPackageVersion": entry.version,
        "ModelApprovalStatus": entry.approval_status,
        "ModelPackageStatus": "Completed",
    }


def registered_detail(describe: Mapping[str, Any]) -> str:
    """`group vN (status)`: what the progress display shows for a registered package."""
    return (
        f"{describe['ModelPackageGroupName']} v{describe['ModelPackageVersion']} "
        f"({describe['ModelApprovalStatus']})"
    )
