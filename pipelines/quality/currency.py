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

from pipelines.ingest.registration import utc_now
from pipelines.ingest.registry import REGISTRY
from pipelines.quality.rules import RULES

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
    status: str  # as the step found it, before any decision of this run
    status_changed_at: datetime


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
        f"""select file_id, college_bin, partition_key, path, signed_at, version, status,
                   status_changed_at
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
    transaction and may apply several times while it settles. The status timestamp moves only
    when the status differs from the one the step started from, so a re-run changes nothing.
    A held version's reason is its hold rules, in the registry's three languages."""
    import pandas as pd

    now = utc_now()
    rows = []
    for v in versions:
        d = decisions[v.file_id]
        rules = d.reason.split(", ") if d.status == "held_back" and d.reason else []
        rows.append(
            (
                v.file_id,
                d.status,
                d.reason,
                d.reason if rules else None,
                "; ".join(RULES[r].message_kk for r in rules) or None,
                "; ".join(RULES[r].message_ru for r in rules) or None,
                d.acceptable,
                v.status_changed_at if d.status == v.status else now,
            )
        )
    columns = ["file_id", "status", "reason", "rule", "reason_kk", "reason_ru", "ok", "at"]
    frame = pd.DataFrame(rows, columns=columns).astype(
        {c: "object" for c in columns if c not in ("ok", "at")}
    )
    con.register("_currency", frame)
    try:
        con.execute(
            f"""
            update {REGISTRY} as f
            set status = c.status,
                reason = c.reason,
                reason_rule = c.rule,
                reason_kk = c.reason_kk,
                reason_ru = c.reason_ru,
                is_acceptable = c.ok,
                status_changed_at = c.at
            from _currency as c
            where f.file_id = c.file_id
            """
        )
    finally:
        con.unregister("_currency")
    before = {v.file_id: v.status for v in versions}
    return Counts(
        held_back=sum(1 for d in decisions.values() if d.status == "held_back"),
        released=sum(
            1 for f, d in decisions.items() if before[f] == "held_back" and d.status == "loaded"
        ),
        newly_held_back=sum(
            1 for f, d in decisions.items() if before[f] != "held_back" and d.status == "held_back"
        ),
    )
