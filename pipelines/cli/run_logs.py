"""One folder of logs per `edustat run`: logs/runs/<UTC start>/, with logs/latest -> the newest.

Before, every run wrote logs/edustat-run.log, .json and dbt-console.log in place, so an unchanged
re-run (seconds, no dbt) emptied the dbt log and overwrote the report of the build before it. Now
each run writes only its own folder:

    logs/runs/20261126T101500Z/
        edustat-run.log     what the run did (INFO and above; tracebacks of failed steps)
        edustat-run.json    runs, steps, seconds, files (for scripts, tests and the benchmark)
        dbt-console.log     dbt's own output (absent when dbt did not run)
    logs/latest      -> runs/<the newest run>
    logs/last-build  -> runs/<the newest run that built the warehouse> (`edustat status` reads it)

The newest EDUSTAT_KEEP_RUN_LOGS folders (default 20) are kept, and always the last build's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.settings import Home

RUNS_DIR = "runs"
LATEST = "latest"
LAST_BUILD = "last-build"
RUN_LOG = "edustat-run.log"
REPORT = "edustat-run.json"
TOOL_LOG = "dbt-console.log"
KEEP_ENV = "EDUSTAT_KEEP_RUN_LOGS"
DEFAULT_KEEP = 20
_NAME_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class RunLogs:
    """The files of one run's log folder."""

    folder: Path

    @property
    def run_log(self) -> Path:
        return self.folder / RUN_LOG

    @property
    def report(self) -> Path:
        return self.folder / REPORT

    @property
    def tool_log(self) -> Path:
        return self.folder / TOOL_LOG


def keep_count() -> int:
    try:
        return max(1, int(os.environ.get(KEEP_ENV) or DEFAULT_KEEP))
    except ValueError:
        return DEFAULT_KEEP


def _point(link: Path, folder: Path) -> None:
    """`link` -> `folder` (relative), replaced in one rename so a reader never finds it missing."""
    tmp = link.with_name(f".{link.name}-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(folder, link.parent), target_is_directory=True)
    os.replace(tmp, link)


def _target(link: Path) -> Path | None:
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def last_build(home: Home) -> RunLogs | None:
    """The log folder of the newest run that built the warehouse, if any is kept."""
    folder = _target(home.logs / LAST_BUILD)
    return RunLogs(folder) if folder else None


def latest(home: Home) -> RunLogs | None:
    folder = _target(home.logs / LATEST)
    return RunLogs(folder) if folder else None


def _rotate(runs: Path, keep: int, protected: set[Path]) -> None:
    folders = sorted(p for p in runs.iterdir() if p.is_dir())
    for old in folders[: max(0, len(folders) - keep)]:
        if old.resolve() not in protected:
            shutil.rmtree(old, ignore_errors=True)


def start(home: Home, now: datetime | None = None) -> RunLogs:
    """A new folder for this run, made `latest`; older folders beyond the kept number go."""
    runs = home.logs / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    base = (now or datetime.now(UTC)).strftime(_NAME_FORMAT)
    name, n = base, 0
    while (runs / name).exists():  # two runs within a second (tests do that)
        n += 1
        name = f"{base}_{n}"
    folder = runs / name
    folder.mkdir()
    _point(home.logs / LATEST, folder)
    build = last_build(home)
    _rotate(runs, keep_count(), {folder.resolve(), *([build.folder] if build else [])})
    return RunLogs(folder)


def mark_build(home: Home, logs: RunLogs) -> None:
    """This run built the warehouse: its folder is the one `last-build` keeps."""
    _point(home.logs / LAST_BUILD, logs.folder)
