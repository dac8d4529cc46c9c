"""Ingest one partition of one source: parallel read, single writer, then currency.

Worker threads read, hash and parse files (calamine, polars and hashlib release the GIL for
their heavy parts) and hand ready frames to the calling thread, which alone talks to DuckDB.
At most a few files are in flight, so memory is bounded by the largest files, not the round.
The writer keeps its connection while results keep coming and lets go of it whenever it
would otherwise wait idle, so the single-writer lock is never held across slow work.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contracts import Contract
from pipelines.ingest import progress
from pipelines.ingest.cells import Rejected
from pipelines.ingest.discovery import LandingFile, file_id, partition_files
from pipelines.ingest.pseudonym import Pseudonymiser
from pipelines.ingest.readers import ParsedFile, parse, safe_text
from pipelines.ingest.registry import NOBD, CurrencyChange, known_file_ids, refresh_currency
from pipelines.ingest.schema import ensure_schema
from pipelines.ingest.writer import FileWriter, Registration

log = logging.getLogger("edustat.ingest")

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
# Let go of the warehouse when the next parsed file is not ready within this many seconds.
_IDLE_RELEASE_S = 0.5
DEFAULT_WORKERS = 2


@dataclass
class PartitionResult:
    source: str
    partition_key: str
    loaded: int = 0
    rejected: int = 0
    skipped: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # raw table -> rows inserted
    rejections: list[str] = field(default_factory=list)  # reasons (no values, safe to show)
    currency: CurrencyChange = CurrencyChange(0, 0)


@dataclass(frozen=True)
class _Prepared:
    file: LandingFile
    sha256: str
    file_id: str
    skipped: bool = False
    parsed: ParsedFile | None = None
    rejected: Rejected | None = None


def _prepare(contract: Contract, f: LandingFile, known: set[str], ps: Pseudonymiser) -> _Prepared:
    """Worker: read + hash; parse unless this exact version is already registered."""
    data = f.abs_path.read_bytes()  # read once: the hash is of exactly the bytes parsed
    sha = hashlib.sha256(data).hexdigest()
    fid = file_id(f.path, sha)
    if fid in known:
        return _Prepared(f, sha, fid, skipped=True)
    name = f.path.rsplit("/", 1)[-1]
    if contract.match_file(name) is None:
        pattern = contract.landing_dir + "/" + contract.file_name
        reason = Rejected(
            "structure.unreadable_file", f.path, f"file name does not follow {pattern}"
        )
        return _Prepared(f, sha, fid, rejected=reason)
    try:
        return _Prepared(f, sha, fid, parsed=parse(contract, data, f.path, ps))
    except Rejected as rej:
        return _Prepared(f, sha, fid, rejected=rej)
    except Exception as exc:  # a reader bug must not stop the round; the type name is safe to show
        log.warning("cannot read %s (%s)", f.path, type(exc).__name__)
        reason = Rejected(
            "structure.unreadable_file", f.path, f"file cannot be read ({type(exc).__name__})"
        )
        return _Prepared(f, sha, fid, rejected=reason)


def _registration(contract: Contract, partition_key: str, p: _Prepared) -> Registration:
    fields = contract.match_file(p.file.path.rsplit("/", 1)[-1]) or {}
    version = int(fields["version"]) if fields.get("version") else None
    college_bin, signed_at = fields.get("college_bin"), None
    if p.parsed is not None and contract.source == NOBD:
        header = p.parsed.sheet("header")
        if header is not None and header.frame.height:
            first = header.frame.row(0, named=True)
            college_bin = first.get("college_bin") or college_bin
            signed_at = first.get("signed_at")
    base = dict(
        file_id=p.file_id,
        path=p.file.path,
        source=contract.source,
        partition_key=partition_key,
        sha256=p.sha256,
        size_bytes=p.file.size,
        college_bin=college_bin,
        signed_at=signed_at,
        version=version,
    )
    if p.rejected is not None:
        return Registration(
            **base, status="rejected", reason=p.rejected.reason, reason_rule=p.rejected.rule
        )
    return Registration(**base, status="loaded")


def _ordered_results(
    jobs: list[LandingFile], submit: Callable[[LandingFile], Future[_Prepared]], window: int
) -> Iterator[Future[_Prepared]]:
    """Futures in file order, keeping at most `window` in flight (bounded memory)."""
    pending: deque[Future[_Prepared]] = deque()
    todo = iter(jobs)
    for f in todo:
        pending.append(submit(f))
        if len(pending) >= window:
            break
    while pending:
        fut = pending.popleft()
        yield fut
        nxt = next(todo, None)
        if nxt is not None:
            pending.append(submit(nxt))


def ingest_partition(
    contract: Contract,
    partition_key: str,
    landing: Path,
    connect: Connect,
    pseudonymiser: Pseudonymiser,
    workers: int = DEFAULT_WORKERS,
) -> PartitionResult:
    """Load every new file version of one partition, then recompute currency for it."""
    result = PartitionResult(contract.source, partition_key)
    files = partition_files(landing, contract, partition_key)
    with connect() as con:
        ensure_schema(con)
        known = known_file_ids(con, contract.source, partition_key)
    present: set[str] = set()
    with (
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool,
        ExitStack() as held,
    ):
        writer: FileWriter | None = None

        def submit(f: LandingFile) -> Future[_Prepared]:
            return pool.submit(_prepare, contract, f, known, pseudonymiser)

        for fut in _ordered_results(files, submit, window=workers * 2):
            try:
                prepared = fut.result(timeout=_IDLE_RELEASE_S)
            except FutureTimeout:
                held.close()  # waiting on a slow parse: release the warehouse meanwhile
                writer = None
                prepared = fut.result()
            present.add(prepared.file_id)
            if prepared.skipped:
                result.skipped += 1
                progress.publish(
                    progress.FileEvent(
                        contract.source, partition_key, prepared.file.path, "skipped"
                    )
                )
                continue
            if writer is None:
                writer = FileWriter(held.enter_context(connect()))
            reg = _registration(contract, partition_key, prepared)
            rows = writer.write(reg, prepared.parsed, partition_key)
            for table, n in rows.items():
                result.rows[table] = result.rows.get(table, 0) + n
            if prepared.rejected is not None:
                result.rejected += 1
                result.rejections.append(prepared.rejected.reason)
                log.info("rejected %s", prepared.rejected.reason)
            else:
                result.loaded += 1
                log.info("loaded %s (%d rows)", safe_text(prepared.file.path), sum(rows.values()))
            progress.publish(
                progress.FileEvent(
                    contract.source,
                    partition_key,
                    prepared.file.path,
                    "rejected" if prepared.rejected else "loaded",
                    sum(rows.values()),
                    prepared.rejected.reason if prepared.rejected else None,
                )
            )
    with connect() as con:
        result.currency = refresh_currency(con, contract.source, partition_key, present)
    return result
