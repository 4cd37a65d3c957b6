"""Structured logs: one JSON object per line, with keys bound for the whole invocation.

The Lambda runtime puts its own handler on the root logger; this logger writes to stdout
itself and does not propagate, so each record appears once, as JSON, in CloudWatch.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON object: level, message, timestamp, then bound fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON."""
        entry: dict[str, Any] = {
            "level": record.levelname,
            "message": record.getMessage(),
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if value is not None})
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception_type"] = record.exc_info[0].__name__
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class StdoutHandler(logging.Handler):
    """Write to whatever `sys.stdout` is at emit time (test capture replaces it)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write one formatted line and flush, so lines survive a frozen sandbox."""
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:  # logging must never break the handler
            self.handleError(record)


class StructuredLogger:
    """A small Powertools-style logger: `bind` keys once, every later line carries them."""

    def __init__(self, name: str, level: str = "INFO") -> None:
        self._logger = logging.getLogger(name)
        self._logger.propagate = False
        if not any(isinstance(h, StdoutHandler) for h in self._logger.handlers):
            handler = StdoutHandler()
            handler.setFormatter(JsonFormatter())
            self._logger.addHandler(handler)
        self._logger.setLevel(level.upper() if level.upper() in LEVELS else "INFO")
        self._keys: dict[str, Any] = {}

    def bind(self, **fields: Any) -> None:
        """Add keys to every following line (until `clear`)."""
        self._keys.update(fields)

    def clear(self) -> None:
        """Forget the bound keys (at the start of each invocation)."""
        self._keys = {}

    def debug(self, message: str, **fields: Any) -> None:
        """Log at DEBUG."""
        self._log(logging.DEBUG, message, fields)

    def info(self, message: str, **fields: Any) -> None:
        """Log at INFO."""
        self._log(logging.INFO, message, fields)

    def warning(self, message: str, **fields: Any) -> None:
        """Log at WARNING."""
        self._log(logging.WARNING, message, fields)

    def error(self, message: str, **fields: Any) -> None:
        """Log at ERROR."""
        self._log(logging.ERROR, message, fields)

    def exception(self, message: str, **fields: Any) -> None:
        """Log at ERROR with the current exception's traceback."""
        self._log(logging.ERROR, message, fields, exc_info=True)

    def _log(
        self, level: int, message: str, fields: dict[str, Any], *, exc_info: bool = False
    ) -> None:
        self._logger.log(
            level, message, extra={"fields": {**self._keys, **fields}}, exc_info=exc_info
        )
