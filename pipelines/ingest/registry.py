"""The file registry's presence and currency rules, recomputed for a whole partition after every
ingest of it from the versions present under landing/ now, so the outcome depends only on what is
there, never on the order files arrived:

- `is_present` says whether the version is under landing/ now; a readable version no longer
  present is `superseded`;
- NOBD: every present readable version is a candidate (`loaded` when new or back again); which
  one is current depends on its data quality, so the data-quality step decides among them
  (docs/ARCHITECTURE.md "Acceptance policy", pipelines/quality/currency.py);
- other sources: every present readable version is current (one per path);
- `rejected` never changes: an unreadable version stays unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from pipelines.ingest.registration import utc_now
from pipelines.ingest.schema import REGISTRY_TABLE, SCHEMA

REGISTRY = f"{SCHEMA}.{REGISTRY_TABLE}"
NOBD = "nobd_submission"
# Every status a file version can have (docs/ARCHITECTURE.md "raw.landing_files").
STATUSES = ("loaded", "held_back", "rejected", "superseded")
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


Change = tuple[str, str, str | None, bool]  # file_id, status, reason, is_present


def _decide(versions: pl.DataFrame, present: set[str]) -> list[Change]:
    """(file_id, status, reason, is_present) for every version whose row must change."""
    present_paths = set(versions.filter(pl.col("file_id").is_in(list(present))).get_column("path"))
    changes: list[Change] = []
    for row in versions.iter_rows(named=True):
        here = row["file_id"] in present
        status, reason = row["status"], row["reason"]
        if status in READABLE and not here:
            if status != "superseded":
                status = "superseded"
                reason = (
                    "replaced by a new version at the same path"
                    if row["path"] in present_paths
                    else "file no longer in landing/"
                )
        elif status == "superseded" and here and not row["is_present"]:
            status, reason = "loaded", None  # back under landing/: a candidate again
        if (status, reason, here) != (row["status"], row["reason"], row["is_present"]):
            changes.append((row["file_id"], status, reason, here))
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
        f"SELECT file_id, path, status, reason, is_present FROM {REGISTRY} "
        "WHERE source = $source AND partition_key = $partition",
        params={"source": source, "partition": partition_key},
    ).pl()
    changes = _decide(versions, present)
    if not changes:
        return CurrencyChange(0, 0)
    frame = pl.DataFrame(
        changes,
        schema={
            "file_id": pl.String,
            "status": pl.String,
            "reason": pl.String,
            "is_present": pl.Boolean,
        },
        orient="row",
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("_changes", frame.to_arrow())
        con.execute(
            f"""UPDATE {REGISTRY} AS f
                SET status = c.status,
                    reason = c.reason,
                    reason_rule = CASE WHEN f.status = c.status THEN f.reason_rule END,
                    is_present = c.is_present,
                    status_changed_at = CASE WHEN f.status = c.status THEN f.status_changed_at
                                             ELSE ? END
                FROM _changes AS c WHERE f.file_id = c.file_id""",
            [at or utc_now()],
        )
        con.unregister("_changes")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    superseded = sum(1 for _, status, _, _ in changes if status == "superseded")
    return CurrencyChange(superseded, len(changes) - superseded)


def registry_digest(con: duckdb.DuckDBPyConnection) -> str:
    """One hash of what the registry says about every file version (path, checksum, status,
    reason). A build records it (`edustat run`'s build stamp, the published snapshot's metadata);
    when the registry's digest differs from the last build's, something landed since."""
    import hashlib

    rows = con.execute(
        f"SELECT path, sha256, status, coalesce(reason, '') FROM {REGISTRY} ORDER BY ALL"
    ).fetchall()
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\0".join(map(str, row)).encode() + b"\n")
    return digest.hexdigest()
