"""Publish an immutable, read-only copy of the warehouse and swap `published/current` to it.

Why a copy at all: DuckDB allows one writer per file and a reader cannot even open the file while a
run holds it (docs/STACK.md trap 4). Analysts, `edustat sql` and BI tools read `published/current/`
instead, which no pipeline process ever opens for writing.

Layout (one folder per successful build, named by the build's UTC start time):

    published/
      20240601T101500Z/
        warehouse.duckdb        # whole warehouse (a copy of its checkpointed file), in a
                                #   storage format DuckDB 1.1+ clients read
        parquet/<table>.parquet # every table/view of the public `marts` schema
        docs/                   # dbt docs of this very build: index.html, manifest.json,
                                #   catalog.json, static_index.html (works from file://)
        snapshot.json           # build time, run id, row counts, versions, timings
      current -> 20240601T101500Z   # relative symlink, replaced atomically (os.replace)

A snapshot is first assembled in a hidden staging folder and renamed into place only when complete,
so `current` never points at a partial copy and a failure leaves the previous `current` untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.run_lock import waiting_lock
from pipelines.settings import DBT_PROJECT_DIR, Home, cache_dir, duckdb_memory_limit
from pipelines.warehouse_storage import STORAGE_VERSION, in_storage_version

DB_FILE = "warehouse.duckdb"
PUBLIC_SCHEMA = "marts"
CURRENT = "current"
DEFAULT_KEEP = 5
KEEP_ENV = "EDUSTAT_KEEP_SNAPSHOTS"

TS_FORMAT = "%Y%m%dT%H%M%SZ"
# A snapshot folder: the build time, plus `_N` when two builds share a second (tests do).
SNAPSHOT_RE = re.compile(r"^\d{8}T\d{6}Z(_\d+)?$")
_STAGING_PREFIX = ".staging-"
_ATTACH_ALIAS = "edustat_publish"


class NothingPublishedError(RuntimeError):
    """`published/current` does not exist yet (no successful build so far)."""


@dataclass
class PublishResult:
    path: Path
    name: str
    build_time: datetime
    tables: dict[str, int] = field(default_factory=dict)
    parquet: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    size_bytes: int = 0


def keep_count() -> int:
    """How many snapshots to keep (EDUSTAT_KEEP_SNAPSHOTS, default 5, at least 1)."""
    raw = os.environ.get(KEEP_ENV, "").strip()
    if not raw:
        return DEFAULT_KEEP
    try:
        return max(1, int(raw))
    except ValueError as exc:
        raise ValueError(f"{KEEP_ENV} must be a whole number, got {raw!r}") from exc


def current_dir(home: Home) -> Path:
    """The resolved folder `published/current` points at; NothingPublishedError when none."""
    link = home.published / CURRENT
    target = link.resolve()
    if not (target / DB_FILE).is_file():
        raise NothingPublishedError(str(link))
    return target


def current_database(home: Home) -> Path:
    """The resolved path of the current snapshot's DuckDB file.

    Resolving the symlink once matters: a reader keeps the file it opened even if a newer build
    swaps `current` (or rotation deletes the folder: the open inode lives on) meanwhile.
    """
    return current_dir(home) / DB_FILE


def list_snapshots(home: Home) -> list[str]:
    """Snapshot folder names, oldest first (the names sort by build time)."""
    if not home.published.is_dir():
        return []
    return sorted(
        p.name for p in home.published.iterdir() if p.is_dir() and SNAPSHOT_RE.match(p.name)
    )


def _unique_name(published: Path, build_time: datetime) -> str:
    base = build_time.astimezone(UTC).strftime(TS_FORMAT)
    name, n = base, 0
    while (published / name).exists():
        n += 1
        name = f"{base}_{n}"
    return name


def _q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _copy_file(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Checkpoint the warehouse and copy its file: it is already in STORAGE_VERSION
    (pipelines/warehouse_storage.py), and `con` holds the writer lock, so nothing changes it
    meanwhile. National: 0.1 s, against 4.7 s for rewriting every table (`_copy_database`)."""
    con.execute("CHECKPOINT")
    [(path,)] = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    wal = Path(f"{path}.wal")
    if wal.exists() and wal.stat().st_size:
        # A transaction of this process still open: the file alone is not the warehouse.
        raise RuntimeError(f"{path} kept a write-ahead log after CHECKPOINT; not published")
    shutil.copyfile(path, target)


