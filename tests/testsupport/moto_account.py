"""A clean account on the session's moto server, as the CLI tests see it: the server reset,
test credentials, no profile or config file of the machine's, one attempt per call."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

REGION = "us-east-1"


def reset_moto_account(
    endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, region: str = REGION
) -> None:
    """Forget every resource on the server and point boto3 at it with test credentials."""
    with urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
    ):
        pass
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "PIPELINE_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": region,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
