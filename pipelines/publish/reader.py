"""The one way to open a published snapshot for a person: read-only by construction.

`read_only=True` only guards the opened file (docs/STACK.md trap 12): ATTACH, COPY … TO, EXPORT
DATABASE, INSTALL/LOAD and the file-reading functions (read_text, read_csv, read_parquet, glob…)
would still reach any path the process can — the live warehouse, the pseudonym key, the landing
files with raw IINs. So external access is switched off and the configuration locked, which a
query cannot undo (`SET enable_external_access = true` is refused). What remains is SELECT over
the snapshot's own tables and views, and temporary objects in memory.

A result leaves only through `edustat sql -o FILE`, which writes exactly the query's rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# Locked at connect time; the statement-class test (tests/test_sql_read_only.py) tries them all.
READER_CONFIG: dict[str, str | bool] = {
    "enable_external_access": False,
    "lock_configuration": True,
}

REFUSED_FILE_ACCESS = (
    "Файлдарға қол жеткізу жабық / Доступ к файлам закрыт / File access is disabled: "
    "ATTACH, COPY, EXPORT, INSTALL/LOAD and read_* functions are refused here; "
    'save a result with `edustat sql "SELECT …" -f csv -o FILE`'
)
REFUSED_SETTING = (
    "Баптауларды өзгертуге болмайды / Настройки изменить нельзя / "
    "Settings are locked in a read-only session"
)
REFUSED_WRITE = (
    "Жарияланған көшірме тек оқуға арналған / Опубликованная копия только для чтения / "
    "The published snapshot is read-only (temporary tables are allowed: CREATE TEMP TABLE)"
)


def open_snapshot(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to a snapshot's DuckDB file for queries only (see the module docstring)."""
    return duckdb.connect(str(db_path), read_only=True, config=dict(READER_CONFIG))


def refusal(exc: BaseException) -> str | None:
    """A kk/ru/en sentence for an error the read-only construction caused, else None."""
    text = str(exc)
    if isinstance(exc, duckdb.PermissionException) or "disabled by configuration" in text:
        return REFUSED_FILE_ACCESS
    if "configuration has been locked" in text:
        return REFUSED_SETTING
    if "read-only mode" in text:
        return REFUSED_WRITE
    return None
