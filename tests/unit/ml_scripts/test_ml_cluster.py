"""How a training host learns its cluster: the drivers' SM_* variables, else resourceconfig.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_scripts.common.reduction import LOCAL
from ml_scripts.training.cluster import DEFAULT_PORT, Cluster, ClusterError, joined


def test_the_drivers_environment_names_hosts_rank_and_master() -> None:
    cluster = Cluster.from_environment(
        {
            "SM_HOSTS": '["algo-2", "algo-1", "algo-3"]',
            "SM_CURRENT_HOST": "algo-3",
            "SM_MASTER_ADDR": "algo-1",
            "SM_MASTER_PORT": "7777",
        }
    )
    assert cluster.hosts == ("algo-1", "algo-2", "algo-3")
    assert (cluster.rank, cluster.size) == (2, 3)
    assert (cluster.master_addr, cluster.master_port) == ("algo-1", 7777)


def test_without_the_variables_resourceconfig_json_decides(tmp_path: Path) -> None:
    resources = {"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]}
    (tmp_path / "resourceconfig.json").write_text(json.dumps(resources))
    cluster = Cluster.from_environment({"SM_INPUT_CONFIG_DIR": str(tmp_path)})
    assert (cluster.rank, cluster.size, cluster.master_addr) == (1, 2, "algo-1")
    assert cluster.master_port == DEFAULT_PORT


def test_a_run_by_hand_is_one_host_and_never_joins_a_collective(tmp_path: Path) -> None:
    cluster = Cluster.from_environment({"SM_INPUT_CONFIG_DIR": str(tmp_path)})
    assert cluster == Cluster.single()
    with joined(cluster) as reducer:
        assert reducer is LOCAL


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SM_HOSTS": '["algo-1"]', "SM_CURRENT_HOST": "algo-9"}, "is not in hosts"),
        ({"SM_HOSTS": '"algo-1"', "SM_CURRENT_HOST": "algo-1"}, "JSON list of host names"),
        ({"SM_HOSTS": '["algo-1"]', "SM_MASTER_PORT": "http"}, "must be a port number"),
    ],
)
def test_an_unusable_description_is_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ClusterError, match=message):
        Cluster.from_environment(environ)
