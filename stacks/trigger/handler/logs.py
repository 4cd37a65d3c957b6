"""The trigger's logger: every record carries the keys bound for the current invocation.

The function is set to Lambda's JSON log format, whose formatter writes each record's `extra`
keys as fields, so binding `pipeline`, `bucket`, `key`, `token`, ... once puts them on every
following line of the invocation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

LOGGER_NAME = "pipeline_trigger"


def _present(fields: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in fields.items() if value is not None}


class InvocationLog(logging.LoggerAdapter[logging.Logger]):
    """Adds the keys bound for this invocation to every record's `extra`."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.getLogger(name), {})

    def bind(self, **fields: object) -> None:
        """Add keys to every following record (until `clear`); None values are left out."""
        self.extra = {**(self.extra or {}), **_present(fields)}

    def clear(self) -> None:
        """Forget the bound keys (at the start of each invocation)."""
        self.extra = {}

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        """Merge the bound keys under the record's own `extra`."""
        kwargs["extra"] = {**(self.extra or {}), **_present(kwargs.get("extra") or {})}
        return msg, kwargs


logger = InvocationLog(LOGGER_NAME)
