"""The one test definition: the shipped definition, read from its snapshot.

`tests/infra/test_app_synthesis.py` asserts that a fresh synth renders exactly this file, so
every test that reads a definition runs on what `cdk deploy` would send, placeholders included.
"""

from __future__ import annotations

import json
from typing import Any

from project.paths import PROJECT_ROOT

SHIPPED_DEFINITION = (
    PROJECT_ROOT
    / "tests"
    / "infra"
    / "__snapshots__"
    / "test_app_synthesis"
    / "test_pipeline_definition_matches_snapshot.json"
)
EVENTS = PROJECT_ROOT / "tests" / "fixtures" / "events"


def shipped_definition_text() -> str:
    """The definition body as rendered (sorted keys, `${...}` placeholders unresolved)."""
    return SHIPPED_DEFINITION.read_text()


def shipped_definition() -> dict[str, Any]:
    """The definition body parsed; a fresh copy on every call, so tests may change it."""
    parsed: dict[str, Any] = json.loads(shipped_definition_text())
    return parsed


def event(name: str) -> dict[str, Any]:
    """A recorded event from `tests/fixtures/events/<name>.json`."""
    parsed: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return parsed
