"""EMR and EMR Serverless steps: requests to other services, laid out by the SDK's step classes.

An EMR step adds one `StepConfig` (the EMR API's shape; the pipeline names the step) to a
running cluster (`ClusterId`, with an optional `ExecutionRoleArn`) or to a cluster it creates
(`ClusterConfig`: a RunJobFlow request without Name, Steps or AutoTerminationPolicy, whose
Instances must not keep the cluster alive or protect it). An EMR Serverless step starts a job
run (`JobConfig`: a StartJobRun request, client token left to the pipeline) on an existing
application (`ApplicationId`) or on one it creates (`ApplicationConfig`: a CreateApplication
request), with the run's role also at the top (`ExecutionRoleArn`).
"""

from __future__ import annotations

from typing import Any, Final

from pipeline_definition.check.issues import ValidationIssue
from pipeline_definition.check.members import Member, MemberChecker
from pipeline_definition.check.scope import Scope, child_path
from pipeline_definition.check.service_model import operation_input
from pipeline_definition.model.graph import StepNode

# What the SDK's EMRStep refuses in a cluster_config, as the service does.
FORBIDDEN_CLUSTER: Final = ("Name", "Steps", "AutoTerminationPolicy")
FORBIDDEN_INSTANCES: Final = ("KeepJobFlowAliveWhenNoSteps", "TerminationProtected")


def _emr_layout() -> dict[str, Member]:
    add_steps = operation_input("AddJobFlowSteps", "emr")
    return {
        "ClusterId": Member(add_steps.members["JobFlowId"]),
        "ClusterConfig": Member(
            operation_input("RunJobFlow", "emr"), service_named=frozenset({"Name"})
        ),
        "StepConfig": Member(
            add_steps.members["Steps"].member,  # type: ignore[attr-defined]
            required=True,
            service_named=frozenset({"Name"}),
        ),
        "ExecutionRoleArn": Member(add_steps.members["ExecutionRoleArn"]),
    }


def _serverless_layout() -> dict[str, Member]:
    start = operation_input("StartJobRun", "emr-serverless")
    return {
        "ExecutionRoleArn": Member(start.members["executionRoleArn"], required=True),
        "JobConfig": Member(
            start,
            required=True,
            # The application comes from ApplicationId or ApplicationConfig.
            service_named=frozenset({"clientToken", "applicationId"}),
        ),
        "ApplicationId": Member(start.members["applicationId"]),
        "ApplicationConfig": Member(
            operation_input("CreateApplication", "emr-serverless"),
            service_named=frozenset({"clientToken"}),
        ),
    }


def check_emr_step(node: StepNode, scope: Scope, label: str) -> list[ValidationIssue]:
    """The Arguments of an EMR step."""
    checker = MemberChecker(label, scope)
    path = child_path(node.path, "Arguments")
    arguments = checker.layout(
        node.raw.get("Arguments"), _emr_layout(), path, "an EMR step's Arguments"
    )
    if arguments is None:
        return checker.issues
    checker.one_of(arguments, ("ClusterId", "ClusterConfig"), path)
    if "ExecutionRoleArn" in arguments and "ClusterId" not in arguments:
        checker.report(
            child_path(path, "ExecutionRoleArn"),
            "ExecutionRoleArn applies to a running cluster (ClusterId), not to ClusterConfig",
            "conflict",
        )
    _forbidden(checker, arguments.get("ClusterConfig"), child_path(path, "ClusterConfig"))
    return checker.issues


def _forbidden(checker: MemberChecker, config: Any, path: str) -> None:
    if not isinstance(config, dict):
        return
    instances = config.get("Instances")
    found = [(path, key) for key in FORBIDDEN_CLUSTER if key in config]
    if isinstance(instances, dict):
        where = child_path(path, "Instances")
        found += [(where, key) for key in FORBIDDEN_INSTANCES if key in instances]
    for where, key in found:
        checker.report(
            child_path(where, key),
            f"{key} is set by the pipeline for the cluster an EMR step creates; remove it",
            "conflict",
        )


def check_emr_serverless_step(node: StepNode, scope: Scope, label: str) -> list[ValidationIssue]:
    """The Arguments of an EMR Serverless step."""
    checker = MemberChecker(label, scope)
    path = child_path(node.path, "Arguments")
    arguments = checker.layout(
        node.raw.get("Arguments"), _serverless_layout(), path, "an EMRServerless step's Arguments"
    )
    if arguments is None:
        return checker.issues
    checker.one_of(arguments, ("ApplicationId", "ApplicationConfig"), path)
    job = arguments.get("JobConfig")
    application = arguments.get("ApplicationId")
    given = job.get("applicationId") if isinstance(job, dict) else None
    if isinstance(given, str) and isinstance(application, str) and given != application:
        checker.report(
            child_path(child_path(path, "JobConfig"), "applicationId"),
            f"JobConfig runs on application {given!r} but the step names {application!r}",
            "conflict",
        )
    return checker.issues
