"""Read a side from CloudFormation: a synthesized `cdk.out` folder or a template file.

The pipeline resource gives the definition body (with its `${...}` placeholders kept), the
`Fn::Sub` variables behind them and the resource's other properties; the assembly's asset
folders hold the staged code (`asset.<hash>/code/<bundle>/<hash>/`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline_definition.diff.deployed import described
from pipeline_definition.diff.model import MISSING
from pipeline_definition.diff.side import (
    CodeSource,
    LoadedDefinition,
    PipelineProperties,
    SourceError,
    parse_definition,
)

PIPELINE_RESOURCE = "AWS::SageMaker::Pipeline"
CODE_FOLDER = "code"
BARE_FILE = (
    "a bare definition file holds no pipeline resource: its name, role, description, tags, "
    "parallelism and ${...} values are unknown"
)
NO_TEMPLATE_CODE = "a template file outside its cdk.out folder has no staged code beside it"


@dataclass(frozen=True)
class PipelineResource:
    """An `AWS::SageMaker::Pipeline` found in a template."""

    template: Path
    logical_id: str
    name: str
    body: str
    properties: PipelineProperties


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


def substitutions(value: Any) -> dict[str, Any]:
    """The variables of an `Fn::Sub` body ([body, variables]); none for other bodies."""
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), list):
        argument = value["Fn::Sub"]
        if len(argument) == 2 and isinstance(argument[1], dict):
            return {str(name): variable for name, variable in argument[1].items()}
    return {}


def _tags(value: Any) -> dict[str, Any]:
    if not isinstance(value, list):
        return {}
    return {
        str(tag["Key"]): tag.get("Value", "")
        for tag in value
        if isinstance(tag, dict) and "Key" in tag
    }


def _properties(logical_id: str, properties: Mapping[str, Any]) -> PipelineProperties:
    definition = properties.get("PipelineDefinition") or {}
    return PipelineProperties(
        name=properties.get("PipelineName", MISSING),
        role_arn=properties.get("RoleArn", MISSING),
        description=properties.get("PipelineDescription", MISSING),
        display_name=properties.get("PipelineDisplayName", MISSING),
        parallelism=properties.get("ParallelismConfiguration", MISSING),
        tags=_tags(properties.get("Tags")),
        substitutions=substitutions(definition.get("PipelineDefinitionBody")),
        logical_id=logical_id,
    )


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
                properties=_properties(str(logical_id), properties),
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


def asset_code(folder: Path) -> CodeSource:
    """The staged code in a cloud assembly: every asset folder, and its `code/` if it has one.

    The code deployment's asset is the staging folder's `code/` itself (its objects land below
    `code/` in the bucket); an older layout shipped the staging folder with `code/` inside.
    Bundles are found by `<bundle>/<hash>/`, so a folder that holds other files never matches.
    """
    assets = [
        path
        for pattern in ("asset.*", "assembly-*/asset.*")
        for path in sorted(folder.glob(pattern))
        if path.is_dir()
    ]
    roots = tuple(
        root for asset in assets for root in (asset / CODE_FOLDER, asset) if root.is_dir()
    )
    return CodeSource(roots, "" if roots else f"{folder} holds no staged code asset")


def _loaded(chosen: PipelineResource, label: str, code: CodeSource) -> LoadedDefinition:
    return LoadedDefinition(
        label=label,
        definition=parse_definition(chosen.body, f"{label} definition body"),
        properties=chosen.properties,
        code=code,
    )


def load_cdk_out(
    folder: Path, pipeline: str | None = None, label: str | None = None
) -> LoadedDefinition:
    """The pipeline of a synthesized cloud assembly (`cdk.out`), with its staged code."""
    templates = sorted(folder.glob("*.template.json")) + sorted(
        folder.glob("assembly-*/*.template.json")
    )
    if not templates:
        raise SourceError(f"{folder}: no *.template.json files; is it a synthesized cdk.out?")
    pipelines = [found for t in templates for found in pipelines_in_template(_read_json(t), t)]
    chosen = choose_pipeline(pipelines, pipeline, str(folder))
    return _loaded(chosen, label or f"{folder} ({chosen.name})", asset_code(folder))


def load_file(
    path: Path, pipeline: str | None = None, label: str | None = None
) -> LoadedDefinition:
    """A definition JSON file, a CloudFormation template, or a saved describe-pipeline answer."""
    label = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"cannot read {path}: {error}") from error
    return from_text(text, label, pipeline, path)


def from_text(text: str, label: str, pipeline: str | None, path: Path) -> LoadedDefinition:
    """A side from JSON text: a template, a describe-pipeline answer or a bare definition."""
    parsed = parse_definition(text, label)
    if isinstance(parsed.get("Resources"), dict):
        chosen = choose_pipeline(pipelines_in_template(parsed, path), pipeline, label)
        code = asset_code(path.parent) if path.is_file() else CodeSource()
        return _loaded(
            chosen,
            f"{label} ({chosen.name})",
            code if code.roots else CodeSource((), NO_TEMPLATE_CODE),
        )
    if isinstance(parsed.get("PipelineDefinition"), str):
        # The answer of `aws sagemaker describe-pipeline`, saved to a file.
        return described(parsed, label)
    return LoadedDefinition(
        label, parsed, unknown=BARE_FILE, code=CodeSource((), "a bare definition file")
    )
