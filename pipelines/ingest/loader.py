"""Ingest one partition of one source: hash, parallel parse, single writer, then currency.

The calling thread hashes each file (an unchanged version is skipped right there, so a re-run
parses nothing) and hands new versions, in batches of a few files, to workers
(pipelines.ingest.workers), which parse and pseudonymise them. Finished files come back in order
to the calling thread, which alone talks to DuckDB. At most a few dozen files are in flight or
waiting, and a sheet larger than a chunk is read in chunks spilled to Parquet (readers.py), so
memory is bounded by a few dozen small files or a chunk, not by the round or the largest file.
The writer commits files in batches (each file whole in one transaction, never split, its spilled
chunks included), keeps its connection while results keep coming and lets go of it whenever it
would otherwise wait idle, so the single-writer lock is never held across slow work.
"""

from __future__ import annotations

import logging
import shutil
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contracts import Contract
from pipelines.identifiers import mask_iins
from pipelines.ingest import progress
from pipelines.ingest.cells import CHUNK_BYTES, Rejected
from pipelines.ingest.discovery import LandingFile, file_id, fingerprint, partition_files
from pipelines.ingest.prepare import Prepared, Task, registration
from pipelines.ingest.pseudonym import Pseudonymiser
from pipelines.ingest.registry import CurrencyChange, known_file_ids, refresh_currency
from pipelines.ingest.schema import ensure_schema
from pipelines.ingest.workers import Runner
from pipelines.ingest.writer import FileWriter

log = logging.getLogger("edustat.ingest")

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
# Let go of the warehouse when the next parsed batch is not ready within this many seconds.
# Letting go closes the connection, which checkpoints (re-compresses the last row group of every
# raw table): at 0.5 s, with batches of files taking a worker about that long on a busy machine,
# closing and reopening was 15% of the ingest's CPU. A slow file (one large workbook) still
# releases it.
_IDLE_RELEASE_S = 5.0
# Files per commit: a commit (and its INSERTs) costs ~10 ms whatever its size, so files are
# committed in batches of up to these bounds; memory stays a few dozen files.
_BATCH_FILES = 64
_BATCH_ROWS = 100_000
DEFAULT_WORKERS = 2
# Files a worker parses together (their sheets typed in one polars query each): a query's
# set-up, not its work, dominated a sheet of a few hundred rows. Bytes bound a batch's memory.
_WORKER_BATCH_FILES = 16
_BATCH_BYTES = 8_000_000


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

    def record(self, p: Prepared | None, path: str, rows: dict[str, int]) -> None:
        """Count one file's outcome (p None: unchanged), log it, tell progress listeners."""
        reason = p.rejected.reason if p is not None and p.rejected else None
        if p is None:
            outcome = "skipped"
            self.skipped += 1
        elif reason is not None:
            outcome = "rejected"
            self.rejected += 1
            self.rejections.append(reason)
            log.info("rejected %s", reason)  # reasons never hold a cell value
        else:
            outcome = "loaded"
            self.loaded += 1
            # The path as the registry, the reasons and the console name it: a BIN in a file name is
            # public; an IIN someone put in a file name is masked (pipelines/identifiers.py).
            log.info("loaded %s (%d rows)", mask_iins(path), sum(rows.values()))
        for table, n in rows.items():
            self.rows[table] = self.rows.get(table, 0) + n
        event = progress.FileEvent(
            self.source, self.partition_key, mask_iins(path), outcome, sum(rows.values()), reason
        )
        progress.publish(event)


def _version(f: LandingFile) -> tuple[bytes | None, str, str, Rejected | None]:
    """(bytes, sha256, file id, None), or (None, stable sha256, file id, rejection) for an entry
    that is not read (a link, a FIFO, a file gone since it was listed)."""
    data, sha, rejected = fingerprint(f)
    return data, sha, file_id(f.path, sha), rejected


def _tasks(
    contract: Contract, partition_key: str, files: list[LandingFile], present: set[str]
) -> Iterator[tuple[Task, Rejected | None]]:
    for f in files:
        # Read again and hash what is parsed: the registry's sha256 is of exactly these bytes,
        # even if the file changed since the first pass.
        data, sha, fid, rejected = _version(f)
        present.add(fid)
        yield Task(contract.source, partition_key, f, sha, fid, data or b""), rejected


