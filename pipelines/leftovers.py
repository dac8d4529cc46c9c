"""Temporary folders a killed run left behind, removed at the next start.

Every temporary folder the pipeline makes ends in `-<pid>` of the process that made it (the DQ
step's Arrow spill `edustat-dq-<pid>-…`, the ingest's spilled chunks of large sheets
`edustat-ingest-<pid>-…` and dbt docs' `edustat-docs-<pid>-…` in the system's temp folder;
`.staging-…-<pid>` under published/ and yearbook/<year>/). A folder whose process is gone is a
leftover, whoever's home it belonged to; one whose process lives is in use (another home's run,
say) and stays. Folders named before pids were added are removed after a day.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from pipelines.orphaned_runs import pid_alive
from pipelines.settings import Home

TEMP_PREFIXES = ("edustat-dq-", "edustat-docs-", "edustat-ingest-")
_UNNAMED_MAX_AGE_S = 24 * 3600


def temp_prefix(kind: str) -> str:
    """`edustat-<kind>-<pid>-`: the prefix for a temporary folder of this process."""
    return f"edustat-{kind}-{os.getpid()}-"


def _owner_pid(name: str, prefix: str) -> int | None:
    """`edustat-dq-<pid>-<random>` (tempfile adds no '-' of its own) or `.staging-…-<pid>`."""
    m = re.match(r"(\d+)-", name[len(prefix) :]) if prefix in TEMP_PREFIXES else None
    m = m or (re.search(r"-(\d+)$", name) if prefix not in TEMP_PREFIXES else None)
    return int(m.group(1)) if m else None


def _candidates(home: Home) -> Iterable[tuple[Path, str]]:
    tmp = Path(tempfile.gettempdir())
    for prefix in TEMP_PREFIXES:
        for p in tmp.glob(f"{prefix}*"):
            yield p, prefix
    if home.published.is_dir():
        for p in home.published.glob(".staging-*"):
            yield p, ".staging-"
    yearbook = home.root / "yearbook"
    if yearbook.is_dir():
        for p in yearbook.glob("*/.staging-*"):
            yield p, ".staging-"


def remove_leftovers(home: Home) -> list[Path]:
    """Remove the temporary folders of processes that are gone; returns what was removed."""
    removed: list[Path] = []
    now = time.time()
    for path, prefix in _candidates(home):
        pid = _owner_pid(path.name, prefix)
        if pid == os.getpid():
            continue
        if pid is not None and pid_alive(pid):
            continue
        if pid is None:
            try:
                if now - path.stat().st_mtime < _UNNAMED_MAX_AGE_S:
                    continue
            except OSError:
                continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
