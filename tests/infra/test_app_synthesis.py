"""The app as a whole: hermetic, deterministic, cdk-nag and cfn-lint clean, snapshotted."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_socket
from aws_cdk import App, CfnResource, Stack, cx_api
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from testsupport.synthesis import PROJECT_ROOT, STACK_NAME, Synthesis

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name in {"tree.json", "manifest.json"}:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def second_synthesis(synthesize_app: Callable[[dict[str, str]], Synthesis]) -> Synthesis:
    return synthesize_app({})


def test_synthesis_ran_with_sockets_disabled_and_no_credentials(synthesis: Synthesis) -> None:
    # The session fixture synthesized under pytest-socket's block with no AWS credentials or
    # profiles; prove the block is real by showing what it does to a connection attempt.
    pytest_socket.disable_socket()
    try:
        with pytest.raises(pytest_socket.SocketBlockedError):
            socket.create_connection(("sagemaker.us-east-1.amazonaws.com", 443), timeout=1)
    finally:
        pytest_socket.enable_socket()
    assert synthesis.resources("AWS::SageMaker::Pipeline")


def test_two_synths_give_byte_identical_templates_and_assets(
    synthesis: Synthesis, second_synthesis: Synthesis
) -> None:
    assert synthesis.template_text == second_synthesis.template_text
    assert _tree_digest(synthesis.outdir) == _tree_digest(second_synthesis.outdir)


def test_cdk_nag_reports_no_unacknowledged_findings(synthesis: Synthesis) -> None:
    violations = [
        (report["pluginName"], violation["ruleName"], construct["constructPath"])
        for report in synthesis.validation_report.get("pluginReports", [])
        for violation in report.get("violations", [])
        for construct in violation["violatingConstructs"]
    ]
    assert violations == []


def test_cfn_lint_finds_no_errors_or_warnings(synthesis: Synthesis) -> None:
    # Run from the project root so that .cfnlintrc.yaml (one documented ignore) applies.
    template = synthesis.outdir / f"{STACK_NAME}.template.json"
    result = subprocess.run(
        [str(CFN_LINT), "--format", "json", str(template)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    findings = json.loads(result.stdout or "[]")
    assert [(f["Rule"]["Id"], f["Message"]) for f in findings] == []
    assert result.returncode == 0


def test_template_matches_snapshot(synthesis: Synthesis, snapshot: SnapshotAssertion) -> None:
    assert synthesis.template == snapshot.use_extension(JSONSnapshotExtension)


def test_pipeline_definition_matches_snapshot(
    synthesis: Synthesis, snapshot: SnapshotAssertion
) -> None:
    assert synthesis.definition == snapshot.use_extension(JSONSnapshotExtension)


def test_bad_setting_stops_synth_with_a_message_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import app

    monkeypatch.setenv("PIPELINE_NAME", "not_valid!")
    assert app.main() == 1
    error = capsys.readouterr().err
    assert "pipeline_name" in error
    assert "PIPELINE_NAME" in error


def test_cdk_json_runs_the_virtualenv_interpreter_with_feature_flags() -> None:
    cdk_json: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())
    assert cdk_json["app"] == ".venv/bin/python app.py"
    flags = [key for key in cdk_json["context"] if key.startswith("@aws-cdk")]
    assert len(flags) > 50
    assert cdk_json["context"]["@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"] is True


def test_the_synthesized_template_fits_what_cloudformation_reads_from_s3(
    synthesis: Synthesis,
) -> None:
    from cfnlint.helpers import LIMITS

    from app import MAX_TEMPLATE_BYTES, oversized_templates

    # cfn-lint's E1002 reads the same CloudFormation quota (1 MB for a template in S3).
    assert LIMITS["template"]["body"] == MAX_TEMPLATE_BYTES
    assert oversized_templates(cx_api.CloudAssembly(str(synthesis.outdir))) == []
    assert len(synthesis.template_text.encode()) < MAX_TEMPLATE_BYTES


def test_an_oversized_template_stops_synth_with_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import app

    big = App(outdir=str(tmp_path))
    stack = Stack(big, "Big")
    CfnResource(stack, "Blob", type="AWS::SSM::Parameter", properties={"Value": "x" * 2_000})
    monkeypatch.setattr(app, "MAX_TEMPLATE_BYTES", 1_000)
    monkeypatch.setattr(app, "build_app", lambda environ: big)

    assert app.main() == 1

    (error,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert error.startswith("error: the template of Big has ")
    assert "CloudFormation accepts at most 1,000 from S3" in error
