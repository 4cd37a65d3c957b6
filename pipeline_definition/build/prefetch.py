"""Render in a subprocess that starts with the CDK app, so the render and CDK overlap.

A cold synth (the render cache has no entry for these inputs) spends most of its extra time
importing the SageMaker SDK and building the pipeline, while the CDK app spends its own time
loading the CDK libraries and building the other constructs; on two cores they can overlap.
`app.py` calls `start` before it imports the CDK, with the configuration the settings give;
the subprocess renders it into the render cache; `render_definition` calls `wait` before it
looks in the cache, so it finds the entry there. The cache guarantees the rest: the key names
exactly what was rendered, so a prefetch of other inputs is simply not used, and a failed
prefetch leaves no entry and the construct renders (and reports the error) itself.

The subprocess imports only what rendering uses (see `slim_imports`); a fresh process is the
only place where that is safe, as nothing else runs in it.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline_definition.build import render_cache
from pipeline_definition.build.config import PipelineConfig
from project.paths import PROJECT_ROOT

# Renders started by this process, by (cache folder, key).
_PENDING: dict[tuple[Path, str], subprocess.Popen[bytes]] = {}
WAIT_SECONDS = 900


def start(config: PipelineConfig, cache_dir: Path, *, python: str = sys.executable) -> bool:
    """Start rendering `config` into `cache_dir` unless the cache already holds it."""
    key = render_cache.cache_key(config)
    if (cache_dir / key).is_dir():
        return False
    # JSON keeps numbers numbers (the RMSE threshold); paths travel as strings.
    fields = json.dumps(dataclasses.asdict(config), default=str)
    process = subprocess.Popen(
        [python, "-m", "pipeline_definition.build.prefetch", str(cache_dir), fields],
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _PENDING[(cache_dir.resolve(), key)] = process
    return True


def wait(cache_dir: Path, key: str) -> None:
    """Let a prefetch of this key finish, so that its entry is in the cache (or not at all)."""
    process = _PENDING.pop((cache_dir.resolve(), key), None)
    if process is None:
        return
    try:
        process.wait(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def render_into_cache(config: PipelineConfig, cache_dir: Path) -> None:
    """Render `config` with only the SDK modules rendering uses, and store it in the cache."""
    # Imported here: render imports this module (for wait).
    from pipeline_definition.build.render import render_definition  # noqa: PLC0415
    from pipeline_definition.build.slim_imports import (  # noqa: PLC0415
        without_unused_sdk_dependencies,
    )

    with (
        tempfile.TemporaryDirectory(prefix="render-prefetch-") as staging,
        without_unused_sdk_dependencies(),
    ):
        render_definition(config, Path(staging), cache_dir=cache_dir)


def main(argv: list[str]) -> int:
    """`python -m pipeline_definition.build.prefetch CACHE_DIR CONFIG_JSON`."""
    cache_dir, fields = Path(argv[0]), json.loads(argv[1])
    fields["ml_scripts_dir"] = Path(fields["ml_scripts_dir"])
    render_into_cache(PipelineConfig(**fields), cache_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
