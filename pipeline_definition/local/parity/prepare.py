"""Everything a parity run needs, before any step runs: locks, Pythons, environments,
namespace.

Every problem that would stop the run is found here: an image with no lock, all the missing
Python versions at once (one message that says how to get them), a failed build. A missing
namespace is not one: the run goes on with rewritten paths and says so in one note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline_definition.local.definition import LocalDefinition
from pipeline_definition.local.parity.envs import (
    BuildProgress,
    EnvBuildError,
    ParityEnv,
    ensure_env,
)
from pipeline_definition.local.parity.interpreters import Interpreter, find_python, missing_message
from pipeline_definition.local.parity.locks import Lock, LockError, load_locks, lock_for_image
from pipeline_definition.local.parity.namespace import (
    REQUIREMENT,
    NamespaceSupport,
    probe_namespace,
)
from pipeline_definition.local.parity.runtime import IMAGE_FIELDS, ParityRuntime, image_of


class ParityError(Exception):
    """Parity mode cannot start; the message says what to do."""


@dataclass(frozen=True)
class ParityPlan:
    """The runtime for the jobs, and what the run should tell the user about it."""

    runtime: ParityRuntime
    notes: list[str] = field(default_factory=list)


def job_images(definition: LocalDefinition) -> dict[str, list[str]]:
    """Image URI -> the job steps that run it, in run order."""
    images: dict[str, list[str]] = {}
    problems: list[str] = []
    for name in definition.order:
        node = definition.nodes[name]
        if node.type not in IMAGE_FIELDS:
            continue
        image = image_of(node.type, node.arguments or {})
        if isinstance(image, str):
            images.setdefault(image, []).append(name)
        else:
            problems.append(f"{name}'s image is {image!r}")
    if problems:
        raise ParityError(
            "parity mode builds each image's environment before the run, so it needs every "
            f"job's image as a literal URI: {'; '.join(problems)}"
        )
    return images


def _interpreters(
    locks: list[Lock], find: Callable[[str], Interpreter | None]
) -> dict[str, Interpreter]:
    found: dict[str, Interpreter] = {}
    missing: dict[str, list[str]] = {}
    for lock in locks:
        if lock.python in found:
            continue
        if lock.python in missing:
            missing[lock.python].append(lock.label)
            continue
        interpreter = find(lock.python)
        if interpreter is None:
            missing[lock.python] = [lock.label]
        else:
            found[lock.python] = interpreter
    if missing:
        raise ParityError(missing_message(missing))
    return found


def _notes(
    images: Mapping[str, list[str]], envs: Mapping[str, ParityEnv], support: NamespaceSupport
) -> list[str]:
    notes = [
        f"parity: {', '.join(steps)} run in {envs[image].description} ({envs[image].directory})"
        for image, steps in images.items()
    ]
    if support.namespace is None:
        notes.append(
            f"parity: no private /opt/ml ({support.reason}); jobs run with their paths rewritten "
            "into the sandbox and Training runs its entry script without sm_train.sh. Running "
            f"the real driver needs {REQUIREMENT}"
        )
    return notes


def prepare_parity(
    definition: LocalDefinition,
    *,
    cache_dir: Path,
    progress: BuildProgress,
    locks: list[Lock] | None = None,
    find: Callable[[str], Interpreter | None] = find_python,
    probe: Callable[[], NamespaceSupport] = probe_namespace,
) -> ParityPlan:
    """Find each job image's lock and Python, build (or reuse) the environments, probe the
    namespace."""
    images = job_images(definition)
    available = load_locks() if locks is None else locks
    try:
        chosen = {image: lock_for_image(image, available) for image in images}
    except LockError as error:
        raise ParityError(str(error)) from error
    distinct = list({lock.path: lock for lock in chosen.values()}.values())
    interpreters = _interpreters(distinct, find)
    support = probe()
    built: dict[Path, ParityEnv] = {}
    try:
        for lock in distinct:
            built[lock.path] = ensure_env(lock, interpreters[lock.python], cache_dir, progress)
    except EnvBuildError as error:
        raise ParityError(str(error)) from error
    envs = {image: built[lock.path] for image, lock in chosen.items()}
    runtime = ParityRuntime(
        envs=envs, namespace=support.namespace, namespace_problem=support.reason
    )
    return ParityPlan(runtime=runtime, notes=_notes(images, envs, support))
