"""The controls that guard the Model Registry, set at deploy time and never by a run.

Approval on registration, the quality gate's RMSE threshold and the tolerance against the
champion (the latest Approved version) are settings (`cdk.json` context, or their environment
variables), reviewed in a pull request like any other change to the stack. The builder writes
them into the definition as literals, so `diff` shows a change and no execution parameter can
reach them: the trigger Lambda, `execute` and `run-local` refuse a `ModelApprovalStatus`,
`RmseThreshold` or `ChampionTolerance` parameter as unknown. The limits on instance types and
counts live beside the allowed types (`pipeline_definition/build/instance_types.py`).

Standard library only: `project.settings` validates with these rules.
"""

from __future__ import annotations

import math

PENDING_MANUAL_APPROVAL = "PendingManualApproval"
APPROVED = "Approved"
# What a registered model version may start as. `Rejected` is a valid API value, but a
# pipeline that rejects every model it registers is a mistake, not a control.
DEPLOY_APPROVAL_STATUSES = (PENDING_MANUAL_APPROVAL, APPROVED)
DEFAULT_MODEL_APPROVAL_STATUS = PENDING_MANUAL_APPROVAL

# RMSE of log1p(price) on the test split: the model reaches about 0.120 (bootstrap sd 0.020),
# so the gate passes today's model with margin and stops a clearly worse one.
DEFAULT_RMSE_THRESHOLD = 0.15
# Predicting the median price of the embedded data scores 0.42; a threshold above 1.0 would
# pass models far worse than that, which is no gate at all.
MAX_RMSE_THRESHOLD = 1.0

# How much higher than the champion's RMSE (both on the same test split) a new model's may be
# and still register. Retraining on the same data gives the same model (a difference of 0);
# 0.005 is about 4% of today's RMSE, well inside the bootstrap sd of 0.020, so noise from new
# data does not block a model, while a clearly worse one (a mistyped hyperparameter) is stopped.
DEFAULT_CHAMPION_TOLERANCE = 0.005


def approval_status_problem(raw: str) -> str | None:
    """Why `raw` cannot be the status new model versions register with, or None."""
    if raw in DEPLOY_APPROVAL_STATUSES:
        return None
    return (
        f"{raw!r} must be {PENDING_MANUAL_APPROVAL} (a person approves each version) or "
        f"{APPROVED} (versions that pass the quality gate are approved at once)"
    )


def rmse_threshold_problem(raw: str) -> str | None:
    """Why `raw` cannot be the quality gate's RMSE threshold, or None."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isfinite(value) and 0.0 < value <= MAX_RMSE_THRESHOLD:
        return None
    return (
        f"{raw!r} must be a number above 0 and at most {MAX_RMSE_THRESHOLD:g} (RMSE of log "
        f"price; today's model scores about 0.12, predicting the median 0.42)"
    )


def champion_tolerance_problem(raw: str) -> str | None:
    """Why `raw` cannot be the tolerance against the champion's RMSE, or None."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isfinite(value) and 0.0 <= value <= MAX_RMSE_THRESHOLD:
        return None
    return (
        f"{raw!r} must be a number from 0 to {MAX_RMSE_THRESHOLD:g} (how much higher than the "
        f"champion's RMSE of log price a new model's may be; 0 means never worse)"
    )
