"""Prepare and run a local execution: definition, staged code, input data, parameters.

Data parameters (String parameters whose default is an `s3://` URI, such as InputData) take
either an `s3://` URI, which must exist in the local store, or a local file or folder, which
is copied to `s3://local-data/local-input/<Parameter>/` and passed on as that URI
(`--input-data FILE` is `--param InputData=FILE`). The store holds only what the stack deploys:
the staged code and the embedded sample at the key the stack ships it to, where InputData's
default points. A default that names anything else finds nothing there, and ProcessData fails
as it would in AWS. InputVersion, when the definition declares it and the run does not set it,
is a content hash of what InputData names: the local stand-in for the S3 version id the trigger
and `execute` set. ChampionModelData, when declared, is the newest Approved version's model from
the local registry (local/champion.py), as the trigger and `execute` set it from the Model
Registry; a run cannot pass its own.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pipeline_definition.local.champion import ChampionError, local_champion
from pipeline_definition.local.definition import DATA_BUCKET, LocalDefinition, load_definition
from pipeline_definition.local.errors import DefinitionError
from pipeline_definition.local.execution import new_execution
from pipeline_definition.local.executor import Executor
from pipeline_definition.local.faults import FaultInjector
from pipeline_definition.local.parity.envs import DEFAULT_CACHE_DIR, BuildProgress
from pipeline_definition.local.parity.kinds import parity_kinds
from pipeline_definition.local.parity.namespace import NamespaceSupport, probe_namespace
from pipeline_definition.local.parity.prepare import ParityError, prepare_parity
from pipeline_definition.local.parity.progress import PlainBuildProgress
from pipeline_definition.local.registry import LocalModelRegistry
from pipeline_definition.local.results import ExecutionResult, ProgressListener
from pipeline_definition.local.steps import KINDS, StepKind
from pipeline_definition.local.store import SCHEME, LocalObjectStore, StoreError
from pipeline_definition.local.workspace import Workspace
from project.champion import ChampionLookup
from project.paths import LOCAL_RUN_DIR, SAMPLE_DATA
from project.run_parameters import (
    INPUT_DATA,
    INPUT_VERSION,
    ParameterError,
    ParameterSpec,
    ParameterValue,
    parse_assignments,
    resolve,
)
from project.settings import SAMPLE_DATA_KEY

DEFAULT_WORKDIR = LOCAL_RUN_DIR
# Where the stack's sample-data deployment puts the embedded sample.
SAMPLE_DATA_URI = f"{SCHEME}{DATA_BUCKET}/{SAMPLE_DATA_KEY}"
LOCAL_INPUT_PREFIX = f"{SCHEME}{DATA_BUCKET}/local-input"
PIPELINE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
EXIT_FAILED = 1
EXIT_STOPPED = 130


class RunError(Exception):
    """A run cannot start as asked; the message says what to change."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for."""

    workdir: Path = DEFAULT_WORKDIR
    definition: Path | None = None
    code_dir: Path | None = None
    params: tuple[str, ...] = ()
    input_data: Path | None = None
    use_cache: bool = True
    max_parallel: int = 2
    retry_interval_scale: float = 0.0
    pipeline_name: str | None = None
    lambdas: tuple[str, ...] = ()  # --lambda NAME=package.module:function
    parity: bool = False  # jobs in the images' Python and libraries (parity/)
    parity_envs: Path = DEFAULT_CACHE_DIR
    parity_namespace: bool = True  # False: rewritten paths even where namespaces work


@dataclass(frozen=True)
class PreparedRun:
    """Everything checked and in place; nothing has run yet."""

    definition: LocalDefinition
    definition_path: Path
    workspace: Workspace
    parameters: dict[str, Any]
    pipeline_name: str
    kinds: Mapping[str, StepKind] = field(default_factory=lambda: KINDS)
    notes: tuple[str, ...] = ()  # what the run should tell about its setup


def _app_settings_pipeline_name() -> str:
    from project.settings import SettingsError, project_settings  # noqa: PLC0415

    try:
        return project_settings(os.environ).pipeline_name
    except SettingsError as error:
        raise RunError(f"{error} (or pass --pipeline-name)") from error


def render_app_definition(workspace: Workspace, log: TextIO) -> tuple[Path, Path, str]:
    """Render the app's definition as `render` does; return (definition, code dir, name)."""
    # Rendering imports the SageMaker SDK; runs with --definition never pay for it.
    from pipeline_definition.build.config import pipeline_config  # noqa: PLC0415
    from pipeline_definition.build.render import (  # noqa: PLC0415
        DefinitionTooLargeError,
        render_definition,
    )
    from project.paths import RENDER_CACHE_DIR  # noqa: PLC0415
    from project.settings import SettingsError, project_settings  # noqa: PLC0415

    try:
        settings = project_settings(os.environ)
    except SettingsError as error:
        raise RunError(str(error)) from error
    code_dir = workspace.render / "code"
    log.write(f"rendering the definition of {settings.pipeline_name} with the SageMaker SDK\n")
    try:
        # The cache cdk synth uses: an unchanged app renders to the same definition.
        rendered = render_definition(
            pipeline_config(settings), staging_dir=code_dir, cache_dir=RENDER_CACHE_DIR
        )
    except (DefinitionTooLargeError, FileNotFoundError, ValueError) as error:
        raise RunError(f"cannot render the definition: {error}") from error
    path = workspace.render / "definition.json"
    path.write_text(rendered.body)
    log.write(f"wrote {path}\n")
    return path, code_dir, settings.pipeline_name


