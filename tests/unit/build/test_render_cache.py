"""The render cache: a hit equals a fresh render; any input change misses."""

from __future__ import annotations

import dataclasses
import shutil
from importlib import metadata
from pathlib import Path

import pytest

from pipeline_definition.build import render_cache
from pipeline_definition.build.config import PipelineConfig
from pipeline_definition.build.render import render_definition
from pipeline_definition.build.staging import content_hash
from project.paths import ML_SCRIPTS_DIR


@pytest.fixture
def config(tmp_path: Path) -> PipelineConfig:
    scripts = tmp_path / "ml_scripts"
    shutil.copytree(ML_SCRIPTS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    return PipelineConfig(
        pipeline_name="cache-test",
        region="us-east-1",
        model_package_group_name="cache-test-models",
        sample_data_key="data/sample/house_data.csv",
        ml_scripts_dir=scripts,
    )


def test_hit_gives_the_same_body_and_staged_files_as_a_fresh_render(
    config: PipelineConfig, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    fresh = render_definition(config, tmp_path / "fresh", cache_dir=cache)
    assert len(list(cache.iterdir())) == 1

    hit = render_definition(config, tmp_path / "hit", cache_dir=cache)
    assert hit.body == fresh.body
    assert hit.code_keys == fresh.code_keys
    assert content_hash(tmp_path / "hit" / "code") == content_hash(tmp_path / "fresh" / "code")


def test_hit_replaces_stale_code_in_the_staging_folder(
    config: PipelineConfig, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    render_definition(config, tmp_path / "warm", cache_dir=cache)
    stale = tmp_path / "staging" / "code" / "training" / "0000000000000000"
    stale.mkdir(parents=True)
    render_definition(config, tmp_path / "staging", cache_dir=cache)
    assert not stale.exists()


def test_key_changes_with_a_script_byte(config: PipelineConfig) -> None:
    before = render_cache.cache_key(config)
    script = config.ml_scripts_dir / "evaluation" / "evaluate.py"
    script.write_bytes(script.read_bytes() + b"\n")
    assert render_cache.cache_key(config) != before


def test_key_changes_with_the_configuration(config: PipelineConfig) -> None:
    renamed = dataclasses.replace(config, pipeline_name="another-pipeline")
    assert render_cache.cache_key(renamed) != render_cache.cache_key(config)


def test_key_changes_with_the_sdk_version(
    config: PipelineConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = render_cache.cache_key(config)
    real = metadata.version
    monkeypatch.setattr(
        metadata,
        "version",
        lambda name: "99.0.0" if name == "sagemaker" else real(name),
    )
    assert render_cache.cache_key(config) != before


def test_a_damaged_entry_is_a_miss(config: PipelineConfig, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh = render_definition(config, tmp_path / "fresh", cache_dir=cache)
    (cache / render_cache.cache_key(config) / render_cache.KEYS_FILE).write_text("not json")
    again = render_definition(config, tmp_path / "again", cache_dir=cache)
    assert again.body == fresh.body


def test_old_entries_are_pruned(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    (staging / "code" / "x").mkdir(parents=True)
    (staging / "code" / "x" / "f").write_text("f")
    for index in range(render_cache.KEEP_ENTRIES + 3):
        render_cache.store(tmp_path / "cache", f"key{index:02d}", "{}", (), staging)
    assert len(list((tmp_path / "cache").iterdir())) == render_cache.KEEP_ENTRIES


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the pipeline_definition package to edit."""
    copy = tmp_path / "pipeline_definition"
    shutil.copytree(render_cache.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.mark.parametrize(
    ("edited", "changes_the_key"),
    [
        ("build/builder.py", True),
        ("build/parameters.py", True),
        ("model/placeholders.py", True),
        ("diff/compare.py", False),
        ("check/validate.py", False),
        ("local/executor.py", False),
        ("cli.py", False),
    ],
)
def test_key_follows_exactly_the_renderer_code(
    config: PipelineConfig, package_copy: Path, edited: str, changes_the_key: bool
) -> None:
    before = render_cache.cache_key(config, package_copy)
    path = package_copy / edited
    path.write_text(path.read_text() + "\n# edited\n")

    assert (render_cache.cache_key(config, package_copy) != before) is changes_the_key


def test_a_new_renderer_module_changes_the_key(config: PipelineConfig, package_copy: Path) -> None:
    before = render_cache.cache_key(config, package_copy)
    (package_copy / "build" / "extra.py").write_text("X = 1\n")

    assert render_cache.cache_key(config, package_copy) != before


def fake_entry(cache: Path, key: str) -> Path:
    """A cache entry with a body and one staged file, as `store` leaves it."""
    entry = cache / key
    (entry / "code" / "training" / "abc").mkdir(parents=True)
    (entry / "code" / "training" / "abc" / "train.py").write_text("print(1)\n")
    (entry / render_cache.BODY_FILE).write_text("{}\n")
    (entry / render_cache.KEYS_FILE).write_text('["code/training/abc/"]')
    return entry


def test_a_shared_cache_serves_hits_and_adopts_only_new_renders(tmp_path: Path) -> None:
    cache, elsewhere = tmp_path / "cache", tmp_path / "worktree-cache"
    fake_entry(cache, "a" * 32)

    render_cache.share(cache, elsewhere)
    hit = render_cache.load(elsewhere, "a" * 32, tmp_path / "staging")
    fake_entry(elsewhere, "b" * 32)  # what the other checkout rendered afresh
    added = render_cache.adopt(elsewhere, cache)

    assert hit == ("{}\n", ("code/training/abc/",))
    assert (elsewhere / ("a" * 32)).is_symlink()
    assert added == ["b" * 32]
    assert sorted(p.name for p in cache.iterdir()) == ["a" * 32, "b" * 32]
    assert not (cache / ("b" * 32)).is_symlink()
    # Adopting again adds nothing: the first copy in stays.
    assert render_cache.adopt(elsewhere, cache) == []


def test_store_keeps_the_entry_another_render_finished_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, staging = tmp_path / "cache", tmp_path / "staging"
    (staging / "code" / "training").mkdir(parents=True)
    (staging / "code" / "training" / "t.py").write_text("x = 1\n")
    real_rename = Path.rename

    def raced(self: Path, target: Path) -> Path:
        # The other side of a diff renames its entry in between.
        fake_entry(cache, Path(target).name)
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", raced)

    render_cache.store(cache, "c" * 32, "{}\n", ("code/training/",), staging)

    assert [p.name for p in cache.iterdir()] == ["c" * 32]
    assert (cache / ("c" * 32) / "code" / "training" / "abc" / "train.py").is_file()
