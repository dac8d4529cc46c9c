"""`dbt docs generate` against a published snapshot, so its data dictionary sits beside it.

Run against the snapshot (not the live warehouse) so catalog.json describes exactly the tables a
reader of this snapshot sees, and so no writer lock on the warehouse is needed. dbt gets its own
profiles dir, target path and log path: the build's target folders (which dagster-dbt reads its
manifest from) are never touched, and a concurrent dbt run is not disturbed.

Speed: a full `dbt parse` of the project is most of the cost (measured 23 s vs 9 s with a
partial-parse file, under load). dbt only reuses its partial-parse file when the profile is
unchanged, and the profile names the database path, which differs per snapshot. So with a
`cache` the profile points at a fixed path, `<cache>/dbt-docs/work/db/warehouse.duckdb`, a
symlink re-pointed at each snapshot, and the target folder (with partial_parse.msgpack) is kept
there.

Reuse: the docs are a function of the dbt project, the dbt version and the snapshot's schema
(dbt-duckdb's catalog lists tables, views, columns, types and comments; no row statistics), which
`docs_key` digests. The cache keeps the docs of the last KEEP_KEYS keys; a snapshot with a kept
key (any rebuild that did not change the project or the schema, in this home or another) gets a
copy of them instead of another `dbt docs generate` (~6-11 s). Only the manifest's generation
time then predates the snapshot.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pipelines.digests import add_tree
from pipelines.executables import dbt_executable
from pipelines.leftovers import temp_prefix
from pipelines.run_lock import waiting_lock
from pipelines.settings import DBT_PROJECT_DIR

# What a reader needs: index.html (+ the two JSON files it loads, served over HTTP) and
# static_index.html, which embeds both and also works when opened straight from disk.
DOC_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")
REQUIRED = ("index.html", "manifest.json", "catalog.json")
KEEP_KEYS = 8  # docs of this many input keys stay in the cache
_NOT_PROJECT_INPUTS = {"target", "logs", "dbt_packages"}
DOCS_TIMEOUT_S = 600


class DocsGenerationError(RuntimeError):
    pass


def _profile_name(project_dir: Path) -> str:
    cfg = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    name = cfg.get("profile")
    if not isinstance(name, str) or not name:
        raise DocsGenerationError(f"{project_dir}/dbt_project.yml names no profile")
    return name


def docs_key(db_path: Path, dbt_project_dir: Path) -> str:
    """A digest of everything the docs are made from (see the module docstring)."""
    import duckdb

    digest = hashlib.sha256()
    for package in ("dbt-core", "dbt-duckdb"):
        digest.update(f"{package}=={importlib.metadata.version(package)}\n".encode())
    add_tree(digest, dbt_project_dir, dbt_project_dir, _NOT_PROJECT_INPUTS)
    with duckdb.connect(str(db_path), read_only=True) as con:
        for sql in (
            "SELECT schema_name, table_name, comment FROM duckdb_tables()",
            "SELECT schema_name, view_name, comment FROM duckdb_views() WHERE NOT internal",
            "SELECT schema_name, table_name, column_index, column_name, data_type, comment "
            "FROM duckdb_columns()",
        ):
            for row in con.execute(f"{sql} ORDER BY ALL").fetchall():
                digest.update(repr(row).encode())
    return digest.hexdigest()


def _point_at(link: Path, target: Path) -> None:
    """Re-point `link` at `target` (atomically: a temp link renamed over the old one)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def _run_dbt_docs(db_path: Path, work: Path, dbt_project_dir: Path) -> Path:
    """`dbt docs generate` of `db_path` with `work` as profiles dir and target; the target."""
    profile = _profile_name(dbt_project_dir)
    target = work / "target"
    # The file must be called warehouse.duckdb: dbt-duckdb names the database after the file's
    # stem, and the manifest's nodes say `warehouse`.
    stable_db = work / "db" / db_path.name
    _point_at(stable_db, db_path.resolve())
    profiles = {
        profile: {
            "target": "snapshot",
            "outputs": {
                "snapshot": {
                    "type": "duckdb",
                    "path": str(stable_db),
                    "threads": 1,
                    # Read-only: the snapshot is not to be changed by documenting it.
                    "config_options": {"access_mode": "READ_ONLY"},
                }
            },
        }
    }
    (work / "profiles.yml").write_text(yaml.safe_dump(profiles), encoding="utf-8")
    for fname in DOC_FILES:  # never copy another snapshot's docs by mistake
        with contextlib.suppress(FileNotFoundError):
            (target / fname).unlink()
    cmd = [
        dbt_executable(),
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(dbt_project_dir),
        "--profiles-dir",
        str(work),
        "--profile",
        profile,
        "--target",
        "snapshot",
        "--target-path",
        str(target),
        "--log-path",
        str(work / "logs"),
        "--no-use-colors",
        "--quiet",
    ]
    try:
        proc = subprocess.run(
            cmd,
            cwd=dbt_project_dir,
            capture_output=True,
            text=True,
            timeout=DOCS_TIMEOUT_S,
            check=False,
        )
    finally:
        # The link must not keep naming a staging file that is about to be renamed/removed.
        with contextlib.suppress(FileNotFoundError):
            stable_db.unlink()
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise DocsGenerationError(f"dbt docs generate failed ({proc.returncode}):\n{tail}")
    missing = set(REQUIRED) - {f for f in DOC_FILES if (target / f).is_file()}
    if missing:
        raise DocsGenerationError(f"dbt docs generate did not write {sorted(missing)}")
    return target


