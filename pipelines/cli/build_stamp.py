"""Is the warehouse already built from exactly these inputs? (`edustat run` skips the rebuild.)

A full `edustat run` that succeeds writes `logs/build-stamp.json`: a fingerprint of everything
the unpartitioned build (dbt, checks, reports, publish, yearbook) reads. The next `edustat run`
ingests first (an unchanged file is skipped by checksum, writing nothing); if the fingerprint
then equals the stamp, the rebuild would reproduce the same warehouse, so it is skipped. That is
what makes an unchanged re-run take seconds instead of a full dbt build.

The fingerprint covers:
- the file registry (path, checksum, status, reason of every landing file): any file loaded,
  rejected, superseded or held back in between changes it;
- the code and configuration: every file under pipelines/, dbt_project/ (not its build output),
  expectations/ and sources/ — a changed model, rule, contract or reference file rebuilds;
- the pipeline's EDUSTAT_* settings that change what a build produces (not the CLI's language
  or logging; never the pseudonym key itself);
- the warehouse file's size and modification time after the build: anything else that wrote to
  it since (a run launched from the Dagster UI, a manual fix) forces a rebuild;
- the published `current` pointer, which must still exist.

The stamp is removed before a rebuild starts, so a build that fails or is killed never leaves a
stamp behind that vouches for a half-built warehouse.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pipelines.digests import add_tree
from pipelines.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT, Home

STAMP_FILE = "build-stamp.json"
CODE_DIRS = (REPO_ROOT / "pipelines", DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT / "sources")
# Build output and caches inside those folders: not inputs.
_SKIP_PARTS = {"__pycache__", "target", "logs", "dbt_packages", ".pytest_cache"}
# Settings that do not change what a build produces (the CLI's language, logging), or must
# never be written anywhere.
_ENV_IGNORED = {
    "EDUSTAT_HOME",
    "EDUSTAT_PSEUDONYM_KEY",
    "EDUSTAT_SQL_HISTORY",
    "EDUSTAT_WAREHOUSE",
    "EDUSTAT_DUCKDB_MEMORY_LIMIT",
    "EDUSTAT_LANG",
    "EDUSTAT_LOG_LEVEL",
    "EDUSTAT_KEEP_RUN_LOGS",
}


def _code_digest() -> str:
    digest = hashlib.sha256()
    for root in CODE_DIRS:
        add_tree(digest, root, REPO_ROOT, _SKIP_PARTS)
    return digest.hexdigest()


def _registry_digest(warehouse: Path) -> str:
    import duckdb

    from pipelines.ingest.registry import registry_digest

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return registry_digest(con)


def fingerprint(home: Home) -> dict[str, object] | None:
    """The build's inputs as they are now; None when there is no complete build to compare."""
    current = home.published / "current"
    if not home.warehouse.exists() or not current.exists():
        return None
    try:
        registry = _registry_digest(home.warehouse)
    except Exception:  # no registry yet, or the warehouse is locked by another writer
        return None
    stat = home.warehouse.stat()
    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith("EDUSTAT_")}
    return {
        "registry": registry,
        "code": _code_digest(),
        "settings": {k: v for k, v in env.items() if k not in _ENV_IGNORED},
        "warehouse": [stat.st_size, stat.st_mtime_ns],
        "published_current": os.readlink(current) if current.is_symlink() else str(current),
    }


def _path(home: Home) -> Path:
    return home.logs / STAMP_FILE


def is_up_to_date(home: Home) -> bool:
    path = _path(home)
    if not path.exists():
        return False
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    now = fingerprint(home)
    return now is not None and stamp == now


def clear(home: Home) -> None:
    _path(home).unlink(missing_ok=True)


def write(home: Home) -> None:
    """After a fully successful run: vouch for the warehouse as it is now."""
    stamp = fingerprint(home)
    if stamp is None:
        clear(home)
        return
    tmp = _path(home).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, _path(home))
