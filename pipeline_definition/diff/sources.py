"""Load one side of a diff: a definition file, a `cdk.out` folder, a git ref, or `deployed`.

How a side is read, in this order:

- `git:REF` is always a git ref; `deployed` is always the deployed pipeline; `-` is stdin.
- An existing folder is a synthesized cloud assembly (`cdk.out`); an existing file is JSON: a
  definition, a CloudFormation template, or a saved `describe-pipeline` answer.
- Anything else is a git ref when `git rev-parse --verify REF^{commit}` accepts it.

A git ref is rendered at that commit in a temporary worktree with this interpreter, the way CI
renders it; `${...}` placeholders are kept as they are in every source except `deployed`, where
CloudFormation has already resolved them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline_definition.model.limits import parse_definition_text
from project.settings import Settings, SettingsError, project_settings

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

GIT_PREFIX = "git:"
NOT_FOUND = re.compile(r"does not exist|could not find|not found", re.IGNORECASE)
DEPLOYED = "deployed"
STDIN = "-"
PIPELINE_RESOURCE = "AWS::SageMaker::Pipeline"
RENDER_TIMEOUT_SECONDS = 900
GIT_TIMEOUT_SECONDS = 120
# `git worktree add/remove` update shared metadata: one at a time when sides load in parallel.
_WORKTREE_LOCK = threading.Lock()


class SourceError(Exception):
    """A side cannot be loaded; the message says which and why, in one line."""


@dataclass(frozen=True)
class LoadedDefinition:
    """A parsed definition and a short label saying where it came from."""

    label: str
    definition: dict[str, Any]


@dataclass(frozen=True)
class PipelineResource:
    """An `AWS::SageMaker::Pipeline` found in a template."""

    template: Path
    logical_id: str
    name: str
    body: str


def parse_definition(text: str, label: str) -> dict[str, Any]:
    """Parse definition JSON; raise SourceError unless it is a JSON object."""
    try:
        parsed = parse_definition_text(text, label)  # DefinitionLimitError: too deep or large
    except json.JSONDecodeError as error:
        raise SourceError(f"{label}: not valid JSON ({error})") from error
    if not isinstance(parsed, dict):
        raise SourceError(f"{label}: the definition is not a JSON object")
    return parsed


# ---------------------------------------------------------------------------------------------
# CloudFormation templates and cdk.out


def _token_text(part: Any) -> str:
    """Stand-in text for a CloudFormation intrinsic inside a joined string, JSON-safe."""
    if isinstance(part, dict) and len(part) == 1:
        ((key, value),) = part.items()
        if key == "Ref" and isinstance(value, str):
            return "${" + value + "}"
        if key == "Fn::GetAtt" and isinstance(value, list):
            return "${" + ".".join(str(v) for v in value) + "}"
        return "${" + str(key) + "}"
    return "${?}"


def body_text(value: Any, where: str) -> str:
    """The definition body of a `PipelineDefinitionBody`: plain, `Fn::Sub` or `Fn::Join`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Fn::Sub":
            # `Fn::Sub` takes the body alone or [body, variables]; keep its ${...} as-is.
            body = argument[0] if isinstance(argument, list) and argument else argument
            if isinstance(body, str):
                return body
        if key == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            delimiter, parts = argument
            if isinstance(delimiter, str) and isinstance(parts, list):
                return delimiter.join(p if isinstance(p, str) else _token_text(p) for p in parts)
    raise SourceError(f"{where}: PipelineDefinitionBody is neither a string, Fn::Sub nor Fn::Join")


def pipelines_in_template(template: Mapping[str, Any], path: Path) -> list[PipelineResource]:
    """Every `AWS::SageMaker::Pipeline` resource of a parsed template, with its body."""
    resources = template.get("Resources")
    found: list[PipelineResource] = []
    if not isinstance(resources, dict):
        return found
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != PIPELINE_RESOURCE:
            continue
        where = f"{path} {logical_id}"
        properties = resource.get("Properties") or {}
        name = properties.get("PipelineName")
        definition = properties.get("PipelineDefinition") or {}
        if "PipelineDefinitionBody" not in definition:
            raise SourceError(
                f"{where}: no PipelineDefinitionBody (a definition kept in S3 is not supported)"
            )
        found.append(
            PipelineResource(
                template=path,
                logical_id=str(logical_id),
                name=name if isinstance(name, str) else json.dumps(name, sort_keys=True),
                body=body_text(definition["PipelineDefinitionBody"], where),
            )
        )
    return found


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"cannot read {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise SourceError(f"{path}: not valid JSON ({error})") from error


