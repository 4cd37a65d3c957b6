"""The champion of a local run, from the local registry, as the trigger and `execute` find it
in the Model Registry (project/champion.py): the newest Approved version of the group the
definition registers into, when its model is one this pipeline trained.

A run cannot choose its own (`--param ChampionModelData=...` is refused), and a champion whose
model.tar.gz is gone from the local store stops the run before it starts, naming the version
to reject: EvaluateModel could not read it, and a run without the comparison would register
a model the gate never compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline_definition.local.registry import LocalModelRegistry
from pipeline_definition.local.store import LocalObjectStore
from project.champion import (
    CHAMPION_MODEL_DATA,
    ChampionLookup,
    champion_target,
    choose,
    refuse_champion,
)
from project.run_parameters import ParameterSpec


class ChampionError(ValueError):
    """The run cannot compare with its champion; the message says what to do."""


def local_champion(
    document: Mapping[str, Any],
    specs: Mapping[str, ParameterSpec],
    overrides: Mapping[str, object],
    registry: LocalModelRegistry,
    store: LocalObjectStore,
) -> ChampionLookup | None:
    """The champion lookup for a definition that declares ChampionModelData, else None."""
    if CHAMPION_MODEL_DATA not in specs:
        return None
    refuse_champion(overrides)
    target = champion_target(document)
    if target is None:
        return None
    group, prefix = target
    lookup = choose(registry.newest_approved(group), prefix, group)
    champion = lookup.champion
    if champion is not None and not store.exists(champion.model_data_url):
        raise ChampionError(
            f"the champion, {champion.describe()}, has no model.tar.gz in the local store any "
            f"more; reject it (python -m pipeline_definition registry reject {champion.version}"
            f" --group {group}) to run without it, or approve a version whose model is there"
        )
    return lookup
