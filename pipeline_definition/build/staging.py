"""Content-addressed staging of code that the pipeline ships to S3.

Whatever the SDK would upload at definition time is copied here instead, under a key derived
from a hash of its content. The staging folder mirrors the S3 layout below `CODE_PREFIX`, so
one deployment of the folder puts every object where the definition expects it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

CODE_PREFIX = "code"
HASH_LENGTH = 16
# Bytecode and editor debris differ between machines and must not change a content hash.
IGNORED_NAMES = frozenset({"__pycache__", ".DS_Store", ".mypy_cache", ".pytest_cache"})
IGNORED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class StagedCode:
    """One staged upload: its S3 key (below the bucket) and its local copy."""

    key: str
    local_path: Path
    is_directory: bool


def _is_ignored(name: str) -> bool:
    return name in IGNORED_NAMES or name.endswith(IGNORED_SUFFIXES)


def list_files(root: Path) -> list[Path]:
    """Return the files below `root` that staging ships, sorted by relative POSIX path."""
    if root.is_file():
        return [root]
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _is_ignored(d))
        found.extend(Path(directory) / f for f in filenames if not _is_ignored(f))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def content_hash(root: Path, files: list[Path] | None = None) -> str:
    """Hash relative paths, executable bits and bytes of the shipped files of `root`."""
    digest = hashlib.sha256()
    base = root.parent if root.is_file() else root
    for path in files if files is not None else list_files(root):
        relative = path.relative_to(base).as_posix()
        executable = bool(path.stat().st_mode & stat.S_IXUSR)
        digest.update(f"{relative}\0{int(executable)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:HASH_LENGTH]


class CodeStaging:
    """Copies files and folders into a staging root under content-hashed keys."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staged: dict[str, StagedCode] = {}

    def stage(self, source: Path, label: str) -> StagedCode:
        """Copy `source` (file or folder) to `code/<label>/<hash>/` and return where it went."""
        if not source.exists():
            raise FileNotFoundError(f"cannot stage {source}: it does not exist")
        files = list_files(source)
        if not files:
            raise ValueError(f"cannot stage {source}: it holds no files to ship")
        digest = content_hash(source, files)
        prefix = f"{CODE_PREFIX}/{label}/{digest}"
        destination = self.root / prefix
        if source.is_file():
            key = f"{prefix}/{source.name}"
            _copy_file(source, destination / source.name)
            staged = StagedCode(key=key, local_path=destination / source.name, is_directory=False)
        else:
            key = f"{prefix}/"
            for path in files:
                _copy_file(path, destination / path.relative_to(source))
            staged = StagedCode(key=key, local_path=destination, is_directory=True)
        self.staged[key] = staged
        return staged

    def stage_tree(
        self, files: dict[str, Path], label: str, contents: dict[str, str] | None = None
    ) -> StagedCode:
        """Stage several files under chosen relative paths, plus generated texts, as one folder."""
        with _TemporaryTree(self.root / ".assembling" / label) as tree:
            for relative, path in sorted(files.items()):
                _copy_file(path, tree / relative)
            for relative, text in sorted((contents or {}).items()):
                (tree / relative).parent.mkdir(parents=True, exist_ok=True)
                (tree / relative).write_text(text)
                (tree / relative).chmod(0o644)
            return self.stage(tree, label)


def _copy_file(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)
    # Keep only the executable bit: it matters to shell drivers and is part of the hash.
    mode = 0o755 if source.stat().st_mode & stat.S_IXUSR else 0o644
    destination.chmod(mode)


class _TemporaryTree:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Path:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        parent = self.path.parent
        if parent.exists() and not any(parent.iterdir()):
            parent.rmdir()
