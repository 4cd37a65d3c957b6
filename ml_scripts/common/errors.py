"""Errors that name a breach of the data contract."""

from __future__ import annotations


class DataContractError(Exception):
    """A file-level breach: the step stops with this one message."""


class RowError(ValueError):
    """Rows that cannot be scored; the message names each row and its reason."""