def _copy_database(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Rewrite the whole warehouse into `target` in STORAGE_VERSION: for a warehouse in another
    format (created before pipelines/warehouse_storage.py, or by dbt by hand).

    COPY FROM DATABASE (SCHEMA) makes the catalog (tables empty, views as views), then the tables'
    rows go in over `_copy_lanes()` connections at once (`_copy_rows`): one COPY FROM DATABASE
    writes one table after another, mostly on one core (national copy, 2 cores: 12.4–13.4 s in one
    statement, 9.2–10.9 s in two lanes, peak RSS the same).
    """
    source_db = con.sql("SELECT current_database()").fetchall()[0][0]
    storage = _sql_str(STORAGE_VERSION)
    con.execute(f"ATTACH {_sql_str(target)} AS {_ATTACH_ALIAS} (STORAGE_VERSION {storage})")
    try:
        # Under the build's memory cap (the connection's), which bounds the copy by the cap, not by
        # the warehouse: at 4x national (3,200 colleges) a 2GB limit let the copy and the Parquet
        # export reach 2.2 GB of RSS; under 512MB the same publish peaks at 0.6 GB and takes 16 %
        # longer (1x: 0.9 -> 0.6 GB, 5.4 -> 6.4 s).
        con.execute(f"COPY FROM DATABASE {_q(source_db)} TO {_ATTACH_ALIAS} (SCHEMA)")
        _copy_rows(con, source_db)
    finally:
        # DETACH checkpoints the copy: no .wal is left beside it, which read-only openers need.
        con.execute(f"DETACH {_ATTACH_ALIAS}")


def _describe_copy(db_path: Path, timings: dict[str, float]) -> tuple[dict[str, int], list[str]]:
    """Row counts of the copy's tables, and Parquet of its public marts (read from the copy itself,
    so both formats hold the same data), with the copy open read-only under the build's cap.

    One DuckDB thread: each exporting thread buffers its own row groups, and by then the run's
    process carries the expectations step's imports. Measured on the copy of a national build:
    RSS +417 -> +160 MB, 1.2 s either way; at 4x +486 -> +296 MB, 4.2 -> 5.1 s. The files are
    byte for byte the same."""
    t0 = time.perf_counter()
    config = {"memory_limit": duckdb_memory_limit(), "threads": 1}
    with duckdb.connect(str(db_path), read_only=True, config=config) as con:
        exported = _export_parquet(con, db_path.parent / "parquet")
        timings["parquet_s"] = time.perf_counter() - t0
        return _row_counts(con), exported


def _row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of every table of the copy, for snapshot.json and the asset's metadata."""
    tables: dict[str, int] = {}
    rels = con.sql(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() ORDER BY 1, 2"
    ).fetchall()
    for schema, table in rels:
        n = con.sql(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}").fetchall()
        tables[f"{schema}.{table}"] = int(n[0][0])
    return tables


def _export_parquet(con: duckdb.DuckDBPyConnection, parquet_dir: Path) -> list[str]:
    """Every table and view of the public schema as Parquet."""
    parquet_dir.mkdir()
    public = con.sql(
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_catalog = current_database() AND table_schema = {_sql_str(PUBLIC_SCHEMA)} "
        "ORDER BY 1"
    ).fetchall()
    for (table,) in public:
        out = parquet_dir / f"{table}.parquet"
        con.execute(
            f"COPY (SELECT * FROM {_q(PUBLIC_SCHEMA)}.{_q(table)}) "
            f"TO {_sql_str(out)} (FORMAT parquet, COMPRESSION zstd)"
        )
    return [table for (table,) in public]


def _copy_lanes() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _copy_rows(con: duckdb.DuckDBPyConnection, source_db: str) -> None:
    """Every table's rows from `source_db` into the attached copy, whose tables exist and are empty;
    the tables dealt to the lanes largest first, each lane to the least loaded."""
    tables = con.sql(
        "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
        f"WHERE database_name = {_sql_str(source_db)} ORDER BY estimated_size DESC, 1, 2"
    ).fetchall()
    lanes: list[list[str]] = [[] for _ in range(_copy_lanes())]
    load = [0] * len(lanes)
    for schema, table, size in tables:
        lane = load.index(min(load))
        name = f"{_q(schema)}.{_q(table)}"
        lanes[lane].append(
            f"INSERT INTO {_ATTACH_ALIAS}.{name} BY NAME SELECT * FROM {_q(source_db)}.{name}"
        )
        load[lane] += size or 0

    def run(statements: list[str]) -> None:
        with con.cursor() as lane_con:
            for sql in statements:
                lane_con.execute(sql)

    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        for done in [pool.submit(run, statements) for statements in lanes if statements]:
            done.result()  # a failed INSERT fails the copy