def seed_code(definition: LocalDefinition, code_dir: Path | None, store: LocalObjectStore) -> None:
    """Copy the staged code into the artifact bucket, as the CDK BucketDeployment does."""
    uris = definition.code_uris()
    if not uris:
        return
    source = code_dir / "code" if code_dir is not None else None
    if source is None or not source.is_dir():
        raise RunError(
            f"the definition refers to staged code (such as {uris[0]}) but "
            f"{source or 'no --code-dir'} is not a folder; pass --code-dir with the staging "
            "folder that render wrote (it holds code/<bundle>/<hash>/...)"
        )
    shutil.copytree(source, store.path(f"{SCHEME}local-artifacts/code/"), dirs_exist_ok=True)
    missing = [uri for uri in uris if not store.exists(uri)]
    if missing:
        raise RunError(
            f"{code_dir} lacks code the definition refers to: {', '.join(missing)} "
            "(render the definition and its code again)"
        )


def seed_sample_data(store: LocalObjectStore, sample: Path = SAMPLE_DATA) -> None:
    """Put the embedded sample where the stack's sample deployment puts it, and nothing else."""
    store.put_file(sample, SAMPLE_DATA_URI)


def _is_data_parameter(spec: ParameterSpec) -> bool:
    return (
        spec.type == "String" and isinstance(spec.default, str) and spec.default.startswith(SCHEME)
    )


def _copy_local_input(name: str, value: str, store: LocalObjectStore) -> str:
    path = Path(value).expanduser()
    if not path.exists():
        raise RunError(f"--param {name}={value}: not an s3:// URI and no such local file or folder")
    prefix = f"{LOCAL_INPUT_PREFIX}/{name}/"
    shutil.rmtree(store.path(prefix), ignore_errors=True)
    if path.is_dir():
        store.upload_dir(path, prefix)
        return prefix
    uri = prefix + path.name
    store.put_file(path, uri)
    return uri


def _overrides(
    specs: Mapping[str, ParameterSpec], assignments: tuple[str, ...], input_data: Path | None
) -> dict[str, str]:
    try:
        overrides = parse_assignments(assignments)
    except ParameterError as error:
        raise RunError(f"--param: {error}") from error
    if input_data is not None and INPUT_DATA in overrides:
        raise RunError(f"--input-data and --param {INPUT_DATA}=... both choose the input; use one")
    if input_data is not None and INPUT_DATA not in specs:
        raise RunError(f"--input-data needs a {INPUT_DATA} parameter in the definition")
    if input_data is not None:
        if not input_data.is_file():
            raise RunError(f"--input-data {input_data}: no such file")
        overrides[INPUT_DATA] = str(input_data)
    return overrides


def prepare_parameters(
    specs: Mapping[str, ParameterSpec],
    assignments: tuple[str, ...],
    store: LocalObjectStore,
    input_data: Path | None,
) -> dict[str, ParameterValue]:
    """Resolve parameters; copy local files given for data parameters into the store."""
    overrides = _overrides(specs, assignments, input_data)
    data_parameters = {name for name, spec in specs.items() if _is_data_parameter(spec)}
    if input_data is not None:
        data_parameters.add(INPUT_DATA)
    for name in data_parameters & set(overrides):
        if not overrides[name].startswith(SCHEME):
            overrides[name] = _copy_local_input(name, overrides[name], store)
    try:
        values = resolve(specs, overrides)
    except ParameterError as error:
        raise RunError(str(error)) from error
    for name in data_parameters & set(overrides):
        if not _exists(store, overrides[name]):
            raise RunError(
                f"--param {name}={overrides[name]}: nothing there in the local store "
                f"({store.path(overrides[name])}); pass a local file or folder instead"
            )
    return with_input_version(values, specs, overrides, store)


def with_input_version(
    values: dict[str, ParameterValue],
    specs: Mapping[str, ParameterSpec],
    overrides: Mapping[str, str],
    store: LocalObjectStore,
) -> dict[str, ParameterValue]:
    """Set InputVersion from the local object, as the trigger and `execute` do from S3.

    A content hash of what InputData names stands in for the version id, so an edited file at
    the same URI is a new version (and a cache miss), the same bytes the same one (a hit).
    """
    if INPUT_VERSION not in specs or INPUT_VERSION in overrides or INPUT_DATA not in values:
        return values
    return {**values, INPUT_VERSION: store.version(str(values[INPUT_DATA]))}


