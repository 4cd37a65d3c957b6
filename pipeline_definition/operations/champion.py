"""The champion for `execute`: the newest Approved model version of the deployed pipeline's group.

The deployed definition says which group to ask (its RegisterModel step's ModelPackageGroupName)
and which models can be the champion (those below `models/` in the bucket of ChampionModelData's
default placeholder). The lookup and its rules are `project/champion.py`, as in the trigger; a
`--param ChampionModelData=...` is refused: no run chooses its own champion.

The operator needs `sagemaker:ListModelPackages` and `sagemaker:DescribeModelPackage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline_definition.operations import OperationError
from project.champion import (
    ChampionLookup,
    RegistryClient,
    champion_target,
    find_champion,
    refuse_champion,
)
from project.run_parameters import ParameterError

LOOKUP_ACTIONS = "sagemaker:ListModelPackages and sagemaker:DescribeModelPackage"


def refuse_user_champion(values: Mapping[str, str]) -> None:
    """OperationError when `--param` names the champion."""
    try:
        refuse_champion(values)
    except ParameterError as error:
        raise OperationError(f"--param: {error}") from error


def deployed_champion(
    client: RegistryClient, definition: Mapping[str, Any]
) -> ChampionLookup | None:
    """The champion lookup for a deployed definition that compares with one, else None
    (botocore errors propagate)."""
    target = champion_target(definition)
    if target is None:
        return None
    group, prefix = target
    return find_champion(client, group, prefix)
