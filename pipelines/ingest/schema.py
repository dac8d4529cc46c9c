"""DDL of the raw layer, derived from the contracts (docs/ARCHITECTURE.md "Raw layer").

Tables are created if missing and widened if a contract gained a column since (ADD COLUMN), so
an existing warehouse keeps its history when a contract evolves. Rows are always inserted
BY NAME, so column order never matters to the writer.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.contracts import Sheet, all_contracts
from pipelines.ingest.coerce import DUCKDB_TYPES

SCHEMA = "raw"
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_file_id", "VARCHAR"),
    ("_file_path", "VARCHAR"),
    ("_file_sha256", "VARCHAR"),
    ("_sheet", "VARCHAR"),
    ("_row_number", "BIGINT"),
    ("_partition", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
)

REGISTRY_TABLE = "landing_files"
REGISTRY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_id", "VARCHAR PRIMARY KEY"),
    ("path", "VARCHAR NOT NULL"),  # relative to landing/
    ("source", "VARCHAR"),  # nobd_submission | college_passport | worldskills_export
    ("partition_key", "VARCHAR"),  # round id or year
    ("sha256", "VARCHAR NOT NULL"),
    ("size_bytes", "BIGINT"),
    ("status", "VARCHAR NOT NULL"),  # loaded | held_back | rejected | superseded
    ("reason", "VARCHAR"),
    ("reason_rule", "VARCHAR"),  # rule id behind `reason` (structure.* for rejected files)
    ("reason_kk", "VARCHAR"),  # `reason` as a clerk reads it
    ("reason_ru", "VARCHAR"),
    # The contract's sheet and column a rejection names (structure.missing_sheet, _column,
    # conflicting_sheets), recorded when the file is rejected: the finding's sheet and field.
    ("reason_sheet", "VARCHAR"),
    ("reason_field", "VARCHAR"),
    # The owner, decided once here (docs/ARCHITECTURE.md "One owner per file"): the college and
    # round of the file name; what the header says is kept beside it for the identity rules.
    ("college_bin", "VARCHAR"),
    ("name_round_id", "VARCHAR"),
    ("header_college_bin", "VARCHAR"),
    ("header_round_id", "VARCHAR"),
    ("signed_at", "TIMESTAMP"),
    ("version", "INTEGER"),
    ("is_present", "BOOLEAN"),  # the version is under landing/ now
    # NOBD: the data-quality step found no hold-level finding (NULL: not validated).
    ("is_acceptable", "BOOLEAN"),
    ("first_seen_at", "TIMESTAMP NOT NULL"),
    ("status_changed_at", "TIMESTAMP NOT NULL"),
)

ISSUES_TABLE = "load_issues"
ISSUES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_file_id", "VARCHAR NOT NULL"),
    ("sheet", "VARCHAR"),
    ("row_number", "BIGINT"),
    ("field", "VARCHAR"),
    ("problem", "VARCHAR NOT NULL"),
    ("value", "VARCHAR"),  # as written; always NULL for IIN columns
)


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type), lineage last


def data_columns(sheet: Sheet) -> tuple[tuple[str, str], ...]:
    """Contract columns as stored: an IIN column becomes `<name>_hash` + `<name>_valid`."""
    out: list[tuple[str, str]] = []
    for col in sheet.columns:
        if col.pii == "iin":
            out += [(f"{col.name}_hash", "VARCHAR"), (f"{col.name}_valid", "BOOLEAN")]
        else:
            out.append((col.name, DUCKDB_TYPES[col.type]))
    return tuple(out)


def raw_table(sheet: Sheet) -> RawTable:
    return RawTable(sheet.raw_table, data_columns(sheet) + LINEAGE_COLUMNS)


def all_raw_tables() -> list[RawTable]:
    return [raw_table(sheet) for c in all_contracts().values() for sheet in c.sheets]


def _ensure_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: tuple[tuple[str, str], ...],
    existing: dict[str, set[str]],
) -> None:
    if name not in existing:
        cols = ",\n  ".join(f'"{n}" {t}' for n, t in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{name} (\n  {cols}\n)")
        return
    for n, t in columns:
        if n not in existing[name]:
            # Constraints cannot be added to old rows; the plain type is enough for a new column.
            con.execute(f'ALTER TABLE {SCHEMA}.{name} ADD COLUMN "{n}" {t.split()[0]}')


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or widen) schema `raw`, every contract table, the registry and the issue log.

    One catalog query, and DDL only for what is missing: this runs before every partition, and
    a no-op DDL statement still costs a write-ahead-log entry and a checkpoint on close.
    """
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = ?", [SCHEMA]
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    if not existing:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for table in all_raw_tables():
        _ensure_table(con, table.name, table.columns, existing)
    _ensure_table(con, REGISTRY_TABLE, REGISTRY_COLUMNS, existing)
    _ensure_table(con, ISSUES_TABLE, ISSUES_COLUMNS, existing)
