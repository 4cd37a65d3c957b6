"""The validator's lists of names follow the installed SageMaker SDK.

The SDK modules are read, not imported: importing `sagemaker.mlops` takes seconds and wants
an AWS region.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from pipeline_definition.check.condition_steps import CONDITION_MEMBERS
from pipeline_definition.check.scope import EXECUTION_VARIABLES, PARAMETER_KINDS
from pipeline_definition.check.steps import JOB_EXCEPTIONS, STEP_EXCEPTIONS, STEP_TYPES


def sdk_root() -> Path:
    """The installed `sagemaker` package folder."""
    spec = importlib.util.find_spec("sagemaker")
    assert spec is not None and spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations)))


def class_strings(module: str, class_name: str) -> set[str]:
    """The string values assigned in a class body: `A = "x"` or `A = Factory("x")`."""
    tree = ast.parse((sdk_root() / module).read_text())
    values: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        for statement in node.body:
            if not isinstance(statement, ast.Assign):
                continue
            value = statement.value
            if isinstance(value, ast.Call) and value.args:
                value = value.args[0]
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                values.add(value.value)
    assert values, f"{class_name} not found in {module}"
    return values


def test_execution_variables_match_the_sdk() -> None:
    sdk = class_strings("core/workflow/execution_variables.py", "ExecutionVariables")
    assert sdk == EXECUTION_VARIABLES


def test_condition_types_match_the_sdk() -> None:
    sdk = class_strings("core/workflow/conditions.py", "ConditionTypeEnum")
    assert sdk == set(CONDITION_MEMBERS)


def test_parameter_types_match_the_sdk() -> None:
    sdk = class_strings("core/workflow/parameters.py", "ParameterTypeEnum")
    assert sdk == set(PARAMETER_KINDS)


def test_step_types_match_the_sdk() -> None:
    assert class_strings("mlops/workflow/steps.py", "StepTypeEnum") == STEP_TYPES


def test_retry_exception_types_match_the_sdk() -> None:
    retry = "mlops/workflow/retry.py"
    assert class_strings(retry, "StepExceptionTypeEnum") == STEP_EXCEPTIONS
    assert class_strings(retry, "SageMakerJobExceptionTypeEnum") == JOB_EXCEPTIONS
