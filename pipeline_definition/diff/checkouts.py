"""Build a side from source: a git commit (in a temporary worktree) or the working tree.

A checkout is synthesized with its own CDK app (`app.py`, with the context of its `cdk.json`),
so the side carries everything a deploy would send: the definition, the pipeline resource's
properties and `Fn::Sub` values, and the staged code. `--render-only` renders the definition
alone, which is quicker and says what it leaves out. Either way this interpreter runs the
checkout's own code, the way CI would.

A commit's worktree sees the render cache of the repository it comes from (see
`render_cache.share`), so a commit whose renderer, scripts, settings and SDK match an earlier
render costs no render; what it does render joins the cache afterwards (`render_cache.adopt`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline_definition.build import render_cache
from pipeline_definition.build.staging import CODE_PREFIX
from pipeline_definition.diff.side import CodeSource, LoadedDefinition, SourceError
from pipeline_definition.diff.templates import load_cdk_out, load_file
from project.paths import PROJECT_ROOT, RENDER_CACHE_DIR

BUILD_TIMEOUT_SECONDS = 900
GIT_TIMEOUT_SECONDS = 120
# Where a checkout keeps its render cache, relative to its root.
CACHE_PATH = RENDER_CACHE_DIR.relative_to(PROJECT_ROOT)
RENDER_ONLY = (
    "rendered, not synthesized (--render-only): its pipeline name, role, description, tags, "
    "parallelism and ${...} values are not known"
)
# `git worktree add/remove` update shared metadata: one at a time when sides load in parallel.
_WORKTREE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Build:
    """How to build a checkout: interpreter, environment, synth or render only."""

    python: str
    environ: Mapping[str, str]
    render_only: bool = False
    pipeline: str | None = None
    timeout: float = BUILD_TIMEOUT_SECONDS


def git(args: list[str], cwd: Path, timeout: float = GIT_TIMEOUT_SECONDS) -> str:
    """Run git in `cwd` and return its output; SourceError with git's last line if it fails."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceError(f"git {args[0]} failed: {error}") from error
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise SourceError(f"git {' '.join(args[:2])} failed: {detail}")
    return result.stdout.strip()


def repository_root(start: Path) -> Path:
    """The top folder of the git checkout that contains `start`."""
    return Path(git(["rev-parse", "--show-toplevel"], start))


def resolve_commit(ref: str, repo: Path) -> str | None:
    """The commit SHA `ref` names in `repo`, or None when it names no commit."""
    if not ref or ref.startswith("-"):
        return None
    try:
        return git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo) or None
    except SourceError:
        return None


def cdk_context(checkout: Path) -> dict[str, Any]:
    """The context the CDK CLI would give the checkout's app: cdk.context.json, then cdk.json."""
    context: dict[str, Any] = {}
    for name, key in (("cdk.context.json", None), ("cdk.json", "context")):
        path = checkout / name
        if not path.is_file():
            continue
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            context.update(loaded.get(key, {}) if key else loaded)
        except (OSError, ValueError, AttributeError, TypeError) as error:
            raise SourceError(f"cannot read the CDK context in {path}: {error}") from error
    return context


def _run(command: list[str], checkout: Path, env: dict[str, str], label: str, build: Build) -> None:
    # The checkout's own code, not this one's, must be imported.
    env["PYTHONPATH"] = str(checkout)
    env.pop("PYTHONHOME", None)
    # The CDK's jsii runtime runs the Node.js found first: the one beside this interpreter.
    env["PATH"] = os.pathsep.join([str(Path(build.python).parent), env.get("PATH", "")])
    try:
        result = subprocess.run(
            command,
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=build.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise SourceError(f"{label}: building took longer than {build.timeout:.0f} s") from error
    except OSError as error:
        raise SourceError(f"{label}: cannot run {build.python}: {error}") from error
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        reason = lines[-1].removeprefix("error: ") if lines else "no output"
        verb = "rendering" if build.render_only else "synthesizing (--render-only skips it)"
        raise SourceError(f"{label}: {verb} failed (exit {result.returncode}): {reason}")


def build_checkout(checkout: Path, out: Path, label: str, build: Build) -> LoadedDefinition:
    """Synthesize (or only render) the checkout into `out` and load the result."""
    env = dict(build.environ)
    if build.render_only:
        definition, staging = out / "definition.json", out / "staging"
        command = ["-m", "pipeline_definition", "render", "--out", str(definition)]
        _run([build.python, *command, "--staging-dir", str(staging)], checkout, env, label, build)
        loaded = load_file(definition, label=label)
        code = CodeSource((staging / CODE_PREFIX,), "")
        return LoadedDefinition(label, loaded.definition, unknown=RENDER_ONLY, code=code)
    if not (checkout / "app.py").is_file():
        raise SourceError(f"{label}: no app.py to synthesize; try --render-only")
    assembly = out / "cdk.out"
    env["CDK_OUTDIR"] = str(assembly)
    env["CDK_CONTEXT_JSON"] = json.dumps(cdk_context(checkout))
    # CDK's own template validation writes a report, not the template, and is the costliest
    # part of a synth; the diff reads the template only (cdk-nag still runs in the app).
    env["CDK_VALIDATION"] = "false"
    _run([build.python, "app.py"], checkout, env, label, build)
    return load_cdk_out(assembly, build.pipeline, label=label)


def load_working_tree(checkout: Path, out: Path, build: Build) -> LoadedDefinition:
    """The checkout as it is on disk, uncommitted edits included."""
    return build_checkout(checkout, out, f"WORKTREE ({checkout})", build)


def load_commit(ref: str, repo: Path, out: Path, build: Build) -> LoadedDefinition:
    """The side as it was at `ref`, built in a temporary worktree of `repo`."""
    commit = resolve_commit(ref, repo)
    if commit is None:
        raise SourceError(f"{ref!r} is not a commit in {repo}")
    label = f"git:{ref}" if commit.startswith(ref) else f"git:{ref} ({commit[:12]})"
    worktree = out / "worktree"
    try:
        with _WORKTREE_LOCK:
            git(["worktree", "add", "--detach", "--quiet", str(worktree), commit], repo)
        render_cache.share(repo / CACHE_PATH, worktree / CACHE_PATH)
        loaded = build_checkout(worktree, out, label, build)
        render_cache.adopt(worktree / CACHE_PATH, repo / CACHE_PATH)
        return loaded
    finally:
        _remove_worktree(worktree, repo)


def _remove_worktree(worktree: Path, repo: Path) -> None:
    with _WORKTREE_LOCK:
        if worktree.exists():
            try:
                git(["worktree", "remove", "--force", str(worktree)], repo)
            except SourceError:
                shutil.rmtree(worktree, ignore_errors=True)
        # Drops the bookkeeping of a worktree whose folder is already gone.
        with contextlib.suppress(SourceError):
            git(["worktree", "prune"], repo)


def scratch_folder(workdir: Path, name: str) -> Path:
    """A fresh folder below `workdir` for one side's build (sides may load in parallel)."""
    workdir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=workdir))
