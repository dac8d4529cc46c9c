"""Content digests of folders, for "are these inputs the same as last time?" checks
(the build stamp of `edustat run`, the reuse of published dbt docs)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def add_tree(digest: Any, root: Path, base: Path, skip: set[str]) -> None:
    """Feed `digest` every file under `root`, in sorted order: its path relative to `base`, then
    the SHA-256 of its bytes. Hidden files and paths through a folder named in `skip` (build
    output, caches) are left out."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(base)
        if not path.is_file() or skip & set(rel.parts) or path.name.startswith("."):
            continue
        digest.update(f"{rel.as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
