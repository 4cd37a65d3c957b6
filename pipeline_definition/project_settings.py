"""The app's settings outside CDK: `cdk.json` context plus the environment, as `app.py` does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline_definition.config import PROJECT_ROOT
from stacks.settings import Settings, load_settings

CDK_JSON = PROJECT_ROOT / "cdk.json"
STAGING_ROOT = PROJECT_ROOT / "build" / "pipeline-code"
# The same cache `cdk synth` uses (app.py), so either one warms it for the other.
RENDER_CACHE_DIR = PROJECT_ROOT / "build" / "render-cache"


def cdk_context(cdk_json: Path = CDK_JSON) -> dict[str, Any]:
    """The `context` object of `cdk.json` (empty when the file has none)."""
    context = json.loads(cdk_json.read_text()).get("context", {})
    if not isinstance(context, dict):
        raise ValueError(f"{cdk_json}: 'context' must be an object")
    return context


def project_settings(environ: Mapping[str, str], cdk_json: Path = CDK_JSON) -> Settings:
    """Settings exactly as `app.py` builds them for `cdk synth`."""
    return load_settings(cdk_context(cdk_json), environ)


def default_staging_dir(settings: Settings) -> Path:
    """Where rendering stages the pipeline's code (the same folder `cdk synth` uses)."""
    return STAGING_ROOT / settings.pipeline_name
