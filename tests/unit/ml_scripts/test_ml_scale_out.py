"""Processing on several instances: each its shard, together what one instance writes.

Instances are run one after the other in this process, each with its own resourceconfig.json
and its share of the files, dealt out as run-local deals out a ShardedByS3Key input. The
run-local tests (tests/integration/test_run_local_scale_out.py) run them as processes.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ml_scripts.common.errors import DataContractError
from ml_scripts.common.io import ROW_KEY, read_split, table_files
from ml_scripts.evaluation.context import read_processing_report
from ml_scripts.processing.combine import combine
from ml_scripts.processing.combine import main as combine_main
from ml_scripts.processing.preprocess import ProcessingConfig, run_processing
from ml_scripts.training.shards import read_shard
from testsupport.ml_scripts_testkit import DATA_FILE, HEADER, ROWS, column, to_csv

SPLITS = ("train", "validation", "test")
QUARANTINE_FIELDS = ("source_file", "line_number", "reason", "raw_row", "row_key")


def _split_files(folder: Path, parts: int) -> list[Path]:
    """The embedded data as `parts` files, every row in exactly one of them."""
    folder.mkdir(parents=True)
    lines = DATA_FILE.read_text().splitlines(keepends=True)
    files = []
    for index in range(parts):
        path = folder / f"sales-{index:02d}.csv"
        path.write_text(lines[0] + "".join(lines[1 + index :: parts]))
        files.append(path)
    return files


def _run_instances(files: list[Path], work: Path, count: int, **options: object) -> Path:
    """Run `count` instances, instance i on files i, i+count, ...; return their output folder."""
    hosts = [f"algo-{i + 1}" for i in range(count)]
    output = work / f"out-{count}"
    for rank, host in enumerate(hosts):
        shard = work / f"shard-{count}-{host}"
        shard.mkdir(parents=True)
        for path in files[rank::count]:
            shutil.copyfile(path, shard / path.name)
        config = work / f"resourceconfig-{count}-{host}.json"
        config.write_text(json.dumps({"current_host": host, "hosts": hosts}))
        run_processing(
            ProcessingConfig(
                input_path=shard,
                input_uri="s3://bucket/raw/",
                output_dir=output,
                resource_config=config,
                **options,  # type: ignore[arg-type]
            )
        )
    return output


def _keys(output: Path, split: str) -> np.ndarray:
    return np.sort(read_split(output / split)[ROW_KEY].to_numpy())


def _quarantine(output: Path) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for path in sorted((output / "quarantine").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(tuple(r[f] for f in QUARANTINE_FIELDS) for r in csv.DictReader(handle))
    return sorted(rows)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The embedded data in 6 files, processed by one instance and by three."""
    work = tmp_path_factory.mktemp("scale-out")
    files = _split_files(work / "raw", 6)
    return _run_instances(files, work, 1), _run_instances(files, work, 3)


def test_three_instances_write_exactly_the_rows_and_quarantine_of_one(
    sharded: tuple[Path, Path],
) -> None:
    one, three = sharded
    for split in SPLITS:
        keys = _keys(three, split)
        assert keys.tobytes() == _keys(one, split).tobytes()
        assert len(np.unique(keys)) == len(keys)
    assert _quarantine(three) == _quarantine(one)
    assert len(_quarantine(one)) == 1


def test_each_instance_names_its_files_after_itself(sharded: tuple[Path, Path]) -> None:
    one, three = sharded
    assert sorted(p.name for p in (one / "train").iterdir()) == ["train.parquet"]
    assert sorted(p.name for p in (three / "train").iterdir()) == [
        "train-algo-1.parquet",
        "train-algo-2.parquet",
        "train-algo-3.parquet",
    ]
    names = sorted(p.name for p in (three / "report").iterdir())
    assert names == [f"processing_report-algo-{i}.json" for i in (1, 2, 3)]
    assert not (three / "transform").exists()


def test_the_row_invariant_holds_per_instance_and_in_total(sharded: tuple[Path, Path]) -> None:
    one, three = sharded
    single = json.loads((one / "report" / "processing_report.json").read_text())
    reports = [json.loads(p.read_text()) for p in sorted((three / "report").iterdir())]
    assert [r["host"] for r in reports] == ["algo-1", "algo-2", "algo-3"]
    assert all(r["invariant_holds"] and r["rows_in"] > 0 for r in reports)
    totals = combine(three)
    assert totals["invariant_holds"] and totals["per_instance_invariant_holds"]
    counts = ("rows_in", "rows_clean", "rows_quarantined", "rows_duplicate")
    assert {name: totals[name] for name in counts} == {name: single[name] for name in counts}
    assert totals["splits"] == single["splits"]


def test_the_run_report_reads_every_instances_report_added_up(
    sharded: tuple[Path, Path],
) -> None:
    one, three = sharded
    single = read_processing_report(one / "report")
    merged = read_processing_report(three / "report")
    assert single is not None and merged is not None
    same = ("rows_in", "rows_clean", "rows_quarantined", "rows_duplicate", "reasons", "splits")
    assert {k: merged[k] for k in same} == {k: single[k] for k in same}
    assert merged["quarantine_rate"] == pytest.approx(single["quarantine_rate"])
    assert merged["invariant_holds"] and merged["status"] == "succeeded"
    assert merged["hosts"] == ["algo-1", "algo-2", "algo-3"]
    assert sorted(f["file"] for f in merged["files"]) == sorted(f["file"] for f in single["files"])


