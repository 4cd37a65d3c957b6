"""The commands of parity jobs: the image's Python and libraries, the container's paths.

With a namespace, a job runs the container's own command unchanged: `python3` is found on
PATH, where the image's environment comes first, and `/opt/ml` is the job's sandbox. A
Training step that follows the ModelTrainer contract thus runs the staged
`sm_drivers/sm_train.sh` under bash, which checks for python3 and pip, writes and sources
`sm_training.env` and starts the entry script through the SDK's basic script driver. A job
with `EnableNetworkIsolation` runs without network.
Without a namespace, the default mode's commands run with the environment's interpreter and
the paths rewritten into the sandbox.

Either way a job gets a container's environment, not this shell's: the images' own variables,
PATH with the environment's `bin/` first (as the images put their venv first), an empty HOME
of its own, then the job's Environment (and, for training, its name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pipeline_definition.local import processing, training
from pipeline_definition.local.command import IMAGE_ENVIRONMENT, JobCommand
from pipeline_definition.local.drivers import uses_drivers
from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.jobs import JobContext
from pipeline_definition.local.names import arn
from pipeline_definition.local.parity.envs import ParityEnv
from pipeline_definition.local.parity.namespace import Namespace
from pipeline_definition.local.parity.runtime import ParityRuntime, network_isolated

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def container_environment(
    ctx: JobContext, env: ParityEnv, job: Mapping[str, str]
) -> dict[str, str]:
    """Everything a parity job's process gets: image variables, PATH, HOME, then `job`."""
    home = ctx.sandbox.root.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        **IMAGE_ENVIRONMENT,
        "PATH": f"{env.bin_dir}:{SYSTEM_PATH}",
        "HOME": str(home),
        **job,
    }


def _in_namespace(
    namespace: Namespace,
    ctx: JobContext,
    argv: list[str],
    environment: Mapping[str, str],
    isolated: bool,
) -> JobCommand:
    return JobCommand(
        argv=namespace.wrap(argv, ctx.sandbox.root, isolate_network=isolated),
        cwd=ctx.sandbox.root,
        environment=dict(environment),
        inherit=False,
    )


def processing_command(runtime: ParityRuntime) -> processing.CommandBuilder:
    """Makes a processing job's command in its image's environment."""

    def build(ctx: JobContext, arguments: Mapping[str, Any]) -> JobCommand:
        env = runtime.env_for("Processing", arguments)
        if runtime.namespace is None:
            mapped = processing.build_command(ctx, arguments, python=str(env.python))
            environment = container_environment(ctx, env, mapped.environment)
            return replace(mapped, environment=environment, inherit=False)
        environment = container_environment(ctx, env, processing.job_environment(arguments))
        return _in_namespace(
            runtime.namespace,
            ctx,
            processing.container_argv(arguments),
            environment,
            network_isolated("Processing", arguments),
        )

    return build


def _check_drivers(ctx: JobContext, arguments: Mapping[str, Any]) -> None:
    if not uses_drivers(arguments):
        return
    requirements = training.driver_source_code(ctx).get("requirements")
    if requirements:
        # sm_train.sh would pip-install them into the cached environment every image shares.
        raise LocalJobError(
            f"SourceCode.requirements {requirements!r}: parity mode does not install into the "
            "image's environment; pin them in the image's lock instead",
            CLIENT_ERROR,
        )


def _check_one_host(arguments: Mapping[str, Any]) -> None:
    count = (arguments.get("ResourceConfig") or {}).get("InstanceCount")
    if isinstance(count, int) and count > 1:
        # The drivers name the first host algo-1:7777, which resolves only in SageMaker's
        # cluster, and an isolated job has a network namespace of its own.
        raise LocalJobError(
            f"InstanceCount {count}: in a namespace, parity mode cannot join training hosts "
            "(the drivers' algo-1 resolves only on SageMaker); run several hosts with "
            "--parity --no-namespace (the images' libraries, this machine's loopback) or "
            "without --parity",
            CLIENT_ERROR,
        )


def training_command(runtime: ParityRuntime) -> training.CommandBuilder:
    """Makes a training job's command in its image's environment."""

    def build(
        ctx: JobContext, arguments: Mapping[str, Any], environment: dict[str, str]
    ) -> JobCommand:
        env = runtime.env_for("Training", arguments)
        if runtime.namespace is None:
            direct = training.entry_command(ctx, arguments, environment, python=str(env.python))
            mapped = container_environment(ctx, env, direct.environment)
            return replace(direct, environment=mapped, inherit=False)
        _check_one_host(arguments)
        _check_drivers(ctx, arguments)
        # The container starts with the job's Environment and its name; the drivers compute
        # the SM_* variables themselves.
        job = {
            **processing.job_environment(arguments),
            "TRAINING_JOB_NAME": ctx.job_name,
            "TRAINING_JOB_ARN": arn(f"training-job/{ctx.job_name.lower()}"),
        }
        return _in_namespace(
            runtime.namespace,
            ctx,
            training.container_argv(arguments),
            container_environment(ctx, env, job),
            network_isolated("Training", arguments),
        )

    return build
