"""The trigger's log records as Lambda's JSON log format prints them.

The function is set to Lambda's JSON log format: the runtime's formatter writes level, message
and logger, the exception's type and message, and every `extra` key of the record as a field,
leaving out None values. Tests read records from `caplog` and look at them in that shape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

# Attributes every LogRecord has; anything else on a record came from `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
TRIGGER_LOGGER = "pipeline_trigger"


def lambda_json(records: Iterable[logging.LogRecord]) -> list[dict[str, Any]]:
    """One dictionary per record, with the fields Lambda's JSON formatter would write."""
    lines = []
    for record in records:
        line: dict[str, Any] = {
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["errorType"] = record.exc_info[0].__name__
            line["errorMessage"] = str(record.exc_info[1])
        line.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _RECORD_ATTRIBUTES and key not in line
        )
        lines.append({key: value for key, value in line.items() if value is not None})
    return lines
