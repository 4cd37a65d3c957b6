"""The DAG scheduler: runs a checked definition's steps in dependency order, in parallel.

A step starts when every step it depends on has ended as its run condition asks (by default:
succeeded or reused from the cache; see `readiness`). What a step does is its kind's
(`steps.KINDS`, or the caller's `kinds`): job kinds run on a pool of `max_parallel` workers, a
job as a subprocess; control kinds (Condition, Fail) are decided on the scheduler thread. A
Condition decides which of its branches runs; the other branch's steps are "not run". After a
failure no new step starts (as on SageMaker): running steps finish, steps downstream of the
failure are "skipped", and the execution fails, unless a run condition waits for that failure
(Trigger Failed or Any): then the run goes on and ends CompletedWithFailures.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

from pipeline_definition.local.cache import StepCache, cache_key, cache_policy, key_material
from pipeline_definition.local.command import JobCommand, ProcessTracker
from pipeline_definition.local.definition import LocalDefinition
from pipeline_definition.local.errors import ExecutionStoppedError, LocalJobError
from pipeline_definition.local.evaluation import ExpressionError, evaluate
from pipeline_definition.local.execution import ExecutionInfo, utc_now
from pipeline_definition.local.faults import FaultInjector
from pipeline_definition.local.jobs import JobContext
from pipeline_definition.local.names import job_name
from pipeline_definition.local.readiness import Decision, decide
from pipeline_definition.local.registry import LocalModelRegistry, RegistryEntry
from pipeline_definition.local.results import (
    ExecutionResult,
    ProgressListener,
    SilentListener,
    StepResult,
    StepStatus,
)
from pipeline_definition.local.retry import RetryState, parse_policies
from pipeline_definition.local.sandbox import Sandbox
from pipeline_definition.local.scope import ExecutionScope
from pipeline_definition.local.steps import KINDS, ControlKind, JobKind, StepKind
from pipeline_definition.local.store import LocalObjectStore
from pipeline_definition.local.workspace import Workspace
from pipeline_definition.model.graph import StepNode


class Executor:
    """Runs one execution of a definition."""

    def __init__(
        self,
        definition: LocalDefinition,
        *,
        workspace: Workspace,
        execution: ExecutionInfo,
        parameters: Mapping[str, Any],
        max_parallel: int = 2,
        use_cache: bool = True,
        retry_interval_scale: float = 0.0,
        listener: ProgressListener | None = None,
        fault_injector: FaultInjector | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], datetime] = utc_now,
        kinds: Mapping[str, StepKind] = KINDS,
    ) -> None:
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        if retry_interval_scale < 0:
            raise ValueError("retry_interval_scale must not be negative")
        self.definition = definition
        self.workspace = workspace
        self.info = execution
        self.parameters = dict(parameters)
        self.max_parallel = max_parallel
        self.use_cache = use_cache
        self.retry_interval_scale = retry_interval_scale
        self.listener: ProgressListener = listener or SilentListener()
        self.fault_injector = fault_injector
        self.clock = clock
        self.kinds = kinds  # parity mode runs jobs in the images' environments
        self.store = LocalObjectStore(workspace.store)
        self.cache = StepCache(workspace.cache, execution.pipeline_name, self.store)
        self.registry = LocalModelRegistry(workspace.registry, self.store)
        self.tracker = ProcessTracker()
        self._sleep = sleep or self._wait_unless_stopped
        self._lock = threading.RLock()
        directory = workspace.execution(execution.execution_id)
        self.result = ExecutionResult(
            info=execution,
            directory=directory,
            parameters=dict(parameters),
            steps=[
                StepResult(name=name, type=node.type, log_path=directory / "logs" / f"{name}.log")
                for name, node in definition.nodes.items()
            ],
        )
        self._steps = {step.name: step for step in self.result.steps}
        self.scope = ExecutionScope(
            definition=definition,
            store=self.store,
            steps=self._steps,
            lock=self._lock,
            parameters=self.parameters,
            info=execution,
            clock=clock,
        )

    # -- state -------------------------------------------------------------------------------

    def _update(self, name: str, **changes: Any) -> None:
        with self._lock:
            step = self._steps[name]
            for attribute, value in changes.items():
                setattr(step, attribute, value)
            snapshot = step.snapshot()
        self.listener.step_changed(snapshot)

    def _finish(self, name: str, status: StepStatus, **changes: Any) -> None:
        self._update(name, status=status, ended=self.clock(), **changes)

    def _fail_execution(
        self, name: str, reason: str, *, execution_reason: str | None = None
    ) -> None:
        # Only the first failure names the execution's reason: `step X failed: ...` by default.
        # A failure that a run condition waits for (Trigger Failed or Any) does not end the run.
        with self._lock:
            if self.result.failed_step is None and name not in self.definition.handled_failures:
                self.result.failed_step = name
                self.result.failure_reason = (
                    f"step {name} failed: {reason}"
                    if execution_reason is None
                    else execution_reason
                )

    def _note(self, message: str) -> None:
        with self._lock:
            self.result.notes.append(message)
        self.listener.note(message)

    def _log(self, name: str, message: str) -> None:
        path = self._steps[name].log_path
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as log:
            log.write(f"[{self.clock().isoformat(timespec='seconds')}] {message}\n")

    def _wait_unless_stopped(self, seconds: float) -> None:
        self.tracker.stopped.wait(seconds)

    def stop(self) -> None:
        """End running jobs and start no more steps."""
        self.tracker.stop()

    # -- steps -------------------------------------------------------------------------------

    def _run_control(self, node: StepNode, kind: ControlKind) -> None:
        self._update(node.name, status=StepStatus.RUNNING, started=self.clock(), attempts=1)
        decision = kind.decide(node.arguments or {}, self.scope.context())
        self._log(node.name, decision.log)
        if decision.failure_reason is None:
            self._finish(
                node.name,
                StepStatus.SUCCEEDED,
                properties=decision.properties,
                detail=decision.detail,
            )
            return
        self._finish(
            node.name,
            StepStatus.FAILED,
            failure_reason=decision.failure_reason,
            detail=decision.detail,
        )
        self._fail_execution(
            node.name, decision.failure_reason, execution_reason=decision.execution_reason
        )

    def _evaluate_arguments(
        self, node: StepNode, kind: JobKind, attempt: int
    ) -> tuple[dict[str, Any], str]:
        name = job_name(self.info.token, node.name, attempt)
        variable = kind.job_name_variable
        extra = {variable: name} if variable is not None else {}
        arguments = evaluate(node.arguments or {}, self.scope.context(extra))
        if not isinstance(arguments, dict):
            raise ExpressionError(f"the Arguments of {node.name!r} are not an object")
        return arguments, name

    def _sandbox(self, name: str) -> Sandbox:
        return Sandbox(self.result.directory / name / "sandbox")

    def _record_command(self, name: str, command: JobCommand) -> None:
        # Recorded so a step can be rerun by hand (and timed without the executor).
        self._update(
            name,
            command={
                "Argv": list(command.argv),
                "WorkingDirectory": str(command.cwd),
                "Environment": dict(command.environment),
                "Sandbox": str(self._sandbox(name).root),
            },
        )

    def _register_model(self, arguments: Mapping[str, Any]) -> RegistryEntry:
        entry = self.registry.register(arguments, now=self.clock())
        with self._lock:
            self.result.registry.append(entry)
        return entry

    def _run_attempt(
        self, node: StepNode, kind: JobKind, arguments: Mapping[str, Any], name: str
    ) -> dict[str, Any]:
        log_path = self._steps[node.name].log_path
        assert log_path is not None  # every step gets a log path at construction
        context = JobContext(
            step_name=node.name,
            job_name=name,
            sandbox=self._sandbox(node.name),
            store=self.store,
            log_path=log_path,
            tracker=self.tracker,
            note=self._note,
            clock=self.clock,
            record_command=lambda command: self._record_command(node.name, command),
            log=lambda message: self._log(node.name, message),
            register_model=self._register_model,
            step=self.definition.local_step(node.name, self.workspace),
        )
        return kind.run(context, arguments)

    def _try_cache(
        self, node: StepNode, kind: JobKind, arguments: Mapping[str, Any]
    ) -> tuple[str | None, dict[str, Any] | None]:
        policy = cache_policy(node.raw.get("CacheConfig"))
        if kind.cache is None or not policy.enabled:
            return None, None
        material = key_material(node.type, kind.cache.attributes(arguments))
        key = cache_key(material)
        if self.use_cache:
            hit = self.cache.lookup(
                node.name, key, now=self.clock(), expire_after=policy.expire_after
            )
            if hit is not None:
                self._log(node.name, f"cache hit from {hit.execution_id} (key {key[:12]})")
                self._finish(
                    node.name,
                    StepStatus.CACHED,
                    properties=hit.properties,
                    cache_source=hit.execution_id,
                    detail=f"cache hit from {hit.execution_id}",
                )
                return key, None
        return key, material

    def _run_with_retries(
        self, node: StepNode, kind: JobKind, arguments: dict[str, Any], name: str, started: datetime
    ) -> tuple[dict[str, Any], int] | None:
        """Run attempts until one succeeds: (properties, attempt), or None once retries end."""
        retries = RetryState(parse_policies(node.raw.get("RetryPolicies")))
        attempt = 0
        while True:
            attempt += 1
            if attempt > 1:
                arguments, name = self._evaluate_arguments(node, kind, attempt)
            self._update(node.name, attempts=attempt)
            try:
                if self.fault_injector is not None:
                    self.fault_injector(node.name, attempt)
                return self._run_attempt(node, kind, arguments, name), attempt
            except LocalJobError as error:
                self._log(
                    node.name, f"attempt {attempt} failed: [{error.exception_type}] {error.message}"
                )
                elapsed = (self.clock() - started).total_seconds()
                delay = retries.next_delay(error.exception_type, elapsed)
                if delay is None:
                    self._finish(
                        node.name,
                        StepStatus.FAILED,
                        failure_reason=error.message,
                        detail=error.message.splitlines()[0][:200],
                    )
                    self._fail_execution(node.name, error.message)
                    return None
                self._wait_to_retry(node.name, attempt, error, delay)

    def _wait_to_retry(self, name: str, attempt: int, error: LocalJobError, delay: float) -> None:
        waited = delay * self.retry_interval_scale
        with self._lock:
            self._steps[name].retries.append(
                {
                    "Attempt": attempt,
                    "ExceptionType": error.exception_type,
                    "Message": error.message,
                    "DeclaredDelaySeconds": delay,
                    "WaitedSeconds": waited,
                }
            )
        self._note(
            f"{name}: attempt {attempt} failed with {error.exception_type}; "
            f"retrying (policy wait {delay:g}s, waiting {waited:g}s)"
        )
        self._update(name, detail=f"retry after {error.exception_type}")
        self._sleep(waited)
        if self.tracker.stopped.is_set():
            raise ExecutionStoppedError("the run was stopped") from error

    def _job_step(self, node: StepNode, kind: JobKind) -> None:
        started = self.clock()
        # Still "pending" while the cache is consulted: a hit never shows as running.
        self._update(node.name, started=started)
        arguments, name = self._evaluate_arguments(node, kind, 1)
        key, material = self._try_cache(node, kind, arguments)
        if key is not None and material is None:
            return
        self._update(node.name, status=StepStatus.RUNNING)
        outcome = self._run_with_retries(node, kind, arguments, name, started)
        if outcome is None:
            return
        properties, attempt = outcome
        if kind.cache is not None and key is not None and material is not None:
            results = kind.cache.result_uris(properties)
            self.cache.record(
                node.name,
                key,
                execution_id=self.info.execution_id,
                finished_at=self.clock(),
                material=material,
                properties=properties,
                outputs=[uri for uri in results if self.store.exists(uri)],
            )
        if kind.success_detail is not None:
            detail = kind.success_detail(properties)
        else:
            detail = f"succeeded on attempt {attempt}" if attempt > 1 else ""
        self._finish(node.name, StepStatus.SUCCEEDED, properties=properties, detail=detail)

    def _run_job_step(self, node: StepNode, kind: JobKind) -> None:
        try:
            self._job_step(node, kind)
        except ExpressionError as error:
            self._log(node.name, f"cannot evaluate the step's arguments: {error}")
            self._finish(node.name, StepStatus.FAILED, failure_reason=str(error), detail=str(error))
            self._fail_execution(node.name, str(error))
        except ExecutionStoppedError:
            self._log(node.name, "stopped")
            self._finish(node.name, StepStatus.FAILED, failure_reason="stopped", detail="stopped")
        except Exception as error:  # one broken step must not hang the run
            self._log(node.name, "internal error of the local executor:\n" + traceback.format_exc())
            reason = f"internal error of the local executor: {type(error).__name__}: {error}"
            self._finish(node.name, StepStatus.FAILED, failure_reason=reason, detail=reason)
            self._fail_execution(node.name, reason)

    # -- scheduling --------------------------------------------------------------------------

    def _decide(self, name: str) -> tuple[Decision, str]:
        node = self.definition.nodes[name]
        with self._lock:
            statuses = {dep: self._steps[dep].status for dep in self.definition.graph[name]}
            condition = self._steps[node.condition] if node.condition is not None else None
            return decide(
                node,
                statuses,
                (condition.status, condition.properties) if condition is not None else None,
            )

    def _advance(
        self, name: str, pool: ThreadPoolExecutor, running: dict[Future[None], str]
    ) -> bool:
        """Settle, run or submit one pending step; False when it has to wait."""
        decision, reason = self._decide(name)
        if decision in ("skip", "not run"):
            status = StepStatus.SKIPPED if decision == "skip" else StepStatus.NOT_RUN
            self._update(name, status=status, detail=reason)
            return True
        halted = self.tracker.stopped.is_set() or self.result.failed_step is not None
        if decision != "ready" or halted:
            return False
        node = self.definition.nodes[name]
        kind = self.kinds[node.type]
        if isinstance(kind, ControlKind):
            self._run_control(node, kind)
        elif len(running) < self.max_parallel:
            running[pool.submit(self._run_job_step, node, kind)] = name
        else:
            return False
        return True

    def _advance_all(
        self, pending: list[str], pool: ThreadPoolExecutor, running: dict[Future[None], str]
    ) -> None:
        # Settling one step can free the next (a condition decides its branches): repeat
        # until a pass changes nothing.
        progressed = True
        while progressed:
            progressed = False
            for name in list(pending):
                if self._advance(name, pool, running):
                    pending.remove(name)
                    progressed = True

    def _schedule(self, pool: ThreadPoolExecutor) -> None:
        pending = list(self.definition.order)
        running: dict[Future[None], str] = {}
        while True:
            self._advance_all(pending, pool, running)
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                running.pop(future)
                future.result()
        reason = (
            "execution stopped"
            if self.tracker.stopped.is_set()
            else f"execution failed at {self.result.failed_step}"
        )
        for name in pending:
            self._update(name, status=StepStatus.SKIPPED, detail=f"not started: {reason}")

    def run(self) -> ExecutionResult:
        """Run every step; return the execution's result (also written to execution.json)."""
        self.result.directory.mkdir(parents=True, exist_ok=True)
        self.result.write()
        self.listener.started(self.result)
        pool = ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="step")
        try:
            self._schedule(pool)
        except KeyboardInterrupt:
            self.stop()
            pool.shutdown(wait=True)
            for step in self.result.steps:
                if step.status in (StepStatus.PENDING, StepStatus.RUNNING):
                    self._finish(step.name, StepStatus.SKIPPED, detail="not started: stopped")
        finally:
            pool.shutdown(wait=True)
        self.result.ended = self.clock()
        self.result.settle(stopped=self.tracker.stopped.is_set())
        self.result.write()
        self.listener.finished(self.result)
        return self.result
