"""Whole file versions in one DuckDB transaction: rows of all sheets, issues, registry row.

A sheet read in chunks has its later chunks in Parquet files (readers.py); they are inserted in
the same transaction, so a large file is as whole as a small one.

Either all of a file is in the warehouse (with its registry row, so the next run skips it) or
none of it is (no registry row, so the next run loads it again). A kill -9 at any moment
therefore leaves neither partial nor duplicated rows. A transaction may carry several whole
files (those ready at the same moment): fewer commits, same guarantee per file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import duckdb
import polars as pl
import pyarrow as pa

from pipelines.ingest.readers import ParsedFile, ParsedSheet
from pipelines.ingest.registration import Registration, lineage, masked_field, utc_now
from pipelines.ingest.schema import ISSUES_TABLE, REGISTRY_TABLE, SCHEMA
from pipelines.settings import WRITER_MEMORY_LIMIT

# Arrow as polars holds it (string views): no copy of every string into Arrow's large_string
# layout, which was a quarter of the writer's time, and DuckDB scans views directly.
_ARROW = pl.CompatLevel.newest()

_REGISTRY_SCHEMA = {
    "file_id": pl.String,
    "path": pl.String,
    "source": pl.String,
    "partition_key": pl.String,
    "sha256": pl.String,
    "size_bytes": pl.Int64,
    "status": pl.String,
    "reason": pl.String,
    "reason_rule": pl.String,
    "reason_kk": pl.String,
    "reason_ru": pl.String,
    "reason_sheet": pl.String,
    "reason_field": pl.String,
    "college_bin": pl.String,
    "name_round_id": pl.String,
    "header_college_bin": pl.String,
    "header_round_id": pl.String,
    "signed_at": pl.Datetime("us"),
    "version": pl.Int32,
    "is_present": pl.Boolean,
}


class FileWriter:
    """Writes batches of whole file versions over one open connection, one transaction each."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        # Checkpoint once, when the ingest's connection closes, not every 16 MB of WAL: each
        # checkpoint re-compresses the partly filled last row group of every raw table. COMMIT
        # was half of the writer's time at national scale; the ingest step took 22 s, now 18 s.
        # The WAL still makes every commit durable (tests/test_crash_recovery.py: kill -9).
        con.execute("SET checkpoint_threshold = '1GB'")
        con.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")

    def write(
        self, versions: Sequence[tuple[Registration, ParsedFile | None]]
    ) -> list[dict[str, int]]:
        """Insert file versions (parsed=None: rejected) with their registry rows; rows per file.

        A batch only ever holds whole files, so every file is still written in one transaction
        with its registry row; batching a few ready files per commit saves a commit (an fsync)
        and a round of INSERTs per file.
        """
        tables: dict[str, list[pa.Table]] = defaultdict(list)
        spilled: list[tuple[Registration, ParsedSheet]] = []
        issues: list[pa.Table] = []
        per_file: list[dict[str, int]] = []
        for reg, parsed in versions:
            rows: dict[str, int] = {}
            for ps in parsed.sheets if parsed else ():
                tables[ps.sheet.raw_table].append(ps.frame.to_arrow(compat_level=_ARROW))
                rows[ps.sheet.raw_table] = rows.get(ps.sheet.raw_table, 0) + ps.rows
                if ps.spilled:
                    spilled.append((reg, ps))
            if parsed is not None and parsed.issues.height:
                ids = pl.Series("_file_id", [reg.file_id], dtype=pl.String)
                issues.append(
                    parsed.issues.hstack([ids.new_from_index(0, parsed.issues.height)]).to_arrow(
                        compat_level=_ARROW
                    )
                )
            per_file.append(rows)
        registry = pl.DataFrame(
            [
                {k: masked_field(k, getattr(reg, k)) for k in _REGISTRY_SCHEMA}
                for reg, _ in versions
            ],
            schema=_REGISTRY_SCHEMA,
            orient="row",
        ).to_arrow(compat_level=_ARROW)
        loaded_at = utc_now()
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for table, parts in tables.items():
                _insert(
                    con,
                    f"{SCHEMA}.{table}",
                    pa.concat_tables(parts),
                    "? AS _loaded_at",
                    [loaded_at],
                )
            for reg, ps in spilled:
                _insert_spilled(con, reg, ps, loaded_at)
            if issues:
                _insert(con, f"{SCHEMA}.{ISSUES_TABLE}", pa.concat_tables(issues))
            _insert(
                con,
                f"{SCHEMA}.{REGISTRY_TABLE}",
                registry,
                "? AS first_seen_at, ? AS status_changed_at",
                [loaded_at, loaded_at],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return per_file


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    data: pa.Table,
    extra: str = "",
    params: list[object] | None = None,
) -> None:
    # Arrow in, set-based INSERT: DuckDB scans the Arrow buffers directly, no per-row Python.
    con.register("_incoming", data)
    try:
        select = f"*, {extra}" if extra else "*"
        con.execute(f"INSERT INTO {table} BY NAME SELECT {select} FROM _incoming", params or [])
    finally:
        con.unregister("_incoming")


def _insert_spilled(
    con: duckdb.DuckDBPyConnection, reg: Registration, ps: ParsedSheet, loaded_at: datetime
) -> None:
    """A sheet's spilled chunks, straight from Parquet: DuckDB streams them within its memory
    limit, and the lineage columns are constants of the query."""
    values = lineage(reg, ps.sheet.name)
    columns = ", ".join(f"?::VARCHAR AS {name}" for name, _ in values)
    con.execute(
        f"INSERT INTO {SCHEMA}.{ps.sheet.raw_table} BY NAME "
        f"SELECT *, {columns}, ? AS _loaded_at FROM read_parquet(?)",
        [*(value for _, value in values), loaded_at, list(ps.spilled)],
    )
