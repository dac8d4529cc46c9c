"""What is in the snapshot, for `.tables`, `.schema` and `DESCRIBE` in `edustat sql`.

`.tables` lists the public marts first, each with its description; the internal schemas (raw,
staging, intermediate, dq, dq_prep…, some seventy objects) only on request (`.tables all`).

Column descriptions: dbt writes each model's and column's English description into the
warehouse as a COMMENT (`persist_docs` in dbt_project.yml), so the snapshot carries them; the
Kazakh and Russian labels (`meta.label_kk`, `meta.label_ru`) are in the dbt manifest published
beside it (docs/manifest.json). A column without one shows its English description.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

PUBLIC_SCHEMA = "marts"
_DESCRIBE = re.compile(
    r"^\s*(?:describe|desc)\s+(?:table\s+)?(?P<name>[\w.\"]+)\s*;?\s*$", re.IGNORECASE
)


def describe_target(query: str) -> str | None:
    """`DESCRIBE marts.x` -> 'marts.x'; None for any other statement (DuckDB runs those)."""
    match = _DESCRIBE.match(query)
    return match.group("name").replace('"', "") if match else None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def tables_query(include_internal: bool) -> str:
    """schema, name, kind, description; the public marts first."""
    where = "" if include_internal else f"WHERE schema = {_literal(PUBLIC_SCHEMA)}"
    return f"""
        SELECT schema, name, kind, description FROM (
            SELECT schema_name AS schema, table_name AS name, 'table' AS kind,
                   comment AS description
            FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal
            UNION ALL
            SELECT schema_name, view_name, 'view', comment
            FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
        ) {where}
        ORDER BY schema <> {_literal(PUBLIC_SCHEMA)}, schema, name"""


def internal_count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        f"AND NOT internal AND schema_name <> {_literal(PUBLIC_SCHEMA)}) + "
        "(SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
        f"AND NOT internal AND schema_name <> {_literal(PUBLIC_SCHEMA)})"
    ).fetchall()
    return int(row[0][0])


@lru_cache(maxsize=4)
def _labels(manifest: Path) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """(schema, table) -> column -> {kk, ru} labels, from a dbt manifest."""
    if not manifest.is_file():
        return {}
    data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    out: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for node in data.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        columns = {}
        for name, column in (node.get("columns") or {}).items():
            meta = column.get("meta") or {}
            columns[name] = {
                lang: str(meta[f"label_{lang}"])
                for lang in ("kk", "ru")
                if meta.get(f"label_{lang}")
            }
        out[(node.get("schema", ""), node.get("alias") or node.get("name", ""))] = columns
    return out


def schema_rows(
    con: duckdb.DuckDBPyConnection, target: str, lang: str, manifest: Path
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """column, type, null, description (in `lang`) for every column of `target`."""
    schema, _, table = target.rpartition(".")
    params: list[str] = [table]
    condition = "table_name = ?"
    if schema:
        condition += " AND schema_name = ?"
        params.append(schema)
    rows = con.execute(
        "SELECT schema_name, table_name, column_name, data_type, is_nullable, comment "
        f"FROM duckdb_columns() WHERE database_name = current_database() AND {condition} "
        "ORDER BY schema_name <> 'marts', schema_name, column_index",
        params,
    ).fetchall()
    labels = _labels(manifest)
    several = len({(r[0], r[1]) for r in rows}) > 1
    out: list[tuple[Any, ...]] = []
    for schema_name, table_name, column, kind, nullable, comment in rows:
        label = labels.get((schema_name, table_name), {}).get(column, {}).get(lang)
        description = label or comment  # kk/ru: the label; en, or no label: the description
        name = f"{schema_name}.{table_name}.{column}" if several else column
        out.append((name, kind, "YES" if nullable else "NO", description))
    return ["column", "type", "null", "description"], out
