"""The fields every step type shares: DependsOn, RetryPolicies, CacheConfig and PropertyFiles.

They follow the pipeline definition schema and the SDK's limits (`sagemaker.mlops.workflow`
`retry.py` for retry policies, `StepDependency` for run conditions).
"""

from __future__ import annotations

from typing import Any, Final

from pipeline_definition.check.issues import IssueCollector
from pipeline_definition.check.scope import Scope, child_path, describe_value
from pipeline_definition.model.durations import is_expire_after
from pipeline_definition.model.graph import COMPLETED, TRIGGERS, StepNode, dependency_entry

# As in the SDK's `sagemaker.mlops.workflow.retry`: the exception types and their bounds.
STEP_EXCEPTIONS: Final = frozenset({"Step.SERVICE_FAULT", "Step.THROTTLING"})
JOB_EXCEPTIONS: Final = frozenset(
    {"SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR", "SageMaker.RESOURCE_LIMIT"}
)
# Model steps run no SageMaker job, so they cannot retry on a job's failures (the SDK refuses
# a SageMakerJobStepRetryPolicy there).
JOBLESS_STEP_TYPES: Final = frozenset({"Model", "RegisterModel"})
RETRY_KEYS: Final = frozenset(
    {"ExceptionType", "IntervalSeconds", "BackoffRate", "MaxAttempts", "ExpireAfterMin"}
)
MAX_ATTEMPTS: Final = 20
MAX_EXPIRE_AFTER_MIN: Final = 14400
# member -> (minimum, maximum, whether it is an integer)
RETRY_BOUNDS: Final[tuple[tuple[str, float, float | None, bool], ...]] = (
    ("IntervalSeconds", 0, None, True),
    ("BackoffRate", 0, None, False),
    ("MaxAttempts", 1, MAX_ATTEMPTS, True),
    ("ExpireAfterMin", 0, MAX_EXPIRE_AFTER_MIN, True),
)


def processing_outputs(arguments: Any) -> list[str]:
    """The OutputName of each processing output in a step's arguments."""
    config = arguments.get("ProcessingOutputConfig") if isinstance(arguments, dict) else None
    outputs = config.get("Outputs") if isinstance(config, dict) else None
    return [
        output["OutputName"]
        for output in (outputs if isinstance(outputs, list) else [])
        if isinstance(output, dict) and isinstance(output.get("OutputName"), str)
    ]


