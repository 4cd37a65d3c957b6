"""Lineage and Cleanup steps: they act on what the pipeline made, in layouts of their own.

A Lineage step (the SDK's `LineageStep`) creates actions, artifacts and contexts (lists of
CreateAction, CreateArtifact and CreateContext requests) and associations between entities,
each end an ARN or a name and type that the same step creates. A Cleanup step (`CleanupStep`)
deletes the S3 outputs of steps that already ran: `Resources.S3` lists each source step,
optionally with the exact object URIs; the source must be among the step's dependencies.
"""

from __future__ import annotations

from typing import Any, Final

from pipeline_definition.check.issues import ValidationIssue
from pipeline_definition.check.members import Member, MemberChecker
from pipeline_definition.check.scope import Scope, child_path, describe_value
from pipeline_definition.check.service_model import operation_input, shape
from pipeline_definition.model.graph import StepNode

# Arguments member -> (the request each item is, the member that names it, the entity type,
# the property that maps names to ARNs).
ENTITIES: Final = {
    "Actions": ("CreateAction", "ActionName", "Action", "ActionArns"),
    "Artifacts": ("CreateArtifact", "ArtifactName", "Artifact", "ArtifactArns"),
    "Contexts": ("CreateContext", "ContextName", "Context", "ContextArns"),
}
ENTITY_TYPES: Final = tuple(entity for _, _, entity, _ in ENTITIES.values())


def created_entities(arguments: Any) -> dict[str, frozenset[str]]:
    """ActionArns, ArtifactArns, ContextArns -> the names a Lineage step's Arguments create."""
    created: dict[str, frozenset[str]] = {}
    for key, (_, name_member, _, arns) in ENTITIES.items():
        items = arguments.get(key) if isinstance(arguments, dict) else None
        created[arns] = frozenset(
            item[name_member]
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get(name_member), str)
        )
    return created


def check_lineage_step(node: StepNode, scope: Scope, label: str) -> list[ValidationIssue]:
    """The Arguments of a Lineage step."""
    checker = MemberChecker(label, scope)
    path = child_path(node.path, "Arguments")
    layout = {key: Member() for key in (*ENTITIES, "Associations")}
    arguments = checker.layout(
        node.raw.get("Arguments"), layout, path, "a Lineage step's Arguments"
    )
    if arguments is None:
        return checker.issues
    if not any(arguments.get(key) for key in layout):
        checker.report(
            path, "a Lineage step creates at least one entity or association", "missing-required"
        )
    for key, (operation, _, _, _) in ENTITIES.items():
        where = child_path(path, key)
        for index, item in enumerate(checker.items(arguments.get(key, []), where, key)):
            checker.typed(item, operation_input(operation), child_path(where, index))
    names = {entity: created_entities(arguments)[arns] for _, _, entity, arns in ENTITIES.values()}
    where = child_path(path, "Associations")
    for index, item in enumerate(
        checker.items(arguments.get("Associations", []), where, "Associations")
    ):
        _association(checker, item, child_path(where, index), names)
    return checker.issues


def _association(
    checker: MemberChecker, item: Any, path: str, names: dict[str, frozenset[str]]
) -> None:
    layout = {
        "Source": Member(required=True),
        "Destination": Member(required=True),
        "AssociationType": Member(shape("AssociationEdgeType")),
    }
    association = checker.layout(item, layout, path, "an association")
    if association is None:
        return
    for end in ("Source", "Destination"):
        if end in association:
            _entity_reference(checker, association[end], child_path(path, end), names)


def _entity_reference(
    checker: MemberChecker, reference: Any, path: str, names: dict[str, frozenset[str]]
) -> None:
    """{"Arn": ...} or {"Name": ..., "Type": ...} of an entity this step creates."""
    if isinstance(reference, dict) and "Arn" in reference:
        arn = operation_input("AddAssociation").members["SourceArn"]
        checker.layout(reference, {"Arn": Member(arn, required=True)}, path, "an ARN reference")
        return
    layout = {"Name": Member(required=True), "Type": Member(required=True)}
    found = checker.layout(reference, layout, path, "an entity reference")
    if found is None or "Name" not in found or "Type" not in found:
        return
    kind, name = found["Type"], found["Name"]
    if kind not in ENTITY_TYPES:
        checker.report(
            child_path(path, "Type"),
            f"unknown entity type {kind!r} (expected one of {', '.join(ENTITY_TYPES)})",
            "enum",
        )
    elif isinstance(name, str) and name not in names[kind]:
        # The service looks a name up only among the entities of the same step.
        checker.report(
            child_path(path, "Name"),
            f"this step creates no {kind} named '{name}'; name one it creates or give an Arn",
            "dangling-reference",
        )


def check_cleanup_step(node: StepNode, scope: Scope, label: str) -> list[ValidationIssue]:
    """The Arguments of a Cleanup step."""
    checker = MemberChecker(label, scope)
    path = child_path(node.path, "Arguments")
    arguments = checker.layout(
        node.raw.get("Arguments"),
        {"Resources": Member(required=True)},
        path,
        "a Cleanup step's Arguments",
    )
    resources = arguments.get("Resources") if arguments is not None else None
    where = child_path(path, "Resources")
    if (
        resources is None
        or checker.layout(resources, {"S3": Member(required=True)}, where, "Resources") is None
    ):
        return checker.issues
    where = child_path(where, "S3")
    for index, source in enumerate(checker.items(resources.get("S3"), where, "S3", least=1)):
        _cleanup_source(checker, node, source, child_path(where, index))
    return checker.issues


def _cleanup_source(checker: MemberChecker, node: StepNode, source: Any, path: str) -> None:
    layout = {"StepName": Member(required=True), "S3Uris": Member()}
    found = checker.layout(source, layout, path, "a cleanup source")
    if found is None:
        return
    name = found.get("StepName")
    where = child_path(path, "StepName")
    if "StepName" in found and not isinstance(name, str):
        checker.report(where, f"expected a step name, got {describe_value(name)}", "wrong-type")
    elif isinstance(name, str) and name not in checker.scope.steps:
        checker.report(where, f"step '{name}' does not exist", "dangling-reference")
    elif isinstance(name, str) and name not in node.depends_on:
        checker.report(
            where,
            f"a Cleanup step deletes outputs of steps that ran: list '{name}' in its DependsOn",
            "dangling-reference",
        )
    if "S3Uris" in found:
        uris = child_path(path, "S3Uris")
        for index, uri in enumerate(checker.items(found["S3Uris"], uris, "S3Uris", least=1)):
            checker.typed(uri, shape("S3Uri"), child_path(uris, index))