def choose_pipeline(
    pipelines: list[PipelineResource], pipeline: str | None, where: str
) -> PipelineResource:
    """The one pipeline to compare: the only one, or the one named by `--pipeline`."""
    names = ", ".join(sorted(p.name for p in pipelines)) or "none"
    if pipeline is not None:
        matches = [p for p in pipelines if p.name == pipeline]
        if len(matches) != 1:
            raise SourceError(f"{where}: no single pipeline named {pipeline!r} (found: {names})")
        return matches[0]
    if not pipelines:
        raise SourceError(f"{where}: no {PIPELINE_RESOURCE} resource found")
    if len(pipelines) > 1:
        raise SourceError(f"{where}: several pipelines ({names}); choose one with --pipeline NAME")
    return pipelines[0]


def load_cdk_out(folder: Path, pipeline: str | None = None) -> LoadedDefinition:
    """The pipeline definition of a synthesized cloud assembly (`cdk.out`)."""
    templates = sorted(folder.glob("*.template.json")) + sorted(
        folder.glob("assembly-*/*.template.json")
    )
    if not templates:
        raise SourceError(f"{folder}: no *.template.json files; is it a synthesized cdk.out?")
    pipelines = [found for t in templates for found in pipelines_in_template(_read_json(t), t)]
    chosen = choose_pipeline(pipelines, pipeline, str(folder))
    label = f"{folder} ({chosen.name})"
    return LoadedDefinition(label, parse_definition(chosen.body, f"{label} definition body"))


def load_file(
    path: Path, pipeline: str | None = None, label: str | None = None
) -> LoadedDefinition:
    """A definition JSON file, a CloudFormation template, or a saved describe-pipeline answer."""
    label = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"cannot read {path}: {error}") from error
    return _from_text(text, label, pipeline, path)


def _from_text(text: str, label: str, pipeline: str | None, path: Path) -> LoadedDefinition:
    parsed = parse_definition(text, label)
    if isinstance(parsed.get("Resources"), dict):
        chosen = choose_pipeline(pipelines_in_template(parsed, path), pipeline, label)
        return LoadedDefinition(
            f"{label} ({chosen.name})", parse_definition(chosen.body, f"{label} definition body")
        )
    if isinstance(parsed.get("PipelineDefinition"), str):
        # The answer of `aws sagemaker describe-pipeline`, saved to a file.
        return LoadedDefinition(label, parse_definition(parsed["PipelineDefinition"], label))
    return LoadedDefinition(label, parsed)


# ---------------------------------------------------------------------------------------------
# Git refs


def _git(args: list[str], cwd: Path, timeout: float = GIT_TIMEOUT_SECONDS) -> str:
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
    return Path(_git(["rev-parse", "--show-toplevel"], start))


def resolve_commit(ref: str, repo: Path) -> str | None:
    """The commit SHA `ref` names in `repo`, or None when it names no commit."""
    if not ref or ref.startswith("-"):
        return None
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo) or None
    except SourceError:
        return None


