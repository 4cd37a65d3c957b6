"""Where things live in a checkout: one definition of every project path."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = PROJECT_ROOT / "cdk.json"
PYPROJECT = PROJECT_ROOT / "pyproject.toml"
# The pinned CDK CLI, installed by `npm ci` (package.json).
CDK_CLI_PACKAGE = PROJECT_ROOT / "node_modules" / "aws-cdk" / "package.json"
ML_SCRIPTS_DIR = PROJECT_ROOT / "ml_scripts"
SAMPLE_DATA = PROJECT_ROOT / "data" / "house_data.csv"
BUILD_DIR = PROJECT_ROOT / "build"
# Where rendering stages the code each pipeline ships (the same folder `cdk synth` uses).
STAGING_ROOT = BUILD_DIR / "pipeline-code"
# Shared by `cdk synth`, `render` and `run-local`, so either one warms it for the others.
RENDER_CACHE_DIR = BUILD_DIR / "render-cache"
LOCAL_RUN_DIR = PROJECT_ROOT / ".local" / "run"


def staging_dir(pipeline_name: str) -> Path:
    """The staging folder of one pipeline's code."""
    return STAGING_ROOT / pipeline_name
