"""The file registry's currency rules: which version of a file or submission is current.

Recomputed for a whole partition after every ingest of it, from the versions present under
landing/ now, so the outcome depends only on what is there, never on the order files arrived:

- a version no longer present (its path was deleted or now has other content) is `superseded`;
- NOBD: among present loaded/held_back/superseded versions, per college BIN (from the header),
  the latest `signed_at` (ties: higher version, then path) is current, the others `superseded`;
- other sources: every present readable version is current (one per path);
- a current version keeps `loaded` or `held_back` (the data-quality step owns that choice);
  a current version that was `superseded` comes back as `loaded`;
- `rejected` never changes: an unreadable version stays unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from pipelines.ingest.schema import REGISTRY_TABLE, SCHEMA
from pipelines.ingest.writer import utc_now

REGISTRY = f"{SCHEMA}.{REGISTRY_TABLE}"
NOBD = "nobd_submission"
# Statuses of readable versions (their rows are in raw): the ones currency is decided among.
READABLE = ("loaded", "held_back", "superseded")


@dataclass(frozen=True)
class CurrencyChange:
    superseded: int  # became superseded in this pass
    restored: int  # came back from superseded to loaded


def known_file_ids(
    con: duckdb.DuckDBPyConnection, source: str | None, partition_key: str | None
) -> set[str]:
    rows = con.execute(
        f"SELECT file_id FROM {REGISTRY} WHERE source IS NOT DISTINCT FROM ? "
        "AND partition_key IS NOT DISTINCT FROM ?",
        [source, partition_key],
    ).fetchall()
    return {r[0] for r in rows}


def _decide(
    versions: pl.DataFrame, present: set[str], source: str
) -> list[tuple[str, str, str | None]]:
    """(file_id, new status, reason) for every version whose status must change."""
    changes: list[tuple[str, str, str | None]] = []
    present_paths = set(versions.filter(pl.col("file_id").is_in(list(present))).get_column("path"))
    readable = versions.filter(pl.col("status").is_in(READABLE))
    for row in readable.filter(~pl.col("file_id").is_in(list(present))).iter_rows(named=True):
        if row["status"] != "superseded":
            gone = (
                "replaced by a new version at the same path"
                if row["path"] in present_paths
                else "file no longer in landing/"
            )
            changes.append((row["file_id"], "superseded", gone))
    candidates = readable.filter(pl.col("file_id").is_in(list(present)))
    key = "college_bin" if source == NOBD else "path"
    ranked = candidates.sort(
        ["signed_at", "version", "path", "file_id"],
        descending=[True, True, True, False],
        nulls_last=True,
    ).with_columns(
        pl.col("path").first().over(key).alias("current_path"),
        (pl.int_range(pl.len()).over(key) == 0).alias("is_current"),
    )
    for row in ranked.iter_rows(named=True):
        if row["is_current"] and row["status"] == "superseded":
            changes.append((row["file_id"], "loaded", None))
        elif not row["is_current"] and row["status"] != "superseded":
            changes.append((row["file_id"], "superseded", f"superseded by {row['current_path']}"))
    return changes


def refresh_currency(
    con: duckdb.DuckDBPyConnection,
    source: str,
    partition_key: str,
    present: set[str],
    at: datetime | None = None,
) -> CurrencyChange:
    """Apply the currency rules to one (source, partition) in one transaction."""
    versions = con.sql(
        f"SELECT file_id, path, status, college_bin, signed_at, version FROM {REGISTRY} "
        "WHERE source = $source AND partition_key = $partition",
        params={"source": source, "partition": partition_key},
    ).pl()
    changes = _decide(versions, present, source)
    if not changes:
        return CurrencyChange(0, 0)
    frame = pl.DataFrame(
        changes,
        schema={"file_id": pl.String, "status": pl.String, "reason": pl.String},
        orient="row",
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("_changes", frame.to_arrow())
        con.execute(
            f"""UPDATE {REGISTRY} AS f
                SET status = c.status, reason = c.reason, reason_rule = NULL, status_changed_at = ?
                FROM _changes AS c WHERE f.file_id = c.file_id""",
            [at or utc_now()],
        )
        con.unregister("_changes")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    superseded = sum(1 for _, status, _ in changes if status == "superseded")
    return CurrencyChange(superseded, len(changes) - superseded)