def _make_read_only(root: Path) -> None:
    """Files 0444: the copy is immutable; a tool opening it read-write fails instead of mutating it.

    Folders stay writable for the owner so rotation can delete old snapshots.
    """
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _swap_current(published: Path, name: str) -> None:
    """Point `current` at `name` atomically: a temp symlink renamed over the old one.

    rename(2) replaces the link in one step, so a reader sees either the old or the new target,
    never a missing `current`. The link is relative so the published/ folder can be moved.
    """
    tmp = published / f".current-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(name, target_is_directory=True)
    os.replace(tmp, published / CURRENT)


def _rotate(published: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` snapshots (never the one `current` points at)."""
    link = published / CURRENT
    current = os.readlink(link) if link.is_symlink() else None
    names = sorted(p.name for p in published.iterdir() if p.is_dir() and SNAPSHOT_RE.match(p.name))
    removed: list[str] = []
    for name in names[: max(0, len(names) - keep)]:
        if name == current:
            continue
        shutil.rmtree(published / name, ignore_errors=True)
        removed.append(name)
    # Staging folders of a publish that crashed (we hold the publish lock: none is in progress).
    for p in published.iterdir():
        if p.name.startswith(_STAGING_PREFIX):
            shutil.rmtree(p, ignore_errors=True)
    return removed


def _dir_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def publish_snapshot(
    home: Home | None = None,
    *,
    build_time: datetime | None = None,
    run_id: str | None = None,
    keep: int | None = None,
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]] | None = None,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
    docs: bool = True,
    log: Any = None,
) -> PublishResult:
    """Publish the warehouse as `published/<build time>/` and make it `current`.

    `connect`: how to open the warehouse read-write (inside Dagster: the `duckdb` resource's
    `get_connection`, which retries while another process holds the lock, and whose connection
    configuration must match any other connection to the file in this process). Default:
    `duckdb.connect` under the build's memory cap (settings.duckdb_memory_limit). Either way the
    connection is held for the copy only and closed before the slow dbt docs step
    (docs/STACK.md trap 4: never hold the writer lock during non-DB work).
    """
    home = home or Home.from_env()
    keep = keep if keep is not None else keep_count()
    build_time = (build_time or datetime.now(UTC)).astimezone(UTC)
    if connect is None and not home.warehouse.is_file():
        raise FileNotFoundError(f"no warehouse at {home.warehouse}: run `edustat run` first")

    published = home.published
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    # serialise publishers (a UI-launched run and `edustat run` could finish together)
    with waiting_lock(published / ".publish.lock"):
        name = _unique_name(published, build_time)
        staging = published / f"{_STAGING_PREFIX}{name}-{os.getpid()}"
        staging.mkdir(parents=True)
        try:
            db_path = staging / DB_FILE
            opener = connect or (
                lambda: duckdb.connect(
                    str(home.warehouse), config={"memory_limit": duckdb_memory_limit()}
                )
            )
            t0 = time.perf_counter()
            with opener() as con:
                try:
                    if in_storage_version(con):
                        _copy_file(con, db_path)
                    else:
                        _copy_database(con, db_path)
                finally:
                    # dagster-duckdb's get_connection closes only on success; a failed copy must
                    # not leave the warehouse locked by this process for the rest of the run.
                    con.close()
            timings["copy_s"] = time.perf_counter() - t0
            tables, exported = _describe_copy(db_path, timings)

            if docs:
                from pipelines.publish.docs import generate_docs

                t2 = time.perf_counter()
                generate_docs(
                    db_path,
                    staging / "docs",
                    dbt_project_dir=dbt_project_dir,
                    cache=cache_dir(),
                    log=log,
                )
                timings["docs_s"] = time.perf_counter() - t2

            size = _dir_size(staging)
            meta = {
                "name": name,
                "build_time": build_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "published_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "run_id": run_id,
                "duckdb_writer_version": duckdb.__version__,
                "storage_compatibility_version": STORAGE_VERSION,
                "public_schema": PUBLIC_SCHEMA,
                "parquet": [f"parquet/{t}.parquet" for t in exported],
                "tables": tables,
                "size_bytes": size,
                "timings_s": {k: round(v, 3) for k, v in timings.items()},
            }
            (staging / "snapshot.json").write_text(
                json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            _make_read_only(staging)
            final = published / name
            # Same filesystem: rename is atomic, so `<name>/` appears complete or not at all.
            os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

        # The snapshot is complete; if even the pointer swap fails, drop it so that no folder newer
        # than `current` lingers (rotation counts by name).
        try:
            _swap_current(published, name)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
        removed = _rotate(published, keep)
    timings["total_s"] = time.perf_counter() - t_start
    return PublishResult(
        path=final,
        name=name,
        build_time=build_time,
        tables=tables,
        parquet=exported,
        timings=timings,
        removed=removed,
        size_bytes=size,
    )
