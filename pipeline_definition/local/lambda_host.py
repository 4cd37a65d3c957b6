"""Call a local Lambda handler as the Lambda runtime would, in a process of its own.

    python -m pipeline_definition.local.lambda_host <invocation.json>

The invocation file (written by `lambda_step.py`) names the handler (`package.module:function`,
imported from the folder run-local was started in), the event (the step's evaluated
Arguments) and the function's identity for the context object; the handler's return value is
written as JSON, and a handler that raises writes a one-line reason instead.

Standard library only: it runs the user's code in the job's environment.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Lambda's longest run.
TIMEOUT_SECONDS = 900


@dataclass
class LambdaContext:
    """The parts of the Lambda runtime's context object a handler reads."""

    function_name: str
    invoked_function_arn: str
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default_factory=lambda: time.monotonic() + TIMEOUT_SECONDS)

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda's timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(spec: str) -> Any:
    """The function a `package.module:function` spec names."""
    module_name, _, function_name = spec.partition(":")
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise AttributeError(f"{module_name} has no function {function_name!r}")
    return handler


def invoke(invocation: dict[str, Any]) -> Any:
    """Call the handler with the event and a context; return what it returns."""
    handler = load_handler(invocation["handler"])
    context = LambdaContext(
        function_name=invocation["function_name"],
        invoked_function_arn=invocation["function_arn"],
    )
    return handler(invocation["event"], context)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 with the result written, 1 with the failure reason written."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    invocation = json.loads(Path(arguments[0]).read_text())
    try:
        result = invoke(invocation)
        text = json.dumps(result)
    except Exception as error:  # the handler is the user's code: any error fails the step
        traceback.print_exc()
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        Path(invocation["failure_file"]).write_text(reason.splitlines()[0])
        return 1
    Path(invocation["result_file"]).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
