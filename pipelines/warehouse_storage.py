"""The warehouse file's storage format: DuckDB 1.0's, so that publishing is a copy of the file.

A file in DuckDB 2.0's format cannot be opened by any 1.x client (docs/STACK.md trap 3), and BI
tools bundle older drivers. Measured on the sample warehouse: a "v1.5.0" file opens in DuckDB 1.5.6
but not in 1.1.3 ("version number 68, we can only read 64"); a "v1.0.0" file opens in 1.1.3,
1.5.6 and 2.0 alike.

The format is chosen when a file is created and kept by every later writer, so a warehouse created
in it stays readable by 1.x clients through every build, and `published/` gets a copy of the
checkpointed file (pipelines/publish/snapshot.py) instead of a rewrite of every table (national:
4.7 s and ~600 MB). Every Dagster run creates a missing warehouse this way (`WarehouseResource`,
pipelines/assets/resources.py). A warehouse in another format (created before, or by dbt by
hand) is still published, by the slower rewrite.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

STORAGE_VERSION = "v1.0.0"


def create_if_missing(path: Path) -> None:
    """Create an empty warehouse at `path` in STORAGE_VERSION, unless a file is already there."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_VERSION}).close()


def in_storage_version(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's database file is in STORAGE_VERSION (DuckDB tags it 'v1.0.0+')."""
    [(tags,)] = con.execute(
        "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return tags.get("storage_version", "").rstrip("+") == STORAGE_VERSION
