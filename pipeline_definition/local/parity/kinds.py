"""The step kinds of a parity run: the registry's, with Processing and Training in the images'
environments and a cache key that names the environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from pipeline_definition.local import processing, training
from pipeline_definition.local.parity.commands import processing_command, training_command
from pipeline_definition.local.parity.runtime import ParityRuntime
from pipeline_definition.local.steps import KINDS, CacheRules, JobKind, StepKind

RUNTIME_ATTRIBUTE = "LocalRuntime"


def _tagged(rules: CacheRules | None, step_type: str, runtime: ParityRuntime) -> CacheRules | None:
    if rules is None:
        return None
    base: Callable[[Mapping[str, Any]], dict[str, Any]] = rules.attributes

    def attributes(arguments: Mapping[str, Any]) -> dict[str, Any]:
        return {**base(arguments), RUNTIME_ATTRIBUTE: runtime.cache_tag(step_type, arguments)}

    return replace(rules, attributes=attributes)


def _job_kind(step_type: str) -> JobKind:
    kind = KINDS[step_type]
    assert isinstance(kind, JobKind)  # the registry's Processing and Training are jobs
    return kind


def parity_kinds(runtime: ParityRuntime) -> dict[str, StepKind]:
    """KINDS with the job kinds that run containers replaced by their parity versions."""
    kinds: dict[str, StepKind] = dict(KINDS)
    process = _job_kind("Processing")
    kinds["Processing"] = replace(
        process,
        run=partial(processing.run_processing, command=processing_command(runtime)),
        cache=_tagged(process.cache, "Processing", runtime),
    )
    train = _job_kind("Training")
    kinds["Training"] = replace(
        train,
        run=partial(training.run_training, command=training_command(runtime)),
        cache=_tagged(train.cache, "Training", runtime),
    )
    return kinds
