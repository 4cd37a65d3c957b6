"""Which instance of a processing job this is, and how it names its output files.

A processing job with several instances gives each one a shard of the raw input
(`ShardedByS3Key`: a share of the S3 objects) and describes the cluster in
`/opt/ml/config/resourceconfig.json` (`{"current_host": "algo-2", "hosts": [...]}`). SageMaker
uploads every instance's output folders to the same S3 prefixes, so each instance names its
files after itself (`train/train-algo-2.parquet`); a job on one instance keeps the plain names
(`train/train.parquet`). Run by hand, without a resource config, the step is one host.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ml_scripts import layout
from ml_scripts.common.errors import DataContractError
from ml_scripts.processing.inputs import select_inputs


@dataclass(frozen=True)
class Instance:
    """This instance and every instance of the job."""

    current_host: str = "algo-1"
    hosts: tuple[str, ...] = ("algo-1",)

    @property
    def size(self) -> int:
        """How many instances share the input."""
        return len(self.hosts)

    @property
    def name_suffix(self) -> str:
        """What this instance adds to its file names: nothing alone, `-<host>` among several."""
        return "" if self.size == 1 else f"-{self.current_host}"

    def file_name(self, stem: str, extension: str) -> str:
        """`<stem><extension>` on one instance, `<stem>-<host><extension>` on several."""
        return f"{stem}{self.name_suffix}{extension}"


def read_instance(path: Path | None) -> Instance:
    """The instance a resource config describes (one host when no path is given)."""
    if path is None:
        return Instance()
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise DataContractError(f"resource config {path} is unreadable: {error}") from error
    hosts = config.get("hosts") if isinstance(config, dict) else None
    current = config.get("current_host") if isinstance(config, dict) else None
    if not isinstance(hosts, list) or not hosts or current not in hosts:
        raise DataContractError(
            f"resource config {path} must name current_host and the hosts that include it"
        )
    return Instance(current_host=str(current), hosts=tuple(sorted(str(h) for h in hosts)))


def shard_inputs(
    input_path: Path,
    input_uri: str | None,
    instance: Instance,
    input_data_type: str = layout.S3_PREFIX_INPUT,
) -> tuple[list[Path], list[str]]:
    """The files this instance reads (what InputData names among its shard's objects), notes.

    An object lands in one shard only, and a folder may have fewer files than there are
    instances: an instance that finds nothing InputData names has an empty shard, not an
    error (the training step fails when no instance found a row).
    """
    try:
        return select_inputs(input_path, input_uri, input_data_type)
    except DataContractError:
        if instance.size == 1:
            raise
        note = (
            f"{instance.current_host}: this instance's shard holds nothing InputData names "
            f"({instance.size} instances share the input); its outputs are empty"
        )
        return [], [note]
