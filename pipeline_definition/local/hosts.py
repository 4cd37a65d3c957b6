"""A job on several instances, simulated: one process per host, as SageMaker runs them.

A Processing or Training job with `InstanceCount` N runs on N instances, `algo-1` ... `algo-N`.
Locally each host gets its own sandbox (its own `/opt/ml`), its own share of a
`ShardedByS3Key` input (every object of a `FullyReplicated` one), its own log, and its own
process; the processes run at the same time, so hosts that talk to each other (XGBoost's
collective, on the loopback address) can. The first host to fail ends the others, as the job
fails on SageMaker, and its reason is the job's. What the hosts leave is then merged the way
SageMaker merges it: by the job runners (`processing.py`, `training.py`), with the helpers here.

Which host gets which object of a sharded input is not documented by SageMaker ("each instance
gets approximately 1/N of the objects"); here the objects are dealt out in key order, round
robin. A host may get none, when there are fewer objects than hosts.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline_definition.local.command import JobCommand, ProcessTracker, terminate
from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.jobs import JobContext, download_input, run_job_command
from pipeline_definition.local.sandbox import Sandbox
from pipeline_definition.local.store import StoreError, list_files

SHARDED = "ShardedByS3Key"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Host:
    """One simulated instance: its name and its own context (sandbox, log)."""

    name: str
    ctx: JobContext


@dataclass(frozen=True)
class HostRun:
    """What one host runs, and where its container writes a failure reason."""

    host: Host
    command: JobCommand
    failure_files: tuple[Path, ...]


def instance_count(value: Any, what: str) -> int:
    """The evaluated InstanceCount (SageMaker's default is 1); below 1 is refused."""
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LocalJobError(
            f"{what} must be a whole number of at least 1, got {value!r}", CLIENT_ERROR
        )
    return value


def _no_record(command: JobCommand) -> None:
    return None


def job_hosts(ctx: JobContext, count: int) -> list[Host]:
    """The job's hosts, each with a fresh sandbox; one host keeps the job's context as it is."""
    if count == 1:
        ctx.sandbox.reset()
        return [Host("algo-1", ctx)]
    hosts = []
    for index in range(count):
        name = f"algo-{index + 1}"
        root = ctx.sandbox.root if index == 0 else ctx.sandbox.root.with_name(f"sandbox-{name}")
        host_ctx = replace(
            ctx,
            sandbox=Sandbox(root),
            log_path=ctx.log_path.with_name(f"{ctx.log_path.stem}-{name}{ctx.log_path.suffix}"),
            # The command recorded for a rerun by hand is the first host's.
            record_command=ctx.record_command if index == 0 else _no_record,
        )
        host_ctx.sandbox.reset()
        host_ctx.log_path.unlink(missing_ok=True)
        hosts.append(Host(name, host_ctx))
    return hosts


def download_to_hosts(
    hosts: Sequence[Host],
    what: str,
    uri: object,
    destinations: Sequence[Path],
    distribution: Any,
    *,
    manifest: bool = False,
) -> None:
    """Copy an input to every host (FullyReplicated), or deal its objects out (ShardedByS3Key).

    With `manifest`, the objects are those the manifest at `uri` lists (ManifestFile), dealt
    out the same way.
    """
    if distribution != SHARDED or len(hosts) == 1:
        for host, destination in zip(hosts, destinations, strict=True):
            download_input(host.ctx, what, uri, destination, manifest=manifest)
        return
    ctx = hosts[0].ctx
    if not isinstance(uri, str):
        raise LocalJobError(f"{what}: S3Uri evaluated to {uri!r}, not a string", CLIENT_ERROR)
    try:
        objects = ctx.store.manifest_objects(uri) if manifest else ctx.store.objects(uri)
    except StoreError as error:
        raise LocalJobError(f"{what}: {error}", CLIENT_ERROR) from error
    if not objects:
        raise LocalJobError(
            f"{what}: no objects found at {uri} (local store: {ctx.store.path(uri)})", CLIENT_ERROR
        )
    for destination in destinations:
        destination.mkdir(parents=True, exist_ok=True)
    for index, (name, path) in enumerate(objects):
        target = destinations[index % len(destinations)] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class _HostGroup(ProcessTracker):
    """The processes of one job's hosts: a stop of the run ends them, so may a failed host."""

    def __init__(self, parent: ProcessTracker) -> None:
        super().__init__()
        self._parent = parent
        self.stopped = parent.stopped

    def add(self, process: Any) -> None:
        super().add(process)
        self._parent.add(process)

    def discard(self, process: Any) -> None:
        super().discard(process)
        self._parent.discard(process)

    def end_all(self) -> None:
        """End every host's process that still runs."""
        with self._lock:
            running = list(self._running)
        for process in running:
            terminate(process)


def run_on_hosts(ctx: JobContext, runs: Sequence[HostRun], *, timeout: float | None) -> None:
    """Run every host's command at once; the first failure ends the others and is raised."""
    if len(runs) == 1:
        only = runs[0]
        run_job_command(
            only.host.ctx, only.command, timeout=timeout, failure_files=only.failure_files
        )
        return
    group = _HostGroup(ctx.tracker)
    failures: list[tuple[str, LocalJobError]] = []
    lock = threading.Lock()

    def run(item: HostRun) -> None:
        try:
            run_job_command(
                replace(item.host.ctx, tracker=group),
                item.command,
                timeout=timeout,
                failure_files=item.failure_files,
            )
        except LocalJobError as error:
            with lock:
                failures.append((item.host.name, error))
                first = len(failures) == 1
            if first:
                group.end_all()

    with ThreadPoolExecutor(max_workers=len(runs), thread_name_prefix="host") as pool:
        for future in [pool.submit(run, item) for item in runs]:
            future.result()
    failed = failures[0][0] if failures else None
    _merge_logs(ctx, runs, failed)
    if failures:
        name, error = failures[0]
        raise LocalJobError(f"{name}: {error.message}", error.exception_type)


def _merge_logs(ctx: JobContext, runs: Sequence[HostRun], failed: str | None) -> None:
    """Each host's log into the step's log, the failed host's last (its tail is shown)."""
    ordered = sorted(runs, key=lambda item: item.host.name == failed)
    with ctx.log_path.open("a", encoding="utf-8") as log:
        for item in ordered:
            path = item.host.ctx.log_path
            text = path.read_text(errors="replace") if path.is_file() else ""
            log.write(f"===== host {item.host.name} ({path.name}) =====\n{text}")
            if text and not text.endswith("\n"):
                log.write("\n")


def merge_folders(sources: Sequence[tuple[str, Path]], target: Path, what: str) -> list[str]:
    """Copy every host's folder into `target`; a file two hosts wrote is refused.

    SageMaker packs the model folders (and the output data folders) of all hosts into one
    archive and asks that their names do not clash; which copy would win is not defined.
    """
    owners: dict[str, str] = {}
    for host, folder in sources:
        for path in list_files(folder):
            name = path.relative_to(folder).as_posix()
            if name in owners:
                raise LocalJobError(
                    f"{what}: hosts {owners[name]} and {host} both wrote {name!r}; SageMaker "
                    "merges every host's folder into one archive, so names must not clash",
                    CLIENT_ERROR,
                )
            owners[name] = host
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    return sorted(owners)
