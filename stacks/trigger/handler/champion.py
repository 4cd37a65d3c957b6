"""The trigger's champion lookup: the run parameter that names the model a new one must beat.

Before each start the handler asks this module for ChampionModelData: the model archive of the
newest Approved version of the group (ListModelPackages, then DescribeModelPackage), when that
model is one this pipeline trained; otherwise the parameter is left out and its default, a
placeholder, means "no champion". The rules are `project/champion.py`, shared with `execute`
and `run-local`. A manual event that names its own ChampionModelData is rejected there too.

Environment (set by the `PipelineTrigger` construct):

| variable | meaning |
| --- | --- |
| MODEL_PACKAGE_GROUP_NAME | the group the pipeline registers into |
| CHAMPION_MODELS_PREFIX | `s3://<artifact bucket>/models/`: only a model below it can be champion |

AWS errors propagate, so the handler classifies them as it does StartPipelineExecution's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from project.champion import CHAMPION_MODEL_DATA, RegistryClient, find_champion, refuse_champion
from project.run_parameters import ParameterSpec

GROUP_VARIABLE = "MODEL_PACKAGE_GROUP_NAME"
PREFIX_VARIABLE = "CHAMPION_MODELS_PREFIX"

__all__ = ["ChampionConfigurationError", "refuse_champion", "with_champion"]


class ChampionConfigurationError(RuntimeError):
    """The function lacks the lookup's environment: a deployment problem, raised to be seen."""


def with_champion(
    parameters: Mapping[str, str],
    sagemaker: RegistryClient,
    specs: Mapping[str, ParameterSpec],
    log: logging.LoggerAdapter[Any],
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`parameters` plus ChampionModelData when the pipeline declares it and has a champion."""
    if CHAMPION_MODEL_DATA not in specs:
        return dict(parameters)
    environ = os.environ if environ is None else environ
    group = environ.get(GROUP_VARIABLE, "").strip()
    prefix = environ.get(PREFIX_VARIABLE, "").strip()
    if not group or not prefix:
        raise ChampionConfigurationError(
            f"the pipeline declares {CHAMPION_MODEL_DATA} but {GROUP_VARIABLE} or "
            f"{PREFIX_VARIABLE} is not set"
        )
    lookup = find_champion(sagemaker, group, prefix)
    champion = lookup.champion
    log.info(
        "Champion looked up",
        extra={
            "champion": champion.arn if champion is not None else None,
            "champion_model_data": champion.model_data_url if champion is not None else None,
            "reason": lookup.reason,
        },
    )
    return {**parameters, **lookup.parameters()}
