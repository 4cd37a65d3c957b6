"""What the values of a definition are: expressions, condition operators and container images.

A value in a step's arguments is a literal or an expression the pipeline service evaluates at
execution time: `{"Get": "Parameters.X"}`, `{"Std:Join": ...}` or `{"Std:JsonGet": ...}`. The
checker, the diff and the local executor all read them, so what counts as one is decided here.
"""

from __future__ import annotations

import re
from typing import Any, Final

GET: Final = "Get"
JOIN: Final = "Std:Join"
JSON_GET: Final = "Std:JsonGet"
FUNCTIONS: Final = (JOIN, JSON_GET)
EXPRESSION_KEYS: Final = frozenset({GET, *FUNCTIONS})
# Every function the pipeline service defines is named Std:<name>.
FUNCTION_PREFIX: Final = "Std:"

# A comparison condition's Type -> its operator, as in the SDK's
# `sagemaker.core.workflow.conditions`.
COMPARISON_OPERATORS: Final[dict[str, str]] = {
    "Equals": "==",
    "GreaterThan": ">",
    "GreaterThanOrEqualTo": ">=",
    "LessThan": "<",
    "LessThanOrEqualTo": "<=",
}
CONDITION_TYPES: Final = (*COMPARISON_OPERATORS, "In", "Not", "Or")

# The keys under which steps name the container image they run.
IMAGE_KEYS: Final = frozenset({"ImageUri", "TrainingImage", "Image"})
ECR_IMAGE_PATTERN: Final = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+)(:[\w.-]+)?$"
)


def is_expression(value: Any) -> bool:
    """Whether `value` is a `Get`, `Std:Join` or `Std:JsonGet` expression."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in EXPRESSION_KEYS


def looks_like_expression(value: Any) -> bool:
    """Whether `value` is written as an expression: a `Get` or any `Std:` function, known or not.

    The checker reads these as expressions, so that an unknown function is reported as one
    rather than as an unknown member of the API shape.
    """
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == GET or key.startswith(FUNCTION_PREFIX))


def image_uris_in(definition: dict[str, Any]) -> list[str]:
    """Return the container images the definition's steps run, sorted and unique."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in IMAGE_KEYS and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(definition)
    return sorted(found)


def repository_arns(images: list[str], partition: str) -> list[str]:
    """Map ECR image URIs to their repository ARNs; raise ValueError for non-ECR images."""
    arns = set()
    for image in images:
        match = ECR_IMAGE_PATTERN.match(image)
        if not match:
            raise ValueError(f"image {image!r} is not an ECR image URI")
        arns.add(
            f"arn:{partition}:ecr:{match['region']}:{match['account']}:"
            f"repository/{match['repository']}"
        )
    return sorted(arns)
