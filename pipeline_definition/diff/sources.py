"""Load one side of a diff: a definition file, a `cdk.out` folder, a git ref, the working tree,
or `deployed`.

How a side is read, in this order:

- `git:REF` is always a git ref; `deployed` is always the deployed pipeline; `-` is stdin;
  `WORKTREE` is the checkout around the current folder, uncommitted edits included.
- An existing folder is a synthesized cloud assembly (`cdk.out`) when it holds templates, or a
  checkout of this project (its working tree, `.` for example) when it holds a `cdk.json`; an
  existing file is JSON: a definition, a CloudFormation template, or a saved
  `describe-pipeline` answer.
- Anything else is a git ref when `git rev-parse --verify REF^{commit}` accepts it.

A git ref or a working tree is synthesized with its own code (see `checkouts`); `${...}`
placeholders are kept as they are in every source except `deployed`, where CloudFormation has
already resolved them.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline_definition.build.staging import CODE_PREFIX
from pipeline_definition.diff.checkouts import (
    Build,
    load_commit,
    load_working_tree,
    repository_root,
    resolve_commit,
    scratch_folder,
)
from pipeline_definition.diff.deployed import NO_LOCAL_CODE, load_deployed
from pipeline_definition.diff.side import CodeSource, LoadedDefinition, SourceError
from pipeline_definition.diff.templates import from_text, load_cdk_out, load_file
from project.paths import RENDER_CACHE_DIR
from project.settings import Settings, SettingsError, project_settings

GIT_PREFIX = "git:"
DEPLOYED = "deployed"
STDIN = "-"
WORKTREE = "WORKTREE"

__all__ = ["LoadedDefinition", "SideOptions", "SourceError", "load_side", "side_kind"]


@dataclass(frozen=True)
class SideOptions:
    """What loading a side may need besides its spec."""

    pipeline: str | None = None
    pipeline_name: str | None = None
    region: str | None = None
    # The AWS profile for 'deployed' (None: AWS_PROFILE or the default chain).
    profile: str | None = None
    repo: Path | None = None
    python: str = sys.executable
    # Render git refs and working trees without synthesizing them.
    render_only: bool = False
    # Where built sides keep their output until the diff is printed (default: a temp folder).
    workdir: Path | None = None


def side_kind(spec: str, repo: Path | None = None) -> str:
    """Which kind of source `spec` is: git, worktree, deployed, stdin, folder or file.

    A spec that is not an existing path is a git ref only when `git rev-parse` resolves it to a
    commit in `repo` (default: the checkout around the current folder); else SourceError.
    """
    named = {DEPLOYED: "deployed", STDIN: "stdin", WORKTREE: "worktree"}
    if spec.startswith(GIT_PREFIX):
        return "git"
    if spec in named:
        return named[spec]
    path = Path(spec)
    if path.is_dir():
        templates = any(path.glob("*.template.json")) or any(path.glob("assembly-*"))
        return "worktree" if not templates and (path / "cdk.json").is_file() else "folder"
    if path.exists():
        return "file"
    repo = repo or _repository_or_none(Path.cwd())
    if repo is not None and resolve_commit(spec, repo) is not None:
        return "git"
    raise SourceError(
        f"{spec!r} is not a file, a folder, a git ref (try git:{spec}), WORKTREE or 'deployed'"
    )


def load_side(spec: str, options: SideOptions, environ: Mapping[str, str]) -> LoadedDefinition:
    """Load one side of the diff as described by `spec`."""
    kind = side_kind(spec, options.repo)
    if kind in ("git", "worktree"):
        return _built_side(spec, kind, options, environ)
    if kind == "deployed":
        return _load_deployed_side(options, environ)
    if kind == "stdin":
        return from_text(sys.stdin.read(), "stdin", options.pipeline, Path("stdin"))
    if kind == "folder":
        return load_cdk_out(Path(spec), options.pipeline)
    return load_file(Path(spec), options.pipeline)


def _built_side(
    spec: str, kind: str, options: SideOptions, environ: Mapping[str, str]
) -> LoadedDefinition:
    build = Build(
        python=options.python,
        environ=environ,
        render_only=options.render_only,
        pipeline=options.pipeline,
    )
    workdir = options.workdir or _temporary_workdir()
    out = scratch_folder(workdir, kind)
    if kind == "worktree":
        checkout = Path(spec) if spec != WORKTREE else _current_checkout()
        return load_working_tree(checkout.resolve(), out, build)
    repo = options.repo or repository_root(Path.cwd())
    return load_commit(spec.removeprefix(GIT_PREFIX), repo, out, build)


def _current_checkout() -> Path:
    """The checkout WORKTREE names: the git checkout around here, else a project folder here."""
    root = _repository_or_none(Path.cwd())
    if root is not None:
        return root
    if (Path.cwd() / "cdk.json").is_file():
        return Path.cwd()
    raise SourceError(f"WORKTREE: {Path.cwd()} is in no git checkout and holds no cdk.json")


def _temporary_workdir() -> Path:
    """A folder for built sides that lives until the process ends (the command passes one)."""
    folder = Path(tempfile.mkdtemp(prefix="pipeline-diff-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _load_deployed_side(options: SideOptions, environ: Mapping[str, str]) -> LoadedDefinition:
    settings: Settings | None = None
    try:
        settings = _settings(environ)
    except SourceError:
        # The settings only supply defaults; a name given on the command line is enough.
        if not options.pipeline_name:
            raise
    name = options.pipeline_name or (settings.pipeline_name if settings else "")
    # boto3 reads AWS_DEFAULT_REGION and the profile, not AWS_REGION, which CDK and CI set.
    region = options.region or environ.get("AWS_REGION") or None
    return load_deployed(
        name,
        region=region,
        profile=options.profile,
        fallback_region=settings.region if settings else None,
        code=cached_code(RENDER_CACHE_DIR),
    )


def cached_code(cache_dir: Path) -> CodeSource:
    """The staged code of every render in the cache: content-addressed, so any hit is exact."""
    roots = (
        tuple(sorted(p / CODE_PREFIX for p in cache_dir.iterdir() if (p / CODE_PREFIX).is_dir()))
        if cache_dir.is_dir()
        else ()
    )
    return CodeSource(roots, f"{NO_LOCAL_CODE} (none in {cache_dir} either)")


def _repository_or_none(start: Path) -> Path | None:
    try:
        return repository_root(start)
    except SourceError:
        return None


def _settings(environ: Mapping[str, str]) -> Settings:
    try:
        return project_settings(environ)
    except (SettingsError, OSError, ValueError) as error:
        raise SourceError(
            f"cannot tell the pipeline name from the app settings ({error}); pass --pipeline-name"
        ) from error