def _rejected_now(contract: Contract, task: Task, rejected: Rejected) -> Future[list[Prepared]]:
    """An entry that was not read needs no worker: its outcome, as a finished future."""
    done: Future[list[Prepared]] = Future()
    reg = registration(contract, task, None, rejected)
    done.set_result([Prepared(task.file, reg, None, rejected)])
    return done


def _in_order(
    contract: Contract,
    tasks: Iterator[tuple[Task, Rejected | None]],
    runner: Runner,
    window: int,
    batch_files: int,
) -> Iterator[Future[list[Prepared]]]:
    """Futures of file batches in file order, at most `window` batches in flight (bounded
    memory). A batch is up to `batch_files` files and `_BATCH_BYTES` bytes: one worker types
    its sheets together (pipelines/ingest/prepare.py)."""
    pending: deque[Future[list[Prepared]]] = deque()
    batch: list[Task] = []

    def submit() -> None:
        if batch:
            pending.append(runner.submit(list(batch)))
            batch.clear()

    for task, rejected in tasks:
        if rejected is not None:
            submit()  # keep the file order
            pending.append(_rejected_now(contract, task, rejected))
        else:
            if batch and sum(len(t.data) for t in batch) + len(task.data) > _BATCH_BYTES:
                submit()
            batch.append(task)
            if len(batch) >= batch_files:
                submit()
        if len(pending) >= window:
            yield pending.popleft()
    submit()
    while pending:
        yield pending.popleft()


def _batch_files(n_files: int, workers: int) -> int:
    """Files per worker batch: up to _WORKER_BATCH_FILES, fewer when a partition has too few
    files to keep every worker busy."""
    return max(1, min(_WORKER_BATCH_FILES, -(-n_files // (workers * 2))))


def ingest_partition(
    contract: Contract,
    partition_key: str,
    landing: Path,
    connect: Connect,
    pseudonymiser: Pseudonymiser,
    workers: int = DEFAULT_WORKERS,
    chunk_bytes: int | None = CHUNK_BYTES,
) -> PartitionResult:
    """Load every new file version of one partition, then recompute currency for it. Sheets
    larger than `chunk_bytes` are read, typed and written in row chunks (None: whole)."""
    result = PartitionResult(contract.source, partition_key)
    files = partition_files(landing, contract, partition_key)
    with connect() as con:
        ensure_schema(con)
        known = known_file_ids(con, contract.source, partition_key)
    present: set[str] = set()
    new: list[LandingFile] = []
    for f in files:  # first pass: hashes only, nothing kept (an unchanged file is skipped here)
        fid = _version(f)[2]  # an entry that cannot be read has a stable stand-in id
        present.add(fid)
        if fid in known:
            result.record(None, f.path, {})
        else:
            new.append(f)
    if new:  # a re-run on unchanged landing starts no worker at all
        runner = Runner(len(new), workers, pseudonymiser, chunk_bytes)
        try:
            tasks = _tasks(contract, partition_key, new, present)
            per_batch = _batch_files(len(new), workers)
            batches = _in_order(contract, tasks, runner, workers * 2, per_batch)
            _write_all(batches, connect, result)
        finally:
            runner.close()
    with connect() as con:
        result.currency = refresh_currency(con, contract.source, partition_key, present)
    return result


def _write_all(
    futures: Iterator[Future[list[Prepared]]], connect: Connect, result: PartitionResult
) -> None:
    with ExitStack() as held:
        writer: FileWriter | None = None
        batch: list[Prepared] = []
        batch_rows = 0

        def flush() -> None:
            nonlocal writer, batch_rows
            batch_rows = 0
            if not batch:
                return
            try:
                if writer is None:
                    writer = FileWriter(held.enter_context(connect()))
                written = writer.write([(p.reg, p.parsed) for p in batch])
            finally:  # written or not, spilled chunks are of no further use
                for p in batch:
                    if p.parsed is not None and p.parsed.spill_dir is not None:
                        shutil.rmtree(p.parsed.spill_dir, ignore_errors=True)
            for p, rows in zip(batch, written, strict=True):
                result.record(p, p.file.path, rows)
            batch.clear()

        for fut in futures:
            try:
                prepared = fut.result(timeout=_IDLE_RELEASE_S)
            except FutureTimeout:
                # A slow batch: commit what is ready and release the warehouse meanwhile.
                flush()
                held.close()
                writer = None
                prepared = fut.result()
            for p in prepared:
                batch.append(p)
                batch_rows += p.rows
                if len(batch) >= _BATCH_FILES or batch_rows >= _BATCH_ROWS:
                    flush()
        flush()
