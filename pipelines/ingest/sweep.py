"""The landing sweep: every file under landing/ gets a registry row, even outside any partition.

The per-partition ingest registers everything in its own folders. What is left — a file at the
wrong depth, under an unknown folder, or in a round/year folder the calendar does not know — is
registered here as `rejected`, with a reason saying where it should have been. Partitions that
are registered but whose folder is now empty get their currency refreshed (all superseded).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts import all_contracts
from pipelines.ingest.cells import Rejected
from pipelines.ingest.discovery import LandingFile, all_files, file_id, fingerprint, owner
from pipelines.ingest.loader import Connect
from pipelines.ingest.registration import Registration
from pipelines.ingest.registry import REGISTRY, refresh_currency
from pipelines.ingest.schema import ensure_schema
from pipelines.ingest.writer import FileWriter


@dataclass(frozen=True)
class SweepResult:
    registered: int  # stray files newly registered as rejected
    emptied_partitions: int  # registered partitions whose folder has no file any more


def _where_expected() -> str:
    return ", ".join(f"landing/{c.landing_dir}/{c.file_name}" for c in all_contracts().values())


def _stray_rejection(f: LandingFile, partitions: dict[str, set[str]]) -> Rejected:
    parts = f.path.split("/")
    contract = next((c for c in all_contracts().values() if c.landing_root == parts[0]), None)
    if contract is not None and len(parts) == 3:
        known = partitions[contract.source]
        span = f"{min(known)} … {max(known)}" if known else "none"
        detail = (
            f"{contract.partition} '{parts[1]}' is not in sources/reference/calendar.csv "
            f"(known: {span})"
        )
        kk = f"'{parts[1]}' кезеңі күнтізбеде жоқ (белгілілері: {span})"
        ru = f"период '{parts[1]}' отсутствует в календаре (известные: {span})"
    else:
        where = _where_expected()
        detail = f"not where a source file belongs (expected {where})"
        kk = f"файл дұрыс емес қалтада тұр (күтілетін орны: {where})"
        ru = f"файл лежит не в той папке (ожидается: {where})"
    return Rejected("structure.unreadable_file", f.path, detail, kk=kk, ru=ru)


def _stray_registration(
    f: LandingFile, sha: str, rejected: Rejected | None, partitions: dict[str, set[str]]
) -> Registration:
    """`rejected`: why the entry could not even be read (a link, a FIFO...), which a clerk must
    fix first; otherwise the reason is where the file lies."""
    parts = f.path.split("/")
    contract = next((c for c in all_contracts().values() if c.landing_root == parts[0]), None)
    partition_key = parts[1] if contract is not None and len(parts) == 3 else None
    reason = rejected or _stray_rejection(f, partitions)
    return Registration(
        file_id=file_id(f.path, sha),
        path=f.path,
        source=contract.source if contract else None,
        partition_key=partition_key,
        sha256=sha,
        size_bytes=f.size,
        status="rejected",
        reason=reason.reason,
        reason_rule=reason.rule,
        reason_kk=reason.reason_kk,
        reason_ru=reason.reason_ru,
        reason_sheet=reason.sheet,
        reason_field=reason.field,
    )


def sweep(landing: Path, connect: Connect, partitions: dict[str, set[str]]) -> SweepResult:
    """Register stray files; refresh currency of registered partitions left without files."""
    files = all_files(landing)
    strays = [f for f in files if owner(f.path, partitions) is None]
    with connect() as con:
        ensure_schema(con)
        known = {r[0] for r in con.execute(f"SELECT file_id FROM {REGISTRY}").fetchall()}
        new: list[tuple[Registration, None]] = []
        for f in strays:
            _data, sha, rejected = fingerprint(f)
            reg = _stray_registration(f, sha, rejected, partitions)
            if reg.file_id not in known:
                new.append((reg, None))
        if new:
            FileWriter(con).write(new)
        registered = len(new)
        occupied = {owned for f in files if (owned := _owned_key(f.path, partitions))}
        registered_partitions = con.execute(
            f"SELECT DISTINCT source, partition_key FROM {REGISTRY} "
            "WHERE status IN ('loaded', 'held_back') "
            "AND source IS NOT NULL AND partition_key IS NOT NULL"
        ).fetchall()
        emptied = [
            (s, k)
            for s, k in registered_partitions
            if k in partitions.get(s, set()) and (s, k) not in occupied
        ]
        for source, key in emptied:
            refresh_currency(con, source, key, present=set())
    return SweepResult(registered, len(emptied))


def _owned_key(path: str, partitions: dict[str, set[str]]) -> tuple[str, str] | None:
    found = owner(path, partitions)
    return (found[0].source, found[1]) if found else None