def render_at_commit(
    ref: str,
    repo: Path,
    *,
    python: str = sys.executable,
    environ: Mapping[str, str] | None = None,
    timeout: float = RENDER_TIMEOUT_SECONDS,
) -> LoadedDefinition:
    """Render the definition as it was at `ref`, in a temporary worktree of `repo`."""
    commit = resolve_commit(ref, repo)
    if commit is None:
        raise SourceError(f"{ref!r} is not a commit in {repo}")
    label = f"git:{ref}" if commit.startswith(ref) else f"git:{ref} ({commit[:12]})"
    scratch = Path(tempfile.mkdtemp(prefix="pipeline-diff-"))
    worktree = scratch / "worktree"
    out = scratch / "definition.json"
    try:
        with _WORKTREE_LOCK:
            _git(["worktree", "add", "--detach", "--quiet", str(worktree), commit], repo)
        env = dict(os.environ if environ is None else environ)
        # The commit's own code, not the current checkout's, must be imported.
        env["PYTHONPATH"] = str(worktree)
        env.pop("PYTHONHOME", None)
        command = [python, "-m", "pipeline_definition", "render", "--out", str(out)]
        try:
            result = subprocess.run(
                command,
                cwd=worktree,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise SourceError(f"{label}: rendering took longer than {timeout:.0f} s") from error
        except OSError as error:
            raise SourceError(f"{label}: cannot run {python}: {error}") from error
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            reason = lines[-1].removeprefix("error: ") if lines else "no output"
            raise SourceError(f"{label}: rendering failed (exit {result.returncode}): {reason}")
        if not out.is_file():
            raise SourceError(f"{label}: rendering wrote no definition")
        return load_file(out, label=label)
    finally:
        _remove_worktree(worktree, repo)
        shutil.rmtree(scratch, ignore_errors=True)


def _remove_worktree(worktree: Path, repo: Path) -> None:
    with _WORKTREE_LOCK:
        if worktree.exists():
            try:
                _git(["worktree", "remove", "--force", str(worktree)], repo)
            except SourceError:
                shutil.rmtree(worktree, ignore_errors=True)
        # Drops the bookkeeping of a worktree whose folder is already gone.
        with contextlib.suppress(SourceError):
            _git(["worktree", "prune"], repo)


# ---------------------------------------------------------------------------------------------
# The deployed pipeline


def load_deployed(
    pipeline_name: str,
    *,
    region: str | None = None,
    fallback_region: str | None = None,
    client: SageMakerClient | None = None,
) -> LoadedDefinition:
    """The definition of the deployed pipeline, from `DescribePipeline`.

    The region is `region`, else the one boto3 finds (AWS_DEFAULT_REGION, the profile), else
    `fallback_region`.
    """
    import boto3  # noqa: PLC0415 - only this source needs the AWS SDK
    from botocore.exceptions import (  # noqa: PLC0415
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    try:
        if client is None:
            session = boto3.session.Session()
            # The endpoint is left to boto3, which honours AWS_ENDPOINT_URL(_SAGEMAKER) itself.
            client = session.client(
                "sagemaker", region_name=region or session.region_name or fallback_region
            )
        region_name = client.meta.region_name
        label = f"deployed:{pipeline_name} ({region_name})"
        answer = client.describe_pipeline(PipelineName=pipeline_name)
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise SourceError(
            f"no AWS credentials to read the deployed pipeline ({error}); "
            "set AWS_PROFILE or sign in, or compare against a file instead"
        ) from error
    except ProfileNotFound as error:
        raise SourceError(f"AWS profile problem: {error}") from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        # SageMaker says ResourceNotFound; some emulators say ValidationException "not find".
        if code in {"ResourceNotFound", "ResourceNotFoundException"} or NOT_FOUND.search(message):
            raise SourceError(
                f"pipeline {pipeline_name!r} not found in {region_name}: {message}"
            ) from error
        raise SourceError(f"AWS error reading pipeline {pipeline_name!r}: {code}: {message}") from (
            error
        )
    except BotoCoreError as error:
        raise SourceError(f"AWS error reading pipeline {pipeline_name!r}: {error}") from error
    body = answer.get("PipelineDefinition")
    if not body:
        raise SourceError(f"{label}: DescribePipeline returned no PipelineDefinition")
    return LoadedDefinition(label, parse_definition(body, label))


# ---------------------------------------------------------------------------------------------
# Choosing the source


@dataclass(frozen=True)
class SideOptions:
    """What loading a side may need besides its spec."""

    pipeline: str | None = None
    pipeline_name: str | None = None
    region: str | None = None
    repo: Path | None = None
    python: str = sys.executable


def side_kind(spec: str, repo: Path | None = None) -> str:
    """Which kind of source `spec` is: git, deployed, stdin, folder or file.

    A spec that is not an existing path is a git ref only when `git rev-parse` resolves it to a
    commit in `repo` (default: the checkout around the current folder); else SourceError.
    """
    if spec.startswith(GIT_PREFIX):
        return "git"
    if spec == DEPLOYED:
        return "deployed"
    if spec == STDIN:
        return "stdin"
    path = Path(spec)
    if path.is_dir():
        return "folder"
    if path.exists():
        return "file"
    repo = repo or _repository_or_none(Path.cwd())
    if repo is not None and resolve_commit(spec, repo) is not None:
        return "git"
    raise SourceError(f"{spec!r} is not a file, a folder, a git ref (try git:{spec}) or 'deployed'")


def load_side(spec: str, options: SideOptions, environ: Mapping[str, str]) -> LoadedDefinition:
    """Load one side of the diff as described by `spec`."""
    kind = side_kind(spec, options.repo)
    if kind == "git":
        repo = options.repo or repository_root(Path.cwd())
        ref = spec.removeprefix(GIT_PREFIX)
        return render_at_commit(ref, repo, python=options.python, environ=environ)
    if kind == "deployed":
        return _load_deployed_side(options, environ)
    if kind == "stdin":
        return _from_text(sys.stdin.read(), "stdin", options.pipeline, Path("stdin"))
    if kind == "folder":
        return load_cdk_out(Path(spec), options.pipeline)
    return load_file(Path(spec), options.pipeline)


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
    return load_deployed(name, region=region, fallback_region=settings.region if settings else None)


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
