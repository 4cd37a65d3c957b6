"""What the SDK v3 ModelTrainer's container drivers compute, for a local run.

A Training step's entrypoint is `/bin/bash -c "... sm_drivers/sm_train.sh"`. That script
writes the `SM_*` environment (`scripts/environment.py`), changes to the code channel and runs
the entry script through `distributed_drivers/basic_script_driver.py`. Locally the same
happens without bash: the environment and config files are computed here and the entry script
runs as `python <entry_script> <hyperparameters as CLI args>` in the code channel folder.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline_definition.local.errors import CLIENT_ERROR, LocalJobError
from pipeline_definition.local.sandbox import Sandbox, is_python

DRIVER_SCRIPT = "sm_drivers/sm_train.sh"
DRIVERS_CHANNEL = "sm_drivers"
CODE_CHANNEL = "code"
CURRENT_HOST = "algo-1"
MASTER_PORT = 7777
LOG_LEVEL = 20

# Container paths, as scripts/environment.py defines them.
MODEL_DIR = "/opt/ml/model"
INPUT_DIR = "/opt/ml/input"
INPUT_DATA_DIR = "/opt/ml/input/data"
INPUT_CONFIG_DIR = "/opt/ml/input/config"
OUTPUT_DIR = "/opt/ml/output"
OUTPUT_FAILURE = "/opt/ml/output/failure"
OUTPUT_DATA_DIR = "/opt/ml/output/data"
SOURCE_DIR = f"{INPUT_DATA_DIR}/{CODE_CHANNEL}"


def safe_deserialize(data: Any) -> Any:
    """A JSON-encoded string as its value; anything else as it is (the drivers' rule)."""
    if not isinstance(data, str):
        return data
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        return data


def safe_serialize(data: Any) -> str:
    """Strings as they are, other values as JSON, else `str()` (the drivers' rule)."""
    if isinstance(data, str):
        return data
    try:
        return json.dumps(data)
    except TypeError:
        return str(data)


def hyperparameters_to_cli_args(hyperparameters: Mapping[str, Any]) -> list[str]:
    """`--name value` pairs exactly as the drivers' `common.utils` builds them."""
    args: list[str] = []
    for key, value in hyperparameters.items():
        args.extend([f"--{key}", safe_serialize(safe_deserialize(value))])
    return args


def uses_drivers(arguments: Mapping[str, Any]) -> bool:
    """True when the step follows the ModelTrainer driver contract."""
    spec = arguments.get("AlgorithmSpecification") or {}
    parts = [*(spec.get("ContainerEntrypoint") or []), *(spec.get("ContainerArguments") or [])]
    return any(isinstance(part, str) and DRIVER_SCRIPT in part for part in parts)


def resource_config(
    instance_type: str, current_host: str = CURRENT_HOST, hosts: Sequence[str] = (CURRENT_HOST,)
) -> dict[str, Any]:
    """`input/config/resourceconfig.json` of one host of the job (all hosts are listed)."""
    return {
        "current_host": current_host,
        "current_instance_type": instance_type,
        "current_group_name": "homogeneousCluster",
        "hosts": list(hosts),
        "instance_groups": [
            {
                "instance_group_name": "homogeneousCluster",
                "instance_type": instance_type,
                "hosts": list(hosts),
            }
        ],
        "network_interface_name": "eth0",
    }


def input_data_config(channels: Sequence[Mapping[str, Any]], mode: str) -> dict[str, Any]:
    """`input/config/inputdataconfig.json`: one entry per channel."""
    config: dict[str, Any] = {}
    for channel in channels:
        s3 = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        entry = {
            "TrainingInputMode": channel.get("InputMode") or mode,
            "S3DistributionType": s3.get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }
        if channel.get("ContentType"):
            entry["ContentType"] = channel["ContentType"]
        config[channel["ChannelName"]] = entry
    return config


def training_environment(
    *,
    job_name: str,
    hyperparameters: Mapping[str, str],
    resources: Mapping[str, Any],
    data_config: Mapping[str, Any],
    source_code: Mapping[str, Any] | None,
    distributed: Mapping[str, Any] | None,
    num_cpus: int,
    master: tuple[str, int] = (CURRENT_HOST, MASTER_PORT),
) -> dict[str, str]:
    """The variables `scripts/environment.py` exports, with container paths, as strings.

    `master` is SM_MASTER_ADDR and SM_MASTER_PORT: `algo-1:7777` in the drivers; a local run
    of several hosts passes the loopback address and a free port (no `algo-1` resolves here).
    """
    env: dict[str, Any] = {
        "SM_MODEL_DIR": MODEL_DIR,
        "SM_INPUT_DIR": INPUT_DIR,
        "SM_INPUT_DATA_DIR": INPUT_DATA_DIR,
        "SM_INPUT_CONFIG_DIR": INPUT_CONFIG_DIR,
        "SM_OUTPUT_DIR": OUTPUT_DIR,
        "SM_OUTPUT_FAILURE": OUTPUT_FAILURE,
        "SM_OUTPUT_DATA_DIR": OUTPUT_DATA_DIR,
        "SM_LOG_LEVEL": LOG_LEVEL,
        "SM_MASTER_ADDR": master[0],
        "SM_MASTER_PORT": master[1],
    }
    if source_code:
        env["SM_SOURCE_DIR"] = SOURCE_DIR
        env["SM_ENTRY_SCRIPT"] = source_code.get("entry_script") or ""
    if distributed:
        env["SM_DISTRIBUTED_DRIVER_DIR"] = f"{INPUT_DATA_DIR}/{DRIVERS_CHANNEL}/distributed_drivers"
        env["SM_DISTRIBUTED_CONFIG"] = dict(distributed)
    channels = list(data_config)
    for channel in channels:
        env[f"SM_CHANNEL_{channel.upper()}"] = f"{INPUT_DATA_DIR}/{channel}"
    env["SM_CHANNELS"] = channels
    hps = {key: safe_deserialize(value) for key, value in hyperparameters.items()}
    for key, value in hps.items():
        env[f"SM_HP_{key.replace('-', '_').upper()}"] = value
    env["SM_HPS"] = hps
    hosts = sorted(resources["hosts"])
    env.update(
        {
            "SM_CURRENT_HOST": resources["current_host"],
            "SM_CURRENT_INSTANCE_TYPE": resources["current_instance_type"],
            "SM_HOSTS": hosts,
            "SM_NETWORK_INTERFACE_NAME": resources["network_interface_name"],
            "SM_HOST_COUNT": len(hosts),
            "SM_CURRENT_HOST_RANK": hosts.index(resources["current_host"]),
            # A local run has no accelerators, whatever the instance type asks for.
            "SM_NUM_CPUS": num_cpus,
            "SM_NUM_GPUS": 0,
            "SM_NUM_NEURONS": 0,
            "SM_RESOURCE_CONFIG": dict(resources),
            "SM_INPUT_DATA_CONFIG": dict(data_config),
        }
    )
    env["SM_TRAINING_ENV"] = {
        "channel_input_dirs": {c: env[f"SM_CHANNEL_{c.upper()}"] for c in channels},
        "current_host": env["SM_CURRENT_HOST"],
        "current_instance_type": env["SM_CURRENT_INSTANCE_TYPE"],
        "hosts": hosts,
        "master_addr": master[0],
        "master_port": master[1],
        "hyperparameters": hps,
        "input_data_config": dict(data_config),
        "input_config_dir": INPUT_CONFIG_DIR,
        "input_data_dir": INPUT_DATA_DIR,
        "input_dir": INPUT_DIR,
        "job_name": job_name,
        "log_level": LOG_LEVEL,
        "model_dir": MODEL_DIR,
        "network_interface_name": env["SM_NETWORK_INTERFACE_NAME"],
        "num_cpus": num_cpus,
        "num_gpus": 0,
        "num_neurons": 0,
        "output_data_dir": OUTPUT_DATA_DIR,
        "resource_config": dict(resources),
    }
    strings = {name: safe_serialize(value) for name, value in env.items()}
    strings["TRAINING_JOB_NAME"] = job_name
    return strings


def driver_argv(
    source_code: Mapping[str, Any],
    hyperparameters: Mapping[str, str],
    sandbox: Sandbox,
    python: str = sys.executable,
) -> list[str]:
    """The command sm_train.sh ends up running, for this machine, with `python`."""
    command = source_code.get("command")
    entry_script = source_code.get("entry_script")
    if command:
        # ModelTrainer's EXECUTE_BASE_COMMANDS: `eval` of the command and its quoted args;
        # hyperparameters are not passed as arguments in this form.
        parts = str(command).split()
        if parts and is_python(parts[0]):
            parts[0] = shlex.quote(python)
        parts.extend(shlex.quote(str(arg)) for arg in source_code.get("args") or [])
        return ["/bin/bash", "-c", sandbox.map_text(" ".join(parts))]
    if not isinstance(entry_script, str) or not entry_script:
        raise LocalJobError("sourcecode.json has neither command nor entry_script", CLIENT_ERROR)
    args = hyperparameters_to_cli_args(hyperparameters)
    if entry_script.endswith(".py"):
        return [python, entry_script, *args]
    if entry_script.endswith(".sh"):
        quoted = " ".join(shlex.quote(arg) for arg in args)
        return ["/bin/sh", "-c", f"chmod +x {entry_script} && ./{entry_script} {quoted}"]
    raise LocalJobError(
        f"unsupported entry script {entry_script!r}: only .py and .sh are supported",
        CLIENT_ERROR,
    )
