"""One resubmitted file into a built national warehouse, until the new `published/current`.

A college sends a correction: the first NOBD file of the first round, copied as the college's
next version (`<bin>_<round>_v<N+1>`, same content). `edustat run` on the home the cold run
built then ingests it and, since the registry changed, rebuilds and publishes; the measure is
that run's wall time, and it counts only when `published/current` points at a new snapshot.
The expectations validate only the new file's rows (pipelines/quality/reuse.py); dbt rebuilds
every model and the publish copies the whole warehouse.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from pipelines.bench.pipeline import run_edustat
from pipelines.bench.source import Code

_VERSION = re.compile(r"^(?P<stem>.+_v)(?P<version>\d+)(?P<ext>\.\w+)$")


def resubmission(landing: Path) -> tuple[Path, Path]:
    """(original, resubmitted copy's path): the first NOBD file, as its college's next version."""
    round_dir = sorted(p for p in (landing / "nobd").iterdir() if p.is_dir())[0]
    original = sorted(p for p in round_dir.iterdir() if _VERSION.match(p.name))[0]
    m = _VERSION.match(original.name)
    assert m is not None
    college = m.group("stem")
    versions = [
        int(v.group("version"))
        for p in round_dir.iterdir()
        if (v := _VERSION.match(p.name)) and v.group("stem") == college
    ]
    return original, round_dir / f"{college}{max(versions) + 1}{m.group('ext')}"


def _current(home: Path) -> str | None:
    link = home / "published" / "current"
    return os.readlink(link) if link.is_symlink() else None


def run_resubmit(home: Path, log: Path, timeout_s: float, code: Code) -> dict[str, Any]:
    """Drop the resubmission into `home` (built by a cold run) and measure `edustat run`."""
    original, target = resubmission(home / "landing")
    # A copy, not a hard link: the home's landing/ links to the bench's cached dataset.
    shutil.copyfile(original, target)
    before = _current(home)
    result = run_edustat(home, log, timeout_s, code)
    after = _current(home)
    published = after is not None and after != before
    return {
        "file": str(target.relative_to(home / "landing")),
        "success": result.success and published,
        "published_new_snapshot": published,
        "wall_seconds": result.measured.wall_s,
        "peak_rss_mb": result.measured.peak_rss_mb,
        "ingest_seconds": result.ingest_seconds(),
        "steps": result.steps,
        "errors": result.errors,
    }
