"""Container path mapping and the local object store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline_definition.local.command import JobCommand
from pipeline_definition.local.sandbox import Sandbox, SandboxError, map_command
from pipeline_definition.local.store import LocalObjectStore, StoreError, local_name, parse_uri


def test_host_paths(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path / "sb")
    assert (
        sandbox.host_path("/opt/ml/processing/input/data") == tmp_path / "sb/processing/input/data"
    )
    assert sandbox.host_path("/opt/ml") == tmp_path / "sb"
    for bad in ("/data/input", "/opt/mlx/a", "relative/path", "/opt/ml/../etc"):
        with pytest.raises(SandboxError):
            sandbox.host_path(bad)


def test_map_text_in_arguments_and_environment(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path)
    root = str(tmp_path)
    assert sandbox.map_text("--model-dir=/opt/ml/model") == f"--model-dir={root}/model"
    assert sandbox.map_environment({"PYTHONPATH": "/opt/ml/processing/input/code:/opt/ml/x"}) == {
        "PYTHONPATH": f"{root}/processing/input/code:{root}/x"
    }
    assert sandbox.map_text("chmod +x /opt/ml/a.sh && /opt/ml/a.sh") == (
        f"chmod +x {root}/a.sh && {root}/a.sh"
    )
    # Not container paths: other folders, and /opt/ml inside another path.
    assert sandbox.map_text("/opt/mlflow /x/opt/ml/y") == "/opt/mlflow /x/opt/ml/y"


def test_map_command_uses_this_python(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path)
    assert map_command(["python3", "-m", "mod", "/opt/ml/in"], sandbox) == [
        sys.executable,
        "-m",
        "mod",
        f"{tmp_path}/in",
    ]
    assert map_command(["/usr/bin/python3.11", "x.py"], sandbox)[0] == sys.executable
    assert map_command(["/usr/bin/env", "python", "x.py"], sandbox) == [sys.executable, "x.py"]
    assert map_command(["/bin/bash", "-c", "echo"], sandbox) == ["/bin/bash", "-c", "echo"]


def test_uri_parsing() -> None:
    parsed = parse_uri("s3://bucket/a/b.csv")
    assert (parsed.bucket, parsed.key, str(parsed)) == ("bucket", "a/b.csv", "s3://bucket/a/b.csv")
    for bad in ("https://x/y", "s3:///key", "s3://b/../x"):
        with pytest.raises(StoreError):
            parse_uri(bad)


def test_a_prefix_selects_every_key_that_starts_with_it(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    store.put_bytes(b"1", "s3://b/data/train/part-1.csv")
    store.put_bytes(b"2", "s3://b/data/train/sub/part-2.csv")
    store.put_bytes(b"3", "s3://b/data/train-old.csv")
    store.put_bytes(b"4", "s3://b/data/other.csv")

    assert store.download("s3://b/data/train", tmp_path / "a") == 3
    assert sorted(
        p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*.csv")
    ) == ["part-1.csv", "sub/part-2.csv", "train-old.csv"]
    assert store.download("s3://b/data/train/", tmp_path / "b") == 2
    assert store.download("s3://b/data/missing", tmp_path / "c") == 0
    assert store.exists("s3://b/data/tr") and not store.exists("s3://b/nothing")
    assert store.uri(tmp_path / "s3" / "b" / "data" / "x.csv") == "s3://b/data/x.csv"


def test_an_object_name_also_selects_the_keys_that_extend_it(tmp_path: Path) -> None:
    """S3's key-prefix rule: `sales.csv` also takes `sales.csv.gz` and `sales.csv_backup/`."""
    store = LocalObjectStore(tmp_path / "s3")
    store.put_bytes(b"wanted", "s3://b/raw/sales.csv")
    store.put_bytes(b"gz", "s3://b/raw/sales.csv.gz")
    store.put_bytes(b"backup", "s3://b/raw/sales.csv_backup/x.csv")
    store.put_bytes(b"other", "s3://b/raw/prices.csv")

    names = sorted(name for name, _ in store.objects("s3://b/raw/sales.csv"))
    assert names == ["sales.csv", "sales.csv.gz", "sales.csv_backup/x.csv"]
    assert store.download("s3://b/raw/sales.csv", tmp_path / "in") == 3
    assert (tmp_path / "in" / "sales.csv").read_bytes() == b"wanted"


@pytest.mark.parametrize(
    ("prefix", "key", "name"),
    [
        ("raw/sales.csv", "raw/sales.csv", "sales.csv"),
        ("raw/sales.csv", "raw/sales.csv.gz", "sales.csv.gz"),
        ("raw/sales.csv", "raw/sales.csv_backup/x.csv", "sales.csv_backup/x.csv"),
        ("out/test", "out/test/part-0.parquet", "part-0.parquet"),
        ("out/test/", "out/test/a/b.csv", "a/b.csv"),
        ("", "top.csv", "top.csv"),
    ],
)
def test_local_names_follow_file_mode(prefix: str, key: str, name: str) -> None:
    assert local_name(prefix, key) == name


def test_upload_and_read_json(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    source = tmp_path / "out"
    (source / "plots").mkdir(parents=True)
    (source / "evaluation.json").write_text('{"a": 1}')
    (source / "plots" / "p.png").write_bytes(b"x")
    assert store.upload_dir(source, "s3://b/eval/report") == 2
    assert store.read_json("s3://b/eval/report/evaluation.json") == {"a": 1}
    with pytest.raises(StoreError, match="is not an object"):
        store.read_json("s3://b/eval/report")


def test_jobs_get_the_images_environment_whatever_the_shell_sets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    command = JobCommand(argv=("python3",), cwd=tmp_path, environment={"PYTHONUNBUFFERED": "0"})

    environment = command.full_environment()

    assert environment["PYTHONUNBUFFERED"] == "0"  # the job's own Environment wins
    assert JobCommand(argv=("python3",), cwd=tmp_path).full_environment()["PYTHONUNBUFFERED"] == "1"
