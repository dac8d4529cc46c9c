"""What lies under landing/: files per (contract, partition), and the file id of a version."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts import Contract, all_contracts


@dataclass(frozen=True)
class LandingFile:
    path: str  # relative to landing/, with '/' separators: the registry key, stable across OSes
    abs_path: Path
    size: int
    mtime_ns: int


def file_id(path: str, sha256: str) -> str:
    """Registry key of one version of one file: sha256 of path + content hash, 16 hex digits."""
    return hashlib.sha256(f"{path}\n{sha256}".encode()).hexdigest()[:16]


def partition_dir(landing: Path, contract: Contract, partition_key: str) -> Path:
    return landing / contract.landing_dir.format(**{contract.partition: partition_key})


def _entry(landing: Path, p: Path) -> LandingFile:
    st = p.stat()
    return LandingFile(p.relative_to(landing).as_posix(), p, st.st_size, st.st_mtime_ns)


def partition_files(landing: Path, contract: Contract, partition_key: str) -> list[LandingFile]:
    """Files directly in the partition folder, sorted by path (the processing order)."""
    folder = partition_dir(landing, contract, partition_key)
    if not folder.is_dir():
        return []
    return sorted(
        (_entry(landing, p) for p in folder.iterdir() if p.is_file()), key=lambda f: f.path
    )


def all_files(landing: Path) -> list[LandingFile]:
    """Every file anywhere under landing/ (hidden ones too: every file gets a registry row)."""
    if not landing.is_dir():
        return []
    out = []
    for root, _dirs, files in os.walk(landing):
        out += [_entry(landing, Path(root) / f) for f in files]
    return sorted(out, key=lambda f: f.path)


def owner(path: str, partitions: dict[str, set[str]]) -> tuple[Contract, str] | None:
    """(contract, partition key) whose partition folder holds `path` directly, if any.

    `partitions` maps source -> the partition keys Dagster knows for it; a folder outside them
    (an unknown round, say) belongs to no partition and is registered by the landing sweep.
    """
    parts = path.split("/")
    if len(parts) != 3:
        return None
    root, key, _name = parts
    for contract in all_contracts().values():
        if contract.landing_root == root and key in partitions.get(contract.source, set()):
            return contract, key
    return None
