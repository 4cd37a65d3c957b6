"""What the expressions of a running execution read: parameters, execution variables, the
properties of finished steps, their property files and JSON objects in the local store."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pipeline_definition.local.definition import LocalDefinition
from pipeline_definition.local.evaluation import EvaluationContext, ExpressionError
from pipeline_definition.local.execution import ExecutionInfo
from pipeline_definition.local.results import StepResult
from pipeline_definition.local.steps import outputs_of
from pipeline_definition.local.store import LocalObjectStore, StoreError


def read_property_file(
    store: LocalObjectStore,
    *,
    step: str,
    name: str,
    entry: Mapping[str, Any],
    outputs: Mapping[str, str],
) -> Any:
    """The parsed file that `entry` (a PropertyFiles item) names in the step's `outputs`."""
    output = entry.get("OutputName")
    uri = outputs.get(str(output))
    if uri is None:
        raise ExpressionError(f"property file {name!r}: step {step!r} has no output {output!r}")
    path = store.path(uri) / str(entry.get("FilePath", ""))
    if not path.is_file():
        raise ExpressionError(
            f"property file {name!r} of step {step!r}: {path} does not exist "
            f"(output {output!r} at {uri})"
        )
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ExpressionError(
            f"property file {name!r} of step {step!r} ({path}) is not JSON: {error}"
        ) from error


class ExecutionScope:
    """The values a running execution's expressions can see; property files are read once."""

    def __init__(
        self,
        *,
        definition: LocalDefinition,
        store: LocalObjectStore,
        steps: Mapping[str, StepResult],
        lock: threading.RLock,
        parameters: Mapping[str, Any],
        info: ExecutionInfo,
        clock: Callable[[], datetime],
    ) -> None:
        self.definition = definition
        self.store = store
        self.steps = steps
        self.lock = lock
        self.parameters = parameters
        self.info = info
        self.clock = clock
        self._property_files: dict[tuple[str, str], Any] = {}

    def step_properties(self, name: str) -> Mapping[str, Any]:
        """The describe document of a finished step."""
        with self.lock:
            step = self.steps.get(name)
            if step is None or step.properties is None:
                status = step.status if step else "unknown"
                raise ExpressionError(f"step {name!r} has no properties (status: {status})")
            return step.properties

    def property_file(self, step: str, name: str) -> Any:
        """A step's declared property file, parsed."""
        if (step, name) in self._property_files:
            return self._property_files[(step, name)]
        entry = self.definition.property_file(step, name)
        if entry is None:
            raise ExpressionError(f"step {step!r} declares no property file {name!r}")
        document = read_property_file(
            self.store,
            step=step,
            name=name,
            entry=entry,
            outputs=outputs_of(self.definition.nodes[step].type, self.step_properties(step)),
        )
        self._property_files[(step, name)] = document
        return document

    def read_json(self, uri: str) -> Any:
        """A JSON object of the local store."""
        try:
            return self.store.read_json(uri)
        except StoreError as error:
            raise ExpressionError(str(error)) from error

    def context(self, extra: Mapping[str, str] | None = None) -> EvaluationContext:
        """The evaluation context now, with `extra` execution variables (a job's name)."""
        return EvaluationContext(
            parameters=self.parameters,
            execution={**self.info.variables(self.clock()), **(extra or {})},
            step_properties=self.step_properties,
            property_file=self.property_file,
            read_json=self.read_json,
        )
