"""Synthesizing the app hermetically for tests: no credentials, no sockets."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_socket

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STACK_NAME = "house-price-ml-pipeline"

# Variables that could give the SDK or CDK a way to reach AWS or change the output.
AWS_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "CDK_DEFAULT_ACCOUNT",
    "CDK_DEFAULT_REGION",
    "PROJECT_NAME",
    "PIPELINE_NAME",
    "S3_BUCKET",
    "SAGEMAKER_ROLE_ARN",
    "RAW_DATA_PREFIX",
    "TRIGGER_SCHEDULE",
    "SKIP_IF_RUNNING",
    "EXISTING_MODEL_PACKAGE_GROUP",
    "TRIGGER_RESERVED_CONCURRENCY",
    "MODEL_APPROVAL_STATUS",
    "RMSE_THRESHOLD",
    "CHAMPION_TOLERANCE",
    "NOTIFICATION_EMAIL",
)


@dataclass(frozen=True)
class Synthesis:
    """One synthesized cloud assembly."""

    outdir: Path
    template: dict[str, Any]
    template_text: str
    validation_report: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The template's resources of one type, by logical id."""
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    @property
    def pipeline_body(self) -> str:
        """The definition body with its `${...}` placeholders, as deployed through Fn::Sub."""
        (pipeline,) = self.resources("AWS::SageMaker::Pipeline").values()
        body = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]
        return str(body["Fn::Sub"][0])

    @property
    def definition(self) -> dict[str, Any]:
        """The parsed pipeline definition."""
        parsed: dict[str, Any] = json.loads(self.pipeline_body)
        return parsed


def cdk_context() -> dict[str, Any]:
    """The context `cdk.json` gives the app."""
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return context


def hermetic_environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment without AWS credentials, profiles or app overrides."""
    environ = {k: v for k, v in os.environ.items() if k not in AWS_ENVIRONMENT}
    environ["AWS_CONFIG_FILE"] = str(PROJECT_ROOT / "nonexistent-aws-config")
    environ["AWS_SHARED_CREDENTIALS_FILE"] = str(PROJECT_ROOT / "nonexistent-aws-credentials")
    environ["AWS_EC2_METADATA_DISABLED"] = "true"
    environ.update(extra or {})
    return environ


def synthesize(outdir: Path, environ: dict[str, str]) -> Synthesis:
    """Synthesize the app into `outdir` with sockets disabled and the given environment.

    Code is staged beside `outdir`, so sessions and developers never share a staging folder.
    """
    from app import build_app

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    pytest_socket.disable_socket()
    try:
        app = build_app(
            environ,
            outdir=str(outdir),
            context=cdk_context(),
            staging_root=outdir.parent / f"{outdir.name}-staging",
            # Every test synth renders with the SDK for real: that is what it proves.
            render_cache_dir=None,
        )
        app.synth()
    finally:
        pytest_socket.enable_socket()
        os.environ.clear()
        os.environ.update(saved)
    template_path = outdir / f"{STACK_NAME}.template.json"
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return Synthesis(
        outdir=outdir,
        template=json.loads(template_path.read_text()),
        template_text=template_path.read_text(),
        validation_report=report,
    )
