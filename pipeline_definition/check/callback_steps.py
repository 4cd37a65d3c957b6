"""Lambda and Callback steps: they call out (a Lambda function, an SQS queue) and wait for outputs.

Neither calls a SageMaker API, so their layout follows the pipeline definition schema and the
SDK's `LambdaStep` and `CallbackStep`: the target beside the Arguments (`FunctionArn`, checked
against the Lambda API's own pattern, or `SqsQueueUrl`), free-form Arguments whose
expressions must still resolve, and `OutputParameters`, each a name and one of the types the
outputs take; other steps read them as `Steps.<step>.OutputParameters['<name>']`.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pipeline_definition.check.expression_types import check_expressions_in
from pipeline_definition.check.issues import ValidationIssue
from pipeline_definition.check.members import Member, MemberChecker
from pipeline_definition.check.scope import PARAMETER_KINDS, Scope, child_path, describe_value
from pipeline_definition.check.service_model import shape
from pipeline_definition.model.graph import StepNode
from pipeline_definition.model.placeholders import is_placeholder

# OutputType -> the kind of value its output has: the parameter types.
OUTPUT_TYPES: Final = PARAMETER_KINDS
OUTPUT_PARAMETER: Final = {
    "OutputName": Member(required=True),
    "OutputType": Member(required=True),
}
# https://sqs.<region>.amazonaws.com/<account>/<queue>: the account and the queue name.
_QUEUE_URL = re.compile(r"https://[^/\s]+/\d{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?")


def output_parameter_kinds(raw: Any) -> dict[str, Any]:
    """Declared output name -> the kind of its value, for the names that are well formed."""
    declared = raw.get("OutputParameters") if isinstance(raw, dict) else None
    kinds: dict[str, Any] = {}
    for entry in declared if isinstance(declared, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("OutputName"), str):
            kinds[entry["OutputName"]] = OUTPUT_TYPES.get(str(entry.get("OutputType")), "any")
    return kinds


def check_lambda_step(node: StepNode, scope: Scope, label: str) -> list[ValidationIssue]:
    """FunctionArn, OutputParameters and the expressions in the Arguments of a Lambda step."""
    checker = _CallbackChecker(label, scope, node)
    arn = node.raw.get("FunctionArn")
    if arn is None:
        checker.report(
            checker.at("FunctionArn"), "a Lambda step needs a FunctionArn", "missing-required"
        )
    else:
        checker.typed(arn, shape("FunctionArn", "lambda"), checker.at("FunctionArn"))
    checker.outputs_and_arguments()
    return checker.issues


def check_callback_step(node: StepNode, scope: Scope, label: str) -> list[ValidationIssue]:
    """SqsQueueUrl, OutputParameters and the expressions in the Arguments of a Callback step."""
    checker = _CallbackChecker(label, scope, node)
    url = node.raw.get("SqsQueueUrl")
    path = checker.at("SqsQueueUrl")
    if url is None:
        checker.report(path, "a Callback step needs an SqsQueueUrl", "missing-required")
    elif not isinstance(url, str):
        checker.report(path, f"expected a queue URL, got {describe_value(url)}", "wrong-type")
    elif not is_placeholder(url) and _QUEUE_URL.fullmatch(url) is None:
        checker.report(
            path,
            f"{url!r} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)",
            "pattern",
        )
    checker.outputs_and_arguments()
    return checker.issues


class _CallbackChecker(MemberChecker):
    def __init__(self, step: str, scope: Scope, node: StepNode) -> None:
        super().__init__(step, scope)
        self.node = node

    def at(self, *keys: str | int) -> str:
        path = self.node.path
        for key in keys:
            path = child_path(path, key)
        return path

    def outputs_and_arguments(self) -> None:
        arguments = self.node.raw.get("Arguments")
        if arguments is not None and not isinstance(arguments, dict):
            self.report(
                self.at("Arguments"),
                f"expected an object of inputs, got {describe_value(arguments)}",
                "wrong-type",
            )
        self.issues.extend(
            check_expressions_in(arguments, self.at("Arguments"), self.step, self.scope)
        )
        declared = self.node.raw.get("OutputParameters")
        if declared is not None:
            self.output_parameters(declared)

    def output_parameters(self, declared: Any) -> None:
        seen: set[str] = set()
        for index, entry in enumerate(
            self.items(declared, self.at("OutputParameters"), "OutputParameters")
        ):
            path = self.at("OutputParameters", index)
            if self.layout(entry, OUTPUT_PARAMETER, path, "an output parameter") is None:
                continue
            name, kind = entry.get("OutputName"), entry.get("OutputType")
            if "OutputName" in entry and not isinstance(name, str):
                self.report(child_path(path, "OutputName"), "OutputName is a string", "wrong-type")
            if "OutputType" in entry and kind not in OUTPUT_TYPES:
                self.report(
                    child_path(path, "OutputType"),
                    f"unknown OutputType {kind!r} (expected one of {', '.join(OUTPUT_TYPES)})",
                    "enum",
                )
            if isinstance(name, str) and name in seen:
                self.report(
                    child_path(path, "OutputName"),
                    f"output parameter '{name}' is declared twice",
                    "duplicate",
                )
            if isinstance(name, str):
                seen.add(name)
