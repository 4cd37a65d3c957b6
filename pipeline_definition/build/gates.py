"""The pipeline's two gates: instance limits before any job, model quality before registering.

```
CheckInstanceLimits --(counts within bounds)--> ProcessData -> ... (every job follows it)
                    \\--(otherwise)-----------> FailOnInstanceLimits
CheckQuality --(rmse <= threshold)--> RegisterModel
             \\--(otherwise)--------> FailOnQuality
```

Both compare with values fixed at deploy time (`instance_types.py`, `project/controls.py`),
written into the definition as literals, so a run cannot widen them. Each Fail step's message
names what was measured and the bound it broke.
"""

from __future__ import annotations

from sagemaker.core.workflow.conditions import (
    ConditionGreaterThanOrEqualTo,
    ConditionLessThanOrEqualTo,
)
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import ParameterInteger
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.steps import Step

from pipeline_definition.build.instance_types import MAX_INSTANCE_COUNT, MIN_INSTANCE_COUNT

LIMITS_STEP = "CheckInstanceLimits"
LIMITS_FAIL_STEP = "FailOnInstanceLimits"
CHECK_STEP = "CheckQuality"
REGISTER_STEP = "RegisterModel"
FAIL_STEP = "FailOnQuality"


def instance_limits_gate(counts: list[ParameterInteger], guarded: list[Step]) -> ConditionStep:
    """Run `guarded` only when every count parameter is within the bounds; else fail the run."""
    conditions: list[ConditionGreaterThanOrEqualTo | ConditionLessThanOrEqualTo] = []
    for count in counts:
        conditions.append(ConditionGreaterThanOrEqualTo(left=count, right=MIN_INSTANCE_COUNT))
        conditions.append(ConditionLessThanOrEqualTo(left=count, right=MAX_INSTANCE_COUNT))
    got: list[object] = []
    for index, count in enumerate(counts):
        got.extend([f"{', ' if index else ''}{count.name}=", count])
    names = " and ".join(count.name for count in counts)
    fail = FailStep(
        name=LIMITS_FAIL_STEP,
        error_message=Join(
            on="",
            values=[
                f"Instance limits: {names} must each be between {MIN_INSTANCE_COUNT} and "
                f"{MAX_INSTANCE_COUNT}; got ",
                *got,
                "; no job was started.",
            ],
        ),
        description="Stop the run before any job starts when an instance count is out of bounds",
    )
    return ConditionStep(
        name=LIMITS_STEP,
        conditions=conditions,
        if_steps=guarded,
        else_steps=[fail],
        description=(
            f"Start the jobs only when every instance count is between {MIN_INSTANCE_COUNT} "
            f"and {MAX_INSTANCE_COUNT}"
        ),
    )


def quality_gate(rmse: JsonGet, threshold: float, register: Step) -> ConditionStep:
    """Register only when `rmse` is at most the deploy-time `threshold`; else fail the run."""
    fail = FailStep(
        name=FAIL_STEP,
        error_message=Join(
            on="",
            values=[
                "Model quality gate failed: RMSE of log price ",
                rmse,
                f" is above the threshold of {threshold:g}; the model was not registered.",
            ],
        ),
        description="Stop the run when the model misses the quality bar",
    )
    return ConditionStep(
        name=CHECK_STEP,
        conditions=[ConditionLessThanOrEqualTo(left=rmse, right=threshold)],
        if_steps=[register],
        else_steps=[fail],
        description=f"Register only when RMSE of log price <= {threshold:g}",
    )
