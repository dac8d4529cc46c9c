"""Which NOBD submission version is current, from what validation found (docs/ARCHITECTURE.md
"Acceptance policy"): the data-quality step owns this choice because it depends on hold findings.

Per college (of the file name) and round, among the versions present under landing/:
- the latest signed (ties: higher version, then path) version without a hold finding is current,
  `loaded`;
- versions signed after it that are held are `held_back` (a held-back correction leaves the
  previous accepted version current); with no acceptable version the latest one is `held_back`;
- every other version is `superseded`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pipelines.ingest.registry import REGISTRY
from pipelines.ingest.writer import utc_now

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class Version:
    file_id: str
    college_bin: str | None
    round_id: str
    path: str
    signed_at: datetime | None
    version: int | None
    status: str


@dataclass(frozen=True)
class Decision:
    status: str
    reason: str | None
    acceptable: bool


@dataclass(frozen=True)
class Counts:
    held_back: int  # NOBD versions held back after this pass
    released: int  # held back before, loaded now
    newly_held_back: int  # loaded before, held back now


def present_versions(con: duckdb.DuckDBPyConnection) -> list[Version]:
    rows = con.execute(
        f"""select file_id, college_bin, partition_key, path, signed_at, version, status
            from {REGISTRY}
            where source = 'nobd_submission' and status <> 'rejected' and is_present"""
    ).fetchall()
    return [Version(*r) for r in rows]


def _rank(v: Version) -> tuple[datetime, int, str]:
    return (v.signed_at or datetime.min, v.version or 0, v.path)


def decide(versions: list[Version], holds: dict[str, str]) -> dict[str, Decision]:
    """file_id -> decision; `holds` maps a held file_id to its reason (the rule ids)."""
    groups: dict[tuple[str | None, str], list[Version]] = {}
    for v in versions:
        groups.setdefault((v.college_bin, v.round_id), []).append(v)
    out: dict[str, Decision] = {}
    for group in groups.values():
        group.sort(key=_rank, reverse=True)
        # Every version ranked above the first acceptable one is held.
        current = next((v for v in group if v.file_id not in holds), None)
        above = group[: group.index(current)] if current is not None else group[:1]
        for v in group:
            if v is current:
                out[v.file_id] = Decision("loaded", None, True)
            elif v in above:
                out[v.file_id] = Decision("held_back", holds[v.file_id], False)
            else:
                by = (current or group[0]).path
                out[v.file_id] = Decision(
                    "superseded", f"superseded by {by}", v.file_id not in holds
                )
    return out


def apply(
    con: duckdb.DuckDBPyConnection, versions: list[Version], decisions: dict[str, Decision]
) -> Counts:
    """Write the decisions (status, reason, is_acceptable) to the registry; the caller holds the
    transaction. The status timestamp moves only when the status does."""
    import pandas as pd

    frame = pd.DataFrame(
        [(fid, d.status, d.reason, d.acceptable) for fid, d in decisions.items()],
        columns=["file_id", "status", "reason", "acceptable"],
    ).astype({"file_id": "object", "status": "object", "reason": "object", "acceptable": "bool"})
    before = {v.file_id: v.status for v in versions}
    released = sum(
        1 for fid, d in decisions.items() if before[fid] == "held_back" and d.status == "loaded"
    )
    newly = sum(
        1 for fid, d in decisions.items() if before[fid] != "held_back" and d.status == "held_back"
    )
    con.register("_currency", frame)
    try:
        con.execute(
            f"""
            update {REGISTRY} as f
            set status = c.status,
                reason = c.reason,
                reason_rule = null,
                is_acceptable = c.acceptable,
                status_changed_at = case when f.status = c.status then f.status_changed_at
                                         else ? end
            from _currency as c
            where f.file_id = c.file_id
            """,
            [utc_now()],
        )
    finally:
        con.unregister("_currency")
    held = sum(1 for d in decisions.values() if d.status == "held_back")
    return Counts(held, released, newly)
