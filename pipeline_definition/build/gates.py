"""The pipeline's two gates: instance limits before any job, model quality before registering.

```
CheckInstanceLimits --(counts within bounds)--> ProcessData -> ... (every job follows it)
                    \\--(otherwise)-----------> FailOnInstanceLimits
CheckQuality --(rmse <= threshold and rmse - champion's <= tolerance)--> RegisterModel
             \\--(otherwise)-----------------------------------------------> FailOnQuality
```

Both compare with values fixed at deploy time (`instance_types.py`, `project/controls.py`),
written into the definition as literals, so a run cannot widen them. Each Fail step's message
names what was measured and the bound it broke. The champion's side of the quality gate is a
figure EvaluateModel computes on the same test split (`champion.rmse_above_champion` in
evaluation.json: 0 when there is no champion), because a condition can compare two values but
not add one to another.
"""

from __future__ import annotations

from dataclasses import dataclass

from sagemaker.core.workflow.conditions import (
    ConditionGreaterThanOrEqualTo,
    ConditionLessThanOrEqualTo,
)
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import ParameterInteger
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.steps import Step

from ml_scripts import layout
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


def quality_gate(
    evaluate: Step, report: PropertyFile, threshold: float, tolerance: float, register: Step
) -> ConditionStep:
    """Register only when the RMSE in `evaluate`'s `report` is at most the deploy-time
    `threshold` and at most `tolerance` above the champion's; else fail with both figures."""

    def figure(path: str) -> JsonGet:
        return JsonGet(step_name=evaluate.name, property_file=report, json_path=path)

    rmse = figure(layout.GATE_METRIC_PATH)
    champion = ChampionFigures(
        rmse_above=figure(layout.CHAMPION_GATE_PATH),
        description=figure(layout.CHAMPION_DESCRIPTION_PATH),
    )
    fail = FailStep(
        name=FAIL_STEP,
        error_message=Join(
            on="",
            values=[
                "Model quality gate failed: RMSE of log price ",
                figure(layout.GATE_METRIC_TEXT_PATH),
                f" must be at most {threshold:g} (the threshold) and at most {tolerance:g} "
                "above the champion's (the tolerance); ",
                champion.description,
                "; the model was not registered.",
            ],
        ),
        description="Stop the run when the model misses the quality bar or trails the champion",
    )
    return ConditionStep(
        name=CHECK_STEP,
        conditions=[
            ConditionLessThanOrEqualTo(left=rmse, right=threshold),
            ConditionLessThanOrEqualTo(left=champion.rmse_above, right=tolerance),
        ],
        if_steps=[register],
        else_steps=[fail],
        description=(
            f"Register only when RMSE of log price <= {threshold:g} and at most {tolerance:g} "
            "above the champion's"
        ),
    )


@dataclass(frozen=True)
class ChampionFigures:
    """What EvaluateModel reports about the champion, as the gate reads it."""

    rmse_above: JsonGet
    description: JsonGet