def missing_default_note(
    specs: Mapping[str, ParameterSpec],
    values: Mapping[str, ParameterValue],
    store: LocalObjectStore,
) -> str | None:
    """A note when InputData keeps a default that names nothing the stack deploys."""
    spec = specs.get(INPUT_DATA)
    value = values.get(INPUT_DATA)
    if spec is None or not _is_data_parameter(spec) or value != spec.default:
        return None
    if _exists(store, str(value)):
        return None
    return (
        f"note: {INPUT_DATA} defaults to {value}, where nothing is: the stack deploys only the "
        f"sample at {SAMPLE_DATA_URI}, so ProcessData will fail as it would in AWS "
        f"(pass --input-data FILE or --param {INPUT_DATA}=...)\n"
    )


def champion_lookup(
    definition: LocalDefinition, workspace: Workspace, assignments: tuple[str, ...]
) -> ChampionLookup | None:
    """The run's champion from the local registry (None when the definition has no champion)."""
    store = LocalObjectStore(workspace.store)
    try:
        return local_champion(
            definition.document,
            definition.parameters,
            parse_assignments(assignments),
            LocalModelRegistry(workspace.registry, store),
            store,
        )
    except ParameterError as error:
        raise RunError(f"--param: {error}") from error
    except ChampionError as error:
        raise RunError(str(error)) from error


def _exists(store: LocalObjectStore, uri: str) -> bool:
    try:
        return store.exists(uri)
    except StoreError as error:
        raise RunError(str(error)) from error


def _namespace_off() -> NamespaceSupport:
    return NamespaceSupport(None, "--no-namespace was given")


def _parity(
    definition: LocalDefinition,
    options: RunOptions,
    log: TextIO,
    progress: BuildProgress | None,
) -> tuple[Mapping[str, StepKind], tuple[str, ...]]:
    if not options.parity:
        return KINDS, ()
    try:
        plan = prepare_parity(
            definition,
            cache_dir=options.parity_envs,
            progress=progress or PlainBuildProgress(log),
            probe=probe_namespace if options.parity_namespace else _namespace_off,
        )
    except ParityError as error:
        raise RunError(str(error)) from error
    for note in plan.notes:
        log.write(note + "\n")
    return parity_kinds(plan.runtime), tuple(plan.notes)


def prepare(
    options: RunOptions, log: TextIO, *, build_progress: BuildProgress | None = None
) -> PreparedRun:
    """Render or read the definition, check it, and put code and data in the local store.

    In parity mode, also build (or reuse) the images' environments, reporting to
    `build_progress` (default: lines on `log`).
    """
    workspace = Workspace(options.workdir.resolve())
    workspace.root.mkdir(parents=True, exist_ok=True)
    if options.definition is None:
        definition_path, code_dir, pipeline_name = render_app_definition(workspace, log)
        code_dir = options.code_dir or code_dir
    else:
        definition_path = options.definition
        if not definition_path.is_file():
            raise RunError(f"--definition {definition_path}: no such file")
        code_dir = options.code_dir or definition_path.parent / "code"
        pipeline_name = options.pipeline_name or _app_settings_pipeline_name()
    if options.pipeline_name:
        pipeline_name = options.pipeline_name
    if not PIPELINE_NAME.match(pipeline_name):
        raise RunError(f"pipeline name {pipeline_name!r} is not a valid SageMaker pipeline name")
    try:
        definition = load_definition(definition_path.read_text(), lambdas=options.lambdas)
    except DefinitionError as error:
        raise RunError(str(error)) from error
    kinds, notes = _parity(definition, options, log, build_progress)
    store = LocalObjectStore(workspace.store)
    seed_code(definition, code_dir, store)
    seed_sample_data(store)
    champion = champion_lookup(definition, workspace, options.params)
    parameters = prepare_parameters(
        definition.parameters, options.params, store, options.input_data
    )
    log.write(missing_default_note(definition.parameters, parameters, store) or "")
    if champion is not None:
        log.write(champion.describe() + "\n")
        parameters = {**parameters, **champion.parameters()}
    return PreparedRun(
        definition=definition,
        definition_path=definition_path.resolve(),
        workspace=workspace,
        parameters=parameters,
        pipeline_name=pipeline_name,
        kinds=kinds,
        notes=notes,
    )


def execute(
    prepared: PreparedRun,
    options: RunOptions,
    *,
    listener: ProgressListener | None = None,
    fault_injector: FaultInjector | None = None,
    sleep: Callable[[float], None] | None = None,
) -> ExecutionResult:
    """Run the prepared execution to its end."""
    executor = Executor(
        prepared.definition,
        workspace=prepared.workspace,
        execution=new_execution(prepared.pipeline_name),
        parameters=prepared.parameters,
        max_parallel=options.max_parallel,
        use_cache=options.use_cache,
        retry_interval_scale=options.retry_interval_scale,
        listener=listener,
        fault_injector=fault_injector,
        sleep=sleep,
        kinds=prepared.kinds,
    )
    executor.result.definition_path = prepared.definition_path
    executor.result.notes.extend(prepared.notes)
    return executor.run()


def exit_code(result: ExecutionResult) -> int:
    """0 when the execution succeeded, 1 when it failed, 130 when it was stopped."""
    codes: Mapping[str, int] = {"Succeeded": 0, "Stopped": EXIT_STOPPED}
    return codes.get(result.status, EXIT_FAILED)
