"""The hosts of a training job, and XGBoost's collective that joins them.

SageMaker runs the same command on every host of a training job (the SDK's `sm_train.sh`), so
the script itself tells the hosts apart. Each one learns the cluster from the drivers'
environment (`SM_HOSTS`, `SM_CURRENT_HOST`, `SM_MASTER_ADDR`, `SM_MASTER_PORT`), else from
SageMaker's `resourceconfig.json`, else it is the only host (a run by hand). Ranks follow the
sorted host names, as the drivers' `SM_CURRENT_HOST_RANK` does.

With several hosts, the first one starts XGBoost's tracker (`xgboost.tracker.RabitTracker`)
on the master address, as the XGBoost image's `sagemaker_xgboost_container.distributed` does,
and every host joins the collective with its rank as task id. Inside, `xgb.train` allreduces
its histograms and metrics itself, and `CollectiveReducer` gives the other fits (the ridge,
the feature transform, the validation figures) sums, extremes, medians and gathers over all
hosts. One host alone never touches the network: its reducer is `LOCAL`.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ml_scripts import layout
from ml_scripts.common.reduction import LOCAL, Reducer, distributed_nanmedian

T = TypeVar("T")
# The XGBoost image's helper listens on 9099 when nothing else is said; the SDK's drivers
# export SM_MASTER_PORT (7777), which no other process of this job uses.
DEFAULT_PORT = 9099
RESOLVE_SECONDS = 300.0
# How long a host waits for the first host's tracker (instances may start minutes apart).
JOIN_SECONDS = 600.0

logger = logging.getLogger(__name__)


class ClusterError(ValueError):
    """The cluster description is unusable (a host missing from the list, a bad port)."""


@dataclass(frozen=True)
class Cluster:
    """The job's hosts (sorted), this host, and where the tracker listens."""

    hosts: tuple[str, ...]
    current_host: str
    master_addr: str
    master_port: int = DEFAULT_PORT

    def __post_init__(self) -> None:
        if self.current_host not in self.hosts:
            raise ClusterError(f"current host {self.current_host!r} is not in hosts {self.hosts}")

    @property
    def rank(self) -> int:
        """This host's place in the sorted host list (0 runs the tracker and writes the model)."""
        return self.hosts.index(self.current_host)

    @property
    def size(self) -> int:
        """How many hosts train together."""
        return len(self.hosts)

    @classmethod
    def single(cls) -> Cluster:
        """A job on one host."""
        return cls(hosts=("algo-1",), current_host="algo-1", master_addr="algo-1")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Cluster:
        """The drivers' SM_* variables, else resourceconfig.json, else one host."""
        config = _resource_config(environ)
        hosts = _json_list(environ.get("SM_HOSTS")) or [str(h) for h in config.get("hosts", [])]
        current = environ.get("SM_CURRENT_HOST") or str(config.get("current_host") or "")
        if not hosts and not current:
            return cls.single()
        ordered = tuple(sorted(hosts or [current]))
        port_text = environ.get("SM_MASTER_PORT") or str(DEFAULT_PORT)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ClusterError(f"SM_MASTER_PORT must be a port number, got {port_text!r}")
        return cls(
            hosts=ordered,
            current_host=current or ordered[0],
            master_addr=environ.get("SM_MASTER_ADDR") or ordered[0],
            master_port=int(port_text),
        )


def _json_list(text: str | None) -> list[str]:
    if not text:
        return []
    value = json.loads(text)
    if not isinstance(value, list):
        raise ClusterError(f"SM_HOSTS must be a JSON list of host names, got {text!r}")
    return [str(item) for item in value]


def _resource_config(environ: Mapping[str, str]) -> dict[str, Any]:
    folder = environ.get("SM_INPUT_CONFIG_DIR") or str(
        Path(layout.TRAINING_HYPERPARAMETERS_FILE).parent
    )
    path = Path(folder) / "resourceconfig.json"
    if not path.is_file():
        return {}
    value = json.loads(path.read_text() or "{}")
    return value if isinstance(value, dict) else {}