class StepFields(IssueCollector):
    """Checks of the shared step fields, for one step."""

    def __init__(self, step: str, node: StepNode, scope: Scope) -> None:
        super().__init__(step)
        self.node = node
        self.scope = scope

    def at(self, *keys: str | int) -> str:
        """The JSON path of `keys` below the step."""
        path = self.node.path
        for key in keys:
            path = child_path(path, key)
        return path

    def check_fields(self, type_: str) -> None:
        """DependsOn, then whichever of RetryPolicies, CacheConfig and PropertyFiles is set."""
        raw = self.node.raw
        self.check_depends_on(raw.get("DependsOn"))
        if "RetryPolicies" in raw:
            self.check_retry_policies(raw["RetryPolicies"], type_)
        if "CacheConfig" in raw:
            self.check_cache_config(raw["CacheConfig"])
        if "PropertyFiles" in raw:
            self.check_property_files(raw["PropertyFiles"])

    def check_depends_on(self, depends_on: Any) -> None:
        if depends_on is None:
            return
        if not isinstance(depends_on, list):
            self.report(
                self.at("DependsOn"),
                f"expected a list of step names, got {describe_value(depends_on)}",
                "wrong-type",
            )
            return
        seen: dict[str, str] = {}
        for index, entry in enumerate(depends_on):
            path = self.at("DependsOn", index)
            found = self.dependency(entry, path)
            if found is None:
                continue
            name, trigger = found
            if seen.get(name, trigger) != trigger:
                self.report(
                    path,
                    f"depends on step '{name}' with conflicting triggers: "
                    f"{seen[name]} and {trigger}",
                    "conflict",
                )
            seen.setdefault(name, trigger)
            if trigger != COMPLETED and name in self.node.referenced_steps:
                self.report(
                    path,
                    f"runs when '{name}' {trigger.lower()} but reads its properties, "
                    "which only a completed step has",
                    "conflict",
                )

    def dependency(self, entry: Any, path: str) -> tuple[str, str] | None:
        """(step, trigger) of one DependsOn entry, reporting what is wrong with it."""
        if isinstance(entry, dict):
            for key in sorted(set(entry) - {"Step", "Trigger"}):
                self.report(
                    child_path(path, str(key)),
                    f"unknown key '{key}' in a DependsOn entry (Step, Trigger)",
                    "unknown-key",
                )
            trigger = entry.get("Trigger", COMPLETED)
            if trigger not in TRIGGERS:
                self.report(
                    child_path(path, "Trigger"),
                    f"unknown trigger {trigger!r} (expected one of {', '.join(TRIGGERS)})",
                    "enum",
                )
                return None
        found = dependency_entry(entry)
        if found is None:
            expected = 'a step name or {"Step": name, "Trigger": ...}'
            self.report(path, f"expected {expected}, got {describe_value(entry)}", "wrong-type")
        elif found[0] not in self.scope.steps:
            self.report(
                path, f"depends on step '{found[0]}', which does not exist", "dangling-reference"
            )
        elif found[0] == self.node.name:
            self.report(path, "a step cannot depend on itself", "cycle")
        else:
            return found
        return None

    def check_retry_policies(self, policies: Any, type_: str) -> None:
        if not isinstance(policies, list):
            self.report(
                self.at("RetryPolicies"),
                f"expected a list, got {describe_value(policies)}",
                "wrong-type",
            )
            return
        for index, policy in enumerate(policies):
            path = self.at("RetryPolicies", index)
            if not isinstance(policy, dict):
                self.report(
                    path,
                    f"expected a retry policy object, got {describe_value(policy)}",
                    "wrong-type",
                )
                continue
            for key in sorted(set(policy) - RETRY_KEYS):
                self.report(
                    child_path(path, str(key)),
                    f"unknown key '{key}' in a retry policy",
                    "unknown-key",
                )
            self.check_exception_types(
                policy.get("ExceptionType"), child_path(path, "ExceptionType"), type_
            )
            for key, low, high, integral in RETRY_BOUNDS:
                if key in policy:
                    self.check_number(
                        policy[key], child_path(path, key), low, high, integral=integral
                    )
            if "MaxAttempts" in policy and "ExpireAfterMin" in policy:
                self.report(path, "give MaxAttempts or ExpireAfterMin, not both", "conflict")

    def check_exception_types(self, types: Any, path: str, step_type: str) -> None:
        if types is None:
            self.report(
                path,
                "a retry policy needs the ExceptionType list it applies to",
                "missing-required",
            )
            return
        if not isinstance(types, list):
            self.report(path, f"expected a list, got {describe_value(types)}", "wrong-type")
            return
        if not types:
            self.report(
                path, "a retry policy applies to at least one exception type", "out-of-range"
            )
            return
        allowed = STEP_EXCEPTIONS | (
            frozenset() if step_type in JOBLESS_STEP_TYPES else JOB_EXCEPTIONS
        )
        for index, exception in enumerate(types):
            if isinstance(exception, str) and exception in allowed:
                continue
            where = child_path(path, index)
            if isinstance(exception, str) and exception in JOB_EXCEPTIONS:
                message = f"{exception} does not apply to a {step_type} step: it runs no job"
            else:
                message = (
                    f"unknown exception type {exception!r} "
                    f"(expected one of {', '.join(sorted(allowed))})"
                )
            self.report(where, message, "enum")

    def check_number(
        self, value: Any, path: str, low: float | None, high: float | None, *, integral: bool
    ) -> None:
        expected = (int,) if integral else (int, float)
        if isinstance(value, bool) or not isinstance(value, expected):
            self.report(
                path,
                f"expected {'an integer' if integral else 'a number'}, got {describe_value(value)}",
                "wrong-type",
            )
        elif low is not None and value < low:
            self.report(path, f"{value} is below the minimum {low}", "out-of-range")
        elif high is not None and value > high:
            self.report(path, f"{value} is above the maximum {high}", "out-of-range")

    def check_cache_config(self, config: Any) -> None:
        path = self.at("CacheConfig")
        if not isinstance(config, dict):
            self.report(path, f"expected an object, got {describe_value(config)}", "wrong-type")
            return
        for key in sorted(set(config) - {"Enabled", "ExpireAfter"}):
            self.report(
                child_path(path, str(key)), f"unknown key '{key}' in CacheConfig", "unknown-key"
            )
        if "Enabled" not in config:
            self.report(
                child_path(path, "Enabled"), "CacheConfig needs Enabled", "missing-required"
            )
        elif not isinstance(config["Enabled"], bool):
            self.report(
                child_path(path, "Enabled"),
                f"expected a boolean, got {describe_value(config['Enabled'])}",
                "wrong-type",
            )
        expire = config.get("ExpireAfter")
        if "ExpireAfter" not in config:
            return
        if not isinstance(expire, str):
            self.report(
                child_path(path, "ExpireAfter"),
                f"expected an ISO-8601 duration string, got {describe_value(expire)}",
                "wrong-type",
            )
        elif not is_expire_after(expire):
            self.report(
                child_path(path, "ExpireAfter"),
                f"{expire!r} is not an ISO-8601 duration (for example 'P30D' or 'PT12H')",
                "pattern",
            )

    def check_property_files(self, files: Any) -> None:
        path = self.at("PropertyFiles")
        if not isinstance(files, list):
            self.report(path, f"expected a list, got {describe_value(files)}", "wrong-type")
            return
        outputs = set(processing_outputs(self.node.arguments))
        seen: set[str] = set()
        for index, entry in enumerate(files):
            entry_path = child_path(path, index)
            if not isinstance(entry, dict):
                self.report(
                    entry_path,
                    f"expected a property file object, got {describe_value(entry)}",
                    "wrong-type",
                )
                continue
            self.check_property_file(entry, entry_path, outputs)
            name = entry.get("PropertyFileName")
            if isinstance(name, str):
                if name in seen:
                    self.report(
                        child_path(entry_path, "PropertyFileName"),
                        f"property file '{name}' is declared twice",
                        "duplicate",
                    )
                seen.add(name)

    def check_property_file(self, entry: dict[str, Any], path: str, outputs: set[str]) -> None:
        for key in sorted(set(entry) - {"PropertyFileName", "OutputName", "FilePath"}):
            self.report(
                child_path(path, str(key)),
                f"unknown key '{key}' in a property file",
                "unknown-key",
            )
        for key in ("PropertyFileName", "OutputName", "FilePath"):
            if key not in entry:
                self.report(
                    child_path(path, key), f"a property file needs {key}", "missing-required"
                )
            elif not isinstance(entry[key], str):
                self.report(
                    child_path(path, key),
                    f"expected a string, got {describe_value(entry[key])}",
                    "wrong-type",
                )
        output = entry.get("OutputName")
        if isinstance(output, str) and output not in outputs:
            self.report(
                child_path(path, "OutputName"),
                f"'{output}' is not one of the step's processing outputs "
                f"({', '.join(sorted(outputs)) or 'none'})",
                "dangling-reference",
            )
