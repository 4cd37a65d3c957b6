"""Models that Model steps create, kept like the account keeps them: one JSON file per model.

`<workdir>/models/<ModelName>.json` holds the evaluated CreateModel arguments plus what
DescribeModel adds. A Transform step names its model (`ModelName`, usually the Model step's
`Steps.<step>.ModelName`) and runs the container this file describes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError

# SageMaker's ModelName pattern; names also name files here.
_MODEL_NAME = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")


class LocalModels:
    """The models of one local workdir."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        if not _MODEL_NAME.match(name) or len(name) > 63:
            raise LocalJobError(f"{name!r} is not a valid ModelName", CLIENT_ERROR)
        return self.root / f"{name}.json"

    def create(self, describe: Mapping[str, Any]) -> Path:
        """Keep a model's describe document under its ModelName; refuse a name taken."""
        path = self._path(str(describe.get("ModelName")))
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x") as handle:
                json.dump(describe, handle, indent=2, sort_keys=True)
        except FileExistsError as error:
            raise LocalJobError(
                f"a model named {describe.get('ModelName')!r} already exists ({path})",
                CLIENT_ERROR,
            ) from error
        return path

    def describe(self, name: Any) -> dict[str, Any]:
        """The describe document of a model; ClientError when there is none."""
        if not isinstance(name, str):
            raise LocalJobError(f"ModelName evaluated to {name!r}, not a string", CLIENT_ERROR)
        path = self._path(name)
        if not path.is_file():
            raise LocalJobError(
                f"no model named {name!r}: locally, models are created by the Model steps of "
                f"local runs (in {self.root})",
                CLIENT_ERROR,
            )
        found: dict[str, Any] = json.loads(path.read_text())
        return found
