"""The trigger: EventBridge rules and the Lambda function that start pipeline runs.

`PipelineTrigger` is imported on first use, so tests of the handler package
(`stacks.trigger.handler`) do not start the CDK's jsii runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stacks.trigger.construct import PipelineTrigger

__all__ = ["PipelineTrigger"]


def __getattr__(name: str) -> Any:
    if name == "PipelineTrigger":
        from stacks.trigger.construct import PipelineTrigger  # noqa: PLC0415 - loads aws_cdk

        return PipelineTrigger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
