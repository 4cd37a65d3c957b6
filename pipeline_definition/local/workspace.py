"""Where a local run keeps things: one folder, by default `.local/run` of the project.

```
<workdir>/render/definition.json      the rendered definition (when run-local renders it)
<workdir>/render/code/code/...        the code it refers to, as the CDK asset ships it
<workdir>/s3/<bucket>/<key>           the local object store
<workdir>/executions/<id>/            execution.json, logs/<step>.log, <step>/sandbox/
<workdir>/cache/<pipeline>/<step>/    step cache records
<workdir>/registry/<group>/<version>/ the local model registry
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Workspace:
    """The folders of one local workdir."""

    root: Path

    @property
    def store(self) -> Path:
        """Root of the local object store."""
        return self.root / "s3"

    @property
    def executions(self) -> Path:
        """One folder per execution."""
        return self.root / "executions"

    @property
    def cache(self) -> Path:
        """Step cache records."""
        return self.root / "cache"

    @property
    def registry(self) -> Path:
        """The local model registry."""
        return self.root / "registry"

    @property
    def render(self) -> Path:
        """Where run-local writes the definition it renders."""
        return self.root / "render"

    def execution(self, execution_id: str) -> Path:
        """The folder of one execution."""
        return self.executions / execution_id
