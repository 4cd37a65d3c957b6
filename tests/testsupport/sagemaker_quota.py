"""moto's SageMaker as the service behaves at its concurrent-execution quota.

moto starts every pipeline execution and finishes it at once, and starts a new one for a
ClientRequestToken it has seen. `ExecutionQuota` replaces the backend's StartPipelineExecution
(a response hook: moto answers the error as SageMaker does) so that, like the service:

- a start with a token already used returns that execution instead of starting another;
- a start while `limit` executions are Executing is refused with ResourceLimitExceeded;
- a started execution stays Executing until `finish` (or `finish_due`) ends it.

It works in-process (`mock_aws`) and behind a `ThreadedMotoServer` alike; a lock makes the check
and the start one step, as in the service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sagemaker.exceptions import SagemakerClientError
from moto.sagemaker.models import sagemaker_backends

DEFAULT_LIMIT = 20
EXECUTING = "Executing"


@dataclass
class ExecutionQuota:
    """The quota, the executions started under it and when each is due to finish."""

    region: str
    pipeline: str
    limit: int = DEFAULT_LIMIT
    # Seconds an execution runs once started (the bench draws them; tests finish by hand).
    duration: Callable[[], float] | None = None
    refused: int = 0
    duplicates: int = 0
    due: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def backend(self) -> Any:
        """moto's SageMaker backend for the account and region."""
        return sagemaker_backends[DEFAULT_ACCOUNT_ID][self.region]

    def executions(self) -> dict[str, Any]:
        """Every execution of the pipeline, by ARN."""
        return dict(self.backend.pipelines[self.pipeline].pipeline_executions)

    def executing(self) -> list[str]:
        """The ARNs of the executions still running."""
        return [
            arn
            for arn, execution in self.executions().items()
            if execution.pipeline_execution_status == EXECUTING
        ]

    def _start(self, original: Callable[..., dict[str, str]], *args: Any) -> dict[str, str]:
        token = args[-1]
        with self.lock:
            for arn, execution in self.executions().items():
                if token and execution.client_request_token == token:
                    self.duplicates += 1
                    return {"PipelineExecutionArn": arn}
            if len(self.executing()) >= self.limit:
                self.refused += 1
                # moto serializes an error by its service: a SageMaker error class it must be.
                raise SagemakerClientError(
                    "ResourceLimitExceeded",
                    f"The account-level service limit 'Maximum number of concurrent pipeline "
                    f"executions' is {self.limit} Pipeline Executions, with current "
                    f"utilization of {self.limit} Pipeline Executions.",
                )
            response = original(*args)
            arn = response["PipelineExecutionArn"]
            self.executions()[arn].pipeline_execution_status = EXECUTING
            if self.duration is not None:
                self.due[arn] = time.monotonic() + self.duration()
            return response

    @contextmanager
    def installed(self) -> Iterator[ExecutionQuota]:
        """Answer StartPipelineExecution through the quota while inside the block."""
        backend = self.backend
        original = backend.start_pipeline_execution
        backend.start_pipeline_execution = lambda *args: self._start(original, *args)
        try:
            yield self
        finally:
            del backend.start_pipeline_execution

    def finish(self, arn: str, status: str = "Succeeded") -> None:
        """End one execution: its slot frees."""
        with self.lock:
            self.executions()[arn].pipeline_execution_status = status
            self.due.pop(arn, None)

    def finish_due(self) -> int:
        """End every execution whose time has come; how many ended."""
        now = time.monotonic()
        ended = [arn for arn, at in list(self.due.items()) if at <= now]
        for arn in ended:
            self.finish(arn)
        return len(ended)
