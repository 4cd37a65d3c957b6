"""Jobs with InstanceCount > 1 run as one process per host, merged as SageMaker merges them."""

from __future__ import annotations

import copy
import json
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.local.errors import LocalJobError
from pipeline_definition.local.hosts import instance_count, merge_folders

from .local_fakes import LocalRun, definition, get, split_step, training_step


def _shard_step(count: Any) -> dict[str, Any]:
    step = split_step()
    arguments = step["Arguments"]
    arguments["AppSpecification"]["ContainerEntrypoint"] = ["python3", "-m", "fakejobs.shard"]
    arguments["AppSpecification"]["ContainerArguments"] = [
        "--input-dir",
        "/opt/ml/processing/input/data",
        "--output-dir",
        "/opt/ml/processing/output",
        "--resource-config",
        "/opt/ml/config/resourceconfig.json",
    ]
    arguments["ProcessingInputs"][0]["S3Input"]["S3DataDistributionType"] = "ShardedByS3Key"
    arguments["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = count
    return step


def _training(count: int) -> dict[str, Any]:
    step = training_step()
    step["Arguments"]["ResourceConfig"]["InstanceCount"] = count
    return step


@pytest.fixture
def raw_folder(tmp_path: Path) -> Path:
    """Five raw files: one more than a multiple of the hosts below."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for index in range(5):
        (folder / f"part-{index}.csv").write_text(f"row{index},1\n")
    return folder


def _read_json(local_run: LocalRun, uri: str) -> Any:
    return json.loads(local_run.store.path(uri).read_text())


def test_a_sharded_input_is_dealt_out_and_every_host_uploads_to_the_prefix(
    local_run: LocalRun, raw_folder: Path
) -> None:
    result = local_run.run(
        definition([_shard_step(get("Parameters.Rounds"))]),
        params=(f"InputData={raw_folder}/", "Rounds=3"),
    )

    assert result.status == "Succeeded", result.failure_reason
    split = result.step("Split").properties
    assert split is not None
    train = split["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    parts = {
        h: _read_json(local_run, f"{train}/part-{h}.json") for h in ("algo-1", "algo-2", "algo-3")
    }
    # Objects in key order, dealt out round robin: each instance its own share, none twice.
    assert {h: p["files"] for h, p in parts.items()} == {
        "algo-1": ["part-0.csv", "part-3.csv"],
        "algo-2": ["part-1.csv", "part-4.csv"],
        "algo-3": ["part-2.csv"],
    }
    assert {p["current_host"] for p in parts.values()} == {"algo-1", "algo-2", "algo-3"}
    assert all(p["hosts"] == ["algo-1", "algo-2", "algo-3"] for p in parts.values())
    # Every instance wrote report/report.json: S3 keeps one, and a note says so.
    assert any("algo-2 overwrote report.json of algo-1" in note for note in result.notes)
    logs = result.directory / "logs"
    assert (logs / "Split-algo-2.log").read_text().startswith("[")
    assert "===== host algo-3" in (logs / "Split.log").read_text()


def test_a_replicated_input_reaches_every_host(local_run: LocalRun, raw_folder: Path) -> None:
    step = _shard_step(2)
    del step["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3DataDistributionType"]
    result = local_run.run(definition([step]), params=(f"InputData={raw_folder}/",))

    assert result.status == "Succeeded", result.failure_reason
    split = result.step("Split").properties
    assert split is not None
    train = split["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    for host in ("algo-1", "algo-2"):
        assert len(_read_json(local_run, f"{train}/part-{host}.json")["files"]) == 5


def test_training_hosts_get_their_own_config_and_meet_on_the_loopback_address(
    local_run: LocalRun,
) -> None:
    result = local_run.run(definition([split_step(), _training(3)]))

    assert result.status == "Succeeded", result.failure_reason
    train = result.step("Train").properties
    assert train is not None
    model_uri = train["ModelArtifacts"]["S3ModelArtifacts"]
    with tarfile.open(local_run.store.path(model_uri)) as archive:
        assert sorted(archive.getnames()) == ["code", "code/inference.py", "model.json"]
    output = model_uri.rsplit("/", 1)[0] + "/output.tar.gz"
    with tarfile.open(local_run.store.path(output)) as archive:
        names = sorted(archive.getnames())
        seen = {
            name: json.load(archive.extractfile(name))  # type: ignore[arg-type]
            for name in names
            if name.startswith("host-")
        }
    assert names == ["host-algo-1.json", "host-algo-2.json", "host-algo-3.json", "notes.txt"]
    for host in ("algo-1", "algo-2", "algo-3"):
        config = seen[f"host-{host}.json"]["resourceconfig"]
        assert (config["current_host"], config["hosts"]) == (host, ["algo-1", "algo-2", "algo-3"])
        assert seen[f"host-{host}.json"]["rows"] == 3  # FullyReplicated channel
    masters = {tuple(s["master"]) for s in seen.values()}
    assert len(masters) == 1
    address, port = masters.pop()
    assert address == "127.0.0.1" and 0 < int(port) < 65536


def test_two_hosts_writing_the_same_model_file_fail_the_job(
    local_run: LocalRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_EVERY_HOST_WRITES_MODEL", "1")
    result = local_run.run(definition([split_step(), _training(2)]))

    assert result.status == "Failed"
    reason = result.step("Train").failure_reason or ""
    assert "hosts algo-1 and algo-2 both wrote 'code/inference.py'" in reason


def test_the_first_host_to_fail_ends_the_others_and_gives_the_reason(
    local_run: LocalRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TRAIN_FAIL", "no peer")
    monkeypatch.setenv("FAKE_FAIL_HOST", "algo-2")
    started = time.monotonic()
    result = local_run.run(definition([split_step(), _training(3)]))

    assert time.monotonic() - started < 30  # the others would sleep for 60 s
    assert result.step("Train").failure_reason == "algo-2: AlgorithmError: exit code 1: no peer"
    log = (result.directory / "logs" / "Train.log").read_text()
    assert log.rindex("===== host algo-2") > log.rindex("===== host algo-3")


def test_one_instance_runs_as_before(local_run: LocalRun) -> None:
    document = copy.deepcopy(definition([split_step(), _training(1)]))
    result = local_run.run(document)

    assert result.status == "Succeeded", result.failure_reason
    logs = sorted(p.name for p in (result.directory / "logs").iterdir())
    assert logs == ["Split.log", "Train.log"]


@pytest.mark.parametrize("value", [0, -2, True, "3", 2.5])
def test_an_instance_count_below_one_or_not_whole_is_refused(value: Any) -> None:
    with pytest.raises(LocalJobError, match="must be a whole number of at least 1"):
        instance_count(value, "ResourceConfig.InstanceCount")


def test_merged_folders_keep_every_host_file(tmp_path: Path) -> None:
    for host, name in (("algo-1", "model.ubj"), ("algo-2", "extra/notes.txt")):
        (tmp_path / host / name).parent.mkdir(parents=True)
        (tmp_path / host / name).write_text(host)
    sources = [(h, tmp_path / h) for h in ("algo-1", "algo-2", "algo-3")]
    names = merge_folders(sources, tmp_path / "merged", "model folder")
    assert names == ["extra/notes.txt", "model.ubj"]
    assert (tmp_path / "merged" / "extra" / "notes.txt").read_text() == "algo-2"
