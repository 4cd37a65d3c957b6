"""Paths into a definition as the diff writes them: `Arguments.AppSpecification.ImageUri`.

Objects add `.key`; list items add `[name]` when the list's items are matched by name (see
`pipeline_definition.diff.compare`), `[index]` otherwise.
"""

from __future__ import annotations

import re

# Lists whose order carries no meaning: they are compared, and their changes told, as sets.
UNORDERED_KEYS = frozenset(
    {
        "DependsOn",
        "EnumValues",
        "ExceptionType",
        "SupportedContentTypes",
        "SupportedResponseMIMETypes",
        "SupportedRealtimeInferenceInstanceTypes",
        "SupportedTransformInstanceTypes",
    }
)


def last_key(path: str) -> str:
    """The last object key of a path: `Outputs` for `A.Outputs[train]`."""
    # Item names may hold dots ("RetryPolicies[Step.THROTTLING]"): drop them first.
    return re.sub(r"\[[^\]]*\]", "", path).rsplit(".", 1)[-1]


def join(path: str, key: str) -> str:
    """The path of member `key` of the object at `path` (`key` alone at the top)."""
    return f"{path}.{key}" if path else key
