"""One DuckDB transaction per file version: rows of all its sheets, its issues, its registry row.

Either all of a file is in the warehouse (with its registry row, so the next run skips it) or
none of it is (no registry row, so the next run loads it again). A kill -9 at any moment
therefore leaves neither partial nor duplicated rows.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest.readers import ParsedFile
from pipelines.ingest.schema import ISSUES_TABLE, REGISTRY_TABLE, SCHEMA

# Test hook for the crash-safety test: "N:/path/marker" makes the writer, once N files are
# committed, insert the next file's first sheet, touch the marker and sleep inside the open
# transaction, so the test can kill -9 the process mid-transaction. Unset in normal runs.
PAUSE_ENV = "EDUSTAT_TEST_PAUSE_IN_TRANSACTION"


@dataclass(frozen=True)
class Registration:
    """The registry row of one file version (docs/ARCHITECTURE.md, raw.landing_files)."""

    file_id: str
    path: str
    source: str | None
    partition_key: str | None
    sha256: str
    size_bytes: int
    status: str
    reason: str | None = None
    reason_rule: str | None = None
    college_bin: str | None = None
    signed_at: datetime | None = None
    version: int | None = None


def utc_now() -> datetime:
    """Naive UTC, the convention of every TIMESTAMP the ingest writes."""
    return datetime.now(UTC).replace(tzinfo=None)


class FileWriter:
    """Writes file versions over one open connection; counts commits for the pause hook."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._pause = _pause_setting()

    def write(
        self, reg: Registration, parsed: ParsedFile | None, partition_key: str | None
    ) -> dict[str, int]:
        """Insert `parsed` (None for a rejected file) and `reg` atomically; rows per raw table."""
        loaded_at = utc_now()
        rows: dict[str, int] = {}
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for i, ps in enumerate(parsed.sheets if parsed else ()):
                frame = ps.frame.with_columns(
                    pl.lit(reg.file_id).alias("_file_id"),
                    pl.lit(reg.path).alias("_file_path"),
                    pl.lit(reg.sha256).alias("_file_sha256"),
                    pl.lit(ps.sheet.name).alias("_sheet"),
                    pl.lit(partition_key, dtype=pl.String).alias("_partition"),
                    pl.lit(loaded_at).alias("_loaded_at"),
                )
                _insert(con, f"{SCHEMA}.{ps.sheet.raw_table}", frame)
                rows[ps.sheet.raw_table] = rows.get(ps.sheet.raw_table, 0) + frame.height
                if i == 0:
                    self._maybe_pause()
            if parsed is not None and parsed.issues.height:
                _insert(
                    con,
                    f"{SCHEMA}.{ISSUES_TABLE}",
                    parsed.issues.with_columns(pl.lit(reg.file_id).alias("_file_id")),
                )
            _insert_registration(con, reg, loaded_at)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        _PAUSE_STATE["committed"] += 1
        return rows

    def _maybe_pause(self) -> None:
        if self._pause is None or _PAUSE_STATE["committed"] < self._pause[0]:
            return
        self._pause[1].write_text(str(os.getpid()))
        print(f"paused inside a transaction (pid {os.getpid()})", file=sys.stderr, flush=True)
        time.sleep(3600)


# Commits in this process, across partitions: the pause hook counts files, not writers.
_PAUSE_STATE = {"committed": 0}


def _pause_setting() -> tuple[int, Path] | None:
    raw = os.environ.get(PAUSE_ENV)
    if not raw:
        return None
    n, marker = raw.split(":", 1)
    return int(n), Path(marker)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    # Arrow in, set-based INSERT: DuckDB scans the Arrow buffers directly, no per-row Python.
    con.register("_incoming", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def _insert_registration(con: duckdb.DuckDBPyConnection, reg: Registration, at: datetime) -> None:
    con.execute(
        f"""INSERT INTO {SCHEMA}.{REGISTRY_TABLE}
            (file_id, path, source, partition_key, sha256, size_bytes, status, reason, reason_rule,
             college_bin, signed_at, version, first_seen_at, status_changed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            reg.file_id,
            reg.path,
            reg.source,
            reg.partition_key,
            reg.sha256,
            reg.size_bytes,
            reg.status,
            reg.reason,
            reg.reason_rule,
            reg.college_bin,
            reg.signed_at,
            reg.version,
            at,
            at,
        ],
    )
