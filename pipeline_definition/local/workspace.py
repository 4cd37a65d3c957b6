"""Where a local run keeps things: one folder, by default `.local/run` of the project.

```
<workdir>/render/definition.json      the rendered definition (when run-local renders it)
<workdir>/render/code/code/...        the code it refers to, as the CDK asset ships it
<workdir>/s3/<bucket>/<key>           the local object store
<workdir>/executions/<id>/            execution.json, logs/<step>.log, <step>/sandbox/
<workdir>/cache/<pipeline>/<step>/    step cache records
<workdir>/registry/<group>/<version>/ the local model registry
<workdir>/models/<ModelName>.json     models that Model steps created
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload


class _Folder:
    """A fixed folder below the workspace root, read as an attribute of a workspace."""

    def __init__(self, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, workspace: None, owner: type[Any]) -> _Folder: ...
    @overload
    def __get__(self, workspace: Workspace, owner: type[Any] | None = None) -> Path: ...
    def __get__(
        self, workspace: Workspace | None, owner: type[Any] | None = None
    ) -> Path | _Folder:
        return self if workspace is None else workspace.root / self.name


@dataclass(frozen=True)
class Workspace:
    """The folders of one local workdir (the layout above)."""

    root: Path
    store = _Folder("s3")
    executions = _Folder("executions")
    cache = _Folder("cache")
    registry = _Folder("registry")
    models = _Folder("models")
    render = _Folder("render")

    def execution(self, execution_id: str) -> Path:
        """The folder of one execution."""
        return self.executions / execution_id
