"""A cache of rendered definitions, keyed by everything a render depends on.

Importing the SageMaker SDK and building the pipeline takes about two seconds, most of a
synth. A render is a pure function of the renderer's code (the `build` and `model` packages),
the ML scripts, the configuration and the installed SDK, so its output can be reused until one
of those changes. The key hashes all of them and nothing else: an edit to the validator, the
diff or the local executor keeps the cache. An entry holds the definition body and the staged
code, which a hit copies into the staging folder exactly as a fresh render would leave it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from ml_scripts import layout
from pipeline_definition.build.config import PipelineConfig
from pipeline_definition.build.staging import CODE_PREFIX, content_hash, list_files

# Bump when the entry layout or the key's ingredients change.
CACHE_FORMAT = 3
# Distributions whose code or data (image URIs, drivers, serializers) shapes the definition.
SDK_DISTRIBUTIONS = (
    "sagemaker",
    "sagemaker-core",
    "sagemaker-mlops",
    "sagemaker-train",
    "sagemaker-serve",
    "boto3",
    "botocore",
)
PACKAGE_DIR = Path(__file__).resolve().parent.parent
# What renders: this package and the definition-reading helpers it uses.
RENDERER_PACKAGES = ("build", "model")
# The builder imports the contract strings from the scripts' layout module, which may sit
# apart from the ml_scripts_dir being rendered.
LAYOUT_FILE = Path(layout.__file__).resolve()
KEEP_ENTRIES = 8
BODY_FILE = "definition.json"
KEYS_FILE = "code_keys.json"


def _installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def renderer_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """Hash of the Python files of the renderer's packages below `package_dir`."""
    files = [
        path
        for name in RENDERER_PACKAGES
        for path in list_files(package_dir / name)
        if path.suffix == ".py"
    ]
    return content_hash(package_dir, sorted(files, key=lambda p: p.relative_to(package_dir)))


def cache_key(config: PipelineConfig, package_dir: Path = PACKAGE_DIR) -> str:
    """Hash of the configuration, the renderer's and scripts' files and the SDK versions."""
    settings = {k: str(v) for k, v in asdict(config).items() if k != "ml_scripts_dir"}
    ingredients = {
        "format": CACHE_FORMAT,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "config": settings,
        "renderer": renderer_hash(package_dir),
        "layout": content_hash(LAYOUT_FILE),
        "ml_scripts": content_hash(config.ml_scripts_dir),
        "sdk": {name: _installed(name) for name in SDK_DISTRIBUTIONS},
    }
    encoded = json.dumps(ingredients, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def load(cache_dir: Path, key: str, staging_dir: Path) -> tuple[str, tuple[str, ...]] | None:
    """On a hit, restore the staged code into `staging_dir` and return (body, code keys)."""
    entry = cache_dir / key
    try:
        body = (entry / BODY_FILE).read_text()
        keys = tuple(json.loads((entry / KEYS_FILE).read_text()))
    except (OSError, ValueError):
        return None
    shutil.rmtree(staging_dir / CODE_PREFIX, ignore_errors=True)
    staging_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(entry / CODE_PREFIX, staging_dir / CODE_PREFIX)
    return body, keys


def store(cache_dir: Path, key: str, body: str, keys: tuple[str, ...], staging_dir: Path) -> None:
    """Record a fresh render; a half-written entry is never visible under its key."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f".{key}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(staging_dir / CODE_PREFIX, partial / CODE_PREFIX)
    (partial / KEYS_FILE).write_text(json.dumps(list(keys)))
    (partial / BODY_FILE).write_text(body)
    entry = cache_dir / key
    shutil.rmtree(entry, ignore_errors=True)
    try:
        partial.rename(entry)
    except OSError:
        # Another render of the same inputs (a diff's other side) got there first.
        shutil.rmtree(partial, ignore_errors=True)
    _prune(cache_dir)


def share(cache_dir: Path, into: Path) -> None:
    """Make every entry of `cache_dir` visible in `into` as a link, for a render elsewhere.

    Another checkout (a commit in a temporary worktree) then hits this cache without writing
    to it: what it renders afresh lands in `into`, and `adopt` brings it back.
    """
    into.mkdir(parents=True, exist_ok=True)
    if not cache_dir.is_dir():
        return
    for entry in cache_dir.iterdir():
        if entry.is_dir() and not entry.name.startswith(".") and not (into / entry.name).exists():
            (into / entry.name).symlink_to(entry.resolve(), target_is_directory=True)


def adopt(into: Path, cache_dir: Path) -> list[str]:
    """Copy the entries rendered in `into` (not the links `share` made) into `cache_dir`.

    An entry appears whole under its key or not at all; when two renders of the same key
    finish together, the first one in stays. Returns the keys added.
    """
    if not into.is_dir():
        return []
    added: list[str] = []
    for entry in sorted(into.iterdir()):
        if entry.is_symlink() or not entry.is_dir() or entry.name.startswith("."):
            continue
        if (cache_dir / entry.name).exists():
            continue
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cache_dir / f".{entry.name}.{os.getpid()}.adopting"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(entry, partial)
        try:
            partial.rename(cache_dir / entry.name)
            added.append(entry.name)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
    if added:
        _prune(cache_dir)
    return added


def _prune(cache_dir: Path) -> None:
    entries = sorted(
        (p for p in cache_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in entries[KEEP_ENTRIES:]:
        shutil.rmtree(stale, ignore_errors=True)
