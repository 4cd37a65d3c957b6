"""A prefetched render (subprocess, unused SDK dependencies inert) equals the synthesized one."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from pipeline_definition.build import render_cache
from pipeline_definition.build.config import pipeline_config
from project.settings import load_settings
from testsupport.synthesis import PROJECT_ROOT, Synthesis, cdk_context, hermetic_environ


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_prefetched_render_is_byte_identical_to_the_synthesized_one(
    synthesis: Synthesis, tmp_path: Path
) -> None:
    environ = hermetic_environ()
    config = pipeline_config(load_settings(cdk_context(), environ))
    fields = dataclasses.asdict(config)
    cache = tmp_path / "cache"

    module = "pipeline_definition.build.prefetch"
    subprocess.run(
        [sys.executable, "-m", module, str(cache), json.dumps(fields, default=str)],
        cwd=PROJECT_ROOT,
        env=environ,
        check=True,
        capture_output=True,
    )

    entry = cache / render_cache.cache_key(config)
    assert (entry / render_cache.BODY_FILE).read_text() == synthesis.pipeline_body
    # The code deployment's asset is the staging folder's code/ itself.
    (asset_code,) = [p for p in synthesis.outdir.glob("asset.*") if (p / "sm_drivers").is_dir()]
    assert _files(entry / "code") == _files(asset_code)