def test_rows_repeated_across_shards_are_kept_once(tmp_path: Path) -> None:
    bad = list(ROWS[0])
    bad[column("Year Built")] = "1066"
    first = [*ROWS[:30], bad]
    # The second file repeats ten good rows of the first and its bad row.
    second = [*ROWS[20:60], bad]
    files = []
    for name, rows in (("a.csv", first), ("b.csv", second)):
        path = tmp_path / "raw" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(to_csv(HEADER, rows))
        files.append(path)
    options = {"max_quarantine_rate": 0.2}
    one = _run_instances(files, tmp_path, 1, **options)
    two = _run_instances(files, tmp_path, 2, **options)
    single = json.loads((one / "report" / "processing_report.json").read_text())
    assert (single["rows_duplicate"], single["rows_quarantined"]) == (11, 1)
    for split in SPLITS:
        assert _keys(two, split).tobytes() == _keys(one, split).tobytes()
    totals = combine(two)
    assert totals["repeated_across_shards"] == {"clean": 10, "quarantined": 1}
    counts = ("rows_in", "rows_clean", "rows_quarantined", "rows_duplicate")
    assert {name: totals[name] for name in counts} == {name: single[name] for name in counts}
    assert totals["invariant_holds"]


def test_an_instance_whose_shard_holds_nothing_writes_empty_parts(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    config = tmp_path / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]}))
    report = run_processing(
        ProcessingConfig(
            input_path=tmp_path / "empty",
            input_uri="s3://bucket/raw/",
            output_dir=tmp_path / "out",
            resource_config=config,
        )
    )
    assert (report.status, report.rows_in) == ("succeeded", 0)
    assert "holds nothing InputData names" in report.warnings[0]
    for split in SPLITS:
        assert len(read_split(tmp_path / "out" / split)) == 0


def test_with_an_object_uri_only_the_instance_holding_the_object_reads_rows(
    tmp_path: Path,
) -> None:
    hosts = ["algo-1", "algo-2"]
    shards = {"algo-1": ("sales.csv.gz", b""), "algo-2": ("sales.csv", DATA_FILE.read_bytes())}
    rows = {}
    for host in hosts:
        name, content = shards[host]
        (tmp_path / host).mkdir()
        (tmp_path / host / name).write_bytes(content)
        config = tmp_path / f"{host}.json"
        config.write_text(json.dumps({"current_host": host, "hosts": hosts}))
        report = run_processing(
            ProcessingConfig(
                input_path=tmp_path / host,
                input_uri="s3://bucket/raw/sales.csv",
                output_dir=tmp_path / "out",
                resource_config=config,
            )
        )
        rows[host] = report.rows_in
    assert rows == {"algo-1": 0, "algo-2": 2637}


def test_an_unusable_resource_config_fails_with_its_path(tmp_path: Path) -> None:
    config = tmp_path / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": "algo-3", "hosts": ["algo-1"]}))
    with pytest.raises(DataContractError, match="must name current_host and the hosts"):
        run_processing(
            ProcessingConfig(
                input_path=DATA_FILE, output_dir=tmp_path / "out", resource_config=config
            )
        )
    report = json.loads((tmp_path / "out" / "report" / "processing_report.json").read_text())
    assert report["status"] == "failed"


@pytest.mark.parametrize("hosts", [1, 2, 3, 4])
def test_training_shards_are_contiguous_and_together_the_whole_split(
    sharded: tuple[Path, Path], hosts: int
) -> None:
    _, three = sharded
    whole = read_split(three / "train")
    shards = [read_shard(three / "train", rank, hosts) for rank in range(hosts)]
    rows = [len(frame) for frame, _ in shards]
    assert max(rows) - min(rows) <= 1
    joined = [frame for frame, _ in shards]
    assert np.array_equal(
        np.concatenate([f[ROW_KEY].to_numpy() for f in joined]), whole[ROW_KEY].to_numpy()
    )
    assert all(info.rows == len(whole) and info.parts == 3 for _, info in shards)


def test_one_part_in_many_row_groups_is_shared_by_every_host(tmp_path: Path) -> None:
    output = tmp_path / "out"
    run_processing(ProcessingConfig(input_path=DATA_FILE, output_dir=output, chunk_bytes=64 * 1024))
    import pyarrow.parquet as pq

    (part,) = table_files(output / "train")
    assert pq.ParquetFile(part).num_row_groups > 4
    whole = read_split(output / "train")
    frames = [read_shard(output / "train", rank, 3)[0] for rank in range(3)]
    assert [len(f) for f in frames] == [len(whole) // 3 + (r < len(whole) % 3) for r in range(3)]
    for rank, frame in enumerate(frames):
        start = rank * len(whole) // 3
        expected = whole.iloc[start : start + len(frame)].reset_index(drop=True)
        assert np.array_equal(frame[ROW_KEY].to_numpy(), expected[ROW_KEY].to_numpy())
        assert np.array_equal(
            frame["SalePrice"].to_numpy(), expected["SalePrice"].to_numpy(), equal_nan=True
        )


def test_the_combine_command_prints_the_totals(
    sharded: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, three = sharded
    assert combine_main([str(three)]) == 0
    assert json.loads(capsys.readouterr().out)["rows_in"] == 2637
    assert combine_main([str(tmp_path)]) == 1
    assert "no processing report" in capsys.readouterr().err