def _is_complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in REQUIRED)


def _keep(target: Path, by_key: Path, key: str) -> Path:
    """The generated docs kept as `by_key/<key>` (renamed into place whole); older keys beyond
    KEEP_KEYS removed."""
    by_key.mkdir(parents=True, exist_ok=True)
    staging = by_key / f".{key}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    _copy_docs(target, staging)
    kept = by_key / key
    shutil.rmtree(kept, ignore_errors=True)
    os.replace(staging, kept)
    older = sorted(
        (p for p in by_key.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    for stale in older[: max(0, len(older) - KEEP_KEYS)]:
        shutil.rmtree(stale, ignore_errors=True)
    return kept


def generate_docs(
    db_path: Path,
    out_dir: Path,
    *,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
    cache: Path | None = None,
    log: Any = None,
) -> list[str]:
    """Write the dbt docs of `db_path` into `out_dir`; returns the file names written.

    `cache`: a folder kept between calls and shared by every home (pipelines/settings.py
    `cache_dir`): docs kept per key of their inputs, and dbt's work folder with its partial-parse
    file. None: a temp folder, a full parse and no reuse.
    """
    if not (dbt_project_dir / "dbt_project.yml").is_file():
        raise DocsGenerationError(f"no dbt project at {dbt_project_dir}")
    if cache is None:
        with tempfile.TemporaryDirectory(prefix=temp_prefix("docs")) as tmp:
            written = _copy_docs(_run_dbt_docs(db_path, Path(tmp), dbt_project_dir), out_dir)
        how = "generated"
    else:
        root = cache / "dbt-docs"
        kept = root / "by-key" / docs_key(db_path, dbt_project_dir)
        how = "unchanged inputs, reused"
        if not _is_complete(kept):
            # one docs generation at a time per cache (two homes' publishes may meet in it)
            with waiting_lock(root / ".lock"):
                if not _is_complete(kept):  # not made by another home meanwhile
                    target = _run_dbt_docs(db_path, root / "work", dbt_project_dir)
                    kept = _keep(target, kept.parent, kept.name)
                    how = "generated"
        written = _copy_docs(kept, out_dir)
    if log is not None:
        log.info(f"dbt docs for {db_path.parent.name}: {how} ({', '.join(written)})")
    return written


def _copy_docs(target: Path, out_dir: Path) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for fname in DOC_FILES:
        src = target / fname
        if src.is_file():
            shutil.copy2(src, out_dir / fname)
            written.append(fname)
    return written