def resolve(host: str, *, seconds: float = RESOLVE_SECONDS) -> str:
    """The host's IPv4 address; SageMaker's host names may take a while to resolve at start."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return socket.gethostbyname(host)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


class CollectiveReducer:
    """Reductions over every host of the collective (rank order for gathers)."""

    def __init__(self, size: int) -> None:
        self.world_size = size

    def _allreduce(self, values: np.ndarray, op: Any) -> np.ndarray:
        from xgboost import collective  # noqa: PLC0415 (only a multi-host job needs it)

        data = np.ascontiguousarray(values)
        return collective.allreduce(data, op).reshape(data.shape)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Element-wise sum over hosts."""
        from xgboost.collective import Op  # noqa: PLC0415

        return self._allreduce(values, Op.SUM)

    def min(self, values: np.ndarray) -> np.ndarray:
        """Element-wise minimum over hosts."""
        from xgboost.collective import Op  # noqa: PLC0415

        return self._allreduce(values, Op.MIN)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Element-wise maximum over hosts."""
        from xgboost.collective import Op  # noqa: PLC0415

        return self._allreduce(values, Op.MAX)

    def nanmedian(self, matrix: np.ndarray) -> np.ndarray:
        """Exact per-column median over every host's rows (reduction.select_kth)."""
        return distributed_nanmedian(matrix, self)

    def gather(self, value: T) -> list[T]:
        """Every host's value: each host broadcasts its own in turn."""
        from xgboost import collective  # noqa: PLC0415

        rank = collective.get_rank()
        values: list[T] = []
        for source in range(self.world_size):
            # Only the source's value is sent; the others' None is never read.
            values.append(collective.broadcast(value if source == rank else None, source))  # type: ignore[arg-type]
        return values


def _join(args: dict[str, Any], *, seconds: float = JOIN_SECONDS) -> Any:
    """Enter the collective, retrying while the first host's tracker is not up yet.

    XGBoost's own connection retries back off for seconds; one attempt per call
    (dmlc_retry 1) retried here every half second joins as soon as the tracker listens. A raw
    probe of the tracker's port is no shortcut: the tracker would take it for a worker.
    """
    from xgboost import collective  # noqa: PLC0415

    deadline = time.monotonic() + seconds
    next_note = time.monotonic() + 10.0
    while True:
        context = collective.CommunicatorContext(**args, dmlc_retry=1)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # one "failed to connect" per attempt
                context.__enter__()
        except Exception:  # XGBoost raises its own error type: retried, then raised
            if time.monotonic() > deadline:
                raise
            if time.monotonic() > next_note:
                logger.info("waiting for the tracker on %s", args["dmlc_tracker_uri"])
                next_note = time.monotonic() + 10.0
            time.sleep(0.5)
            continue
        return context


@contextmanager
def joined(cluster: Cluster) -> Iterator[Reducer]:
    """The reducer over all hosts for the duration of the block (LOCAL on one host).

    An error on any host is signalled to the others, which then fail at their next collective
    call instead of waiting for the one that stopped.
    """
    if cluster.size == 1:
        yield LOCAL
        return
    from xgboost import collective  # noqa: PLC0415
    from xgboost.tracker import RabitTracker  # noqa: PLC0415

    address = resolve(cluster.master_addr)
    tracker = None
    if cluster.rank == 0:
        tracker = RabitTracker(
            n_workers=cluster.size, host_ip=address, port=cluster.master_port, sortby="task"
        )
        tracker.start()
        logger.info("tracker listening on %s:%d", address, cluster.master_port)
    context = _join(
        {
            "dmlc_communicator": "rabit",
            "dmlc_tracker_uri": address,
            "dmlc_tracker_port": cluster.master_port,
            # Zero-padded: the tracker sorts task ids as strings, and rank must follow the hosts.
            "dmlc_task_id": f"{cluster.rank:06d}",
        }
    )
    failed = False
    try:
        if collective.get_rank() != cluster.rank:
            raise ClusterError(
                f"collective rank {collective.get_rank()} != host rank {cluster.rank}"
            )
        logger.info(
            "host %s joined as rank %d of %d", cluster.current_host, cluster.rank, cluster.size
        )
        yield CollectiveReducer(cluster.size)
    except BaseException:
        failed = True
        collective.signal_error()
        raise
    finally:
        _leave(context, tracker, failed=failed)


def _leave(context: Any, tracker: Any, *, failed: bool) -> None:
    """Leave the collective; the first host waits for every host to leave its tracker.

    After a failure the collective is broken: leaving may fail too, and that is not news.
    """
    try:
        context.__exit__(None, None, None)
        if tracker is not None and not failed:
            tracker.wait_for()
    except Exception:  # XGBoost raises its own error type
        if not failed:
            raise
    finally:
        if tracker is not None:
            _free(tracker, failed=failed)


def _free(tracker: Any, *, failed: bool) -> None:
    try:
        tracker.free()
    except Exception:  # XGBoost raises its own error type
        if not failed:
            raise
