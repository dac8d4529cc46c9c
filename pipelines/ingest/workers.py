"""Where files are parsed: worker processes for a real round, threads for a handful of files.

Parsing is part Python (header matching, hashing each IIN, polars glue), so threads fight over
the GIL with the writer; two worker processes on two cores do not. A process pool costs about
a second to start, so it is kept for the life of the process (one `edustat run` ingests several
partitions) and used only when a partition has enough new files to repay it.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

from pipelines.ingest.prepare import Prepared, Task, prepare_many
from pipelines.ingest.pseudonym import Pseudonymiser

# Fewer new files than this: threads (no start-up cost). Measured break-even is ~10 files.
PROCESS_THRESHOLD = 24

_worker_ps: Pseudonymiser | None = None
_pool: tuple[tuple[int, str], ProcessPoolExecutor] | None = None


def _init_worker(key: bytes) -> None:
    global _worker_ps
    # One polars thread per worker: the parallelism is across files, and polars' own pool
    # would only add contention on two cores. Read at polars' first computation, i.e. later.
    os.environ["POLARS_MAX_THREADS"] = "1"
    _worker_ps = Pseudonymiser(key)


def run_tasks(tasks: list[Task], chunk_bytes: int | None) -> list[Prepared]:
    """Entry point inside a worker process."""
    assert _worker_ps is not None, "worker not initialised"
    return prepare_many(tasks, _worker_ps, chunk_bytes)


def process_pool(workers: int, key: bytes) -> ProcessPoolExecutor:
    """The shared pool for (workers, key), started on first use and stopped at exit."""
    global _pool
    ident = (workers, hashlib.sha256(key).hexdigest())
    if _pool is not None and _pool[0] == ident:
        return _pool[1]
    if _pool is not None:
        _pool[1].shutdown(wait=True, cancel_futures=True)
    # spawn, not fork: the parent runs DuckDB, polars and Dagster threads, which fork would
    # copy in whatever state they are in.
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(key,)
    )
    _pool = (ident, pool)
    return pool


def stop_pool(wait: bool = True) -> None:
    """Stop the worker processes (each holds a few hundred MB once it has parsed workbooks).
    `edustat run` calls this when the ingest runs are over; the next ingest starts a new pool."""
    global _pool
    if _pool is not None:
        _pool[1].shutdown(wait=wait, cancel_futures=True)
        _pool = None


atexit.register(stop_pool, wait=False)


class Runner:
    """submit(tasks) -> Future[list[Prepared]], on the shared process pool or on a few threads."""

    def __init__(
        self, n_tasks: int, workers: int, ps: Pseudonymiser, chunk_bytes: int | None
    ) -> None:
        self._threads: ThreadPoolExecutor | None = None
        self._processes: ProcessPoolExecutor | None = None
        self._ps = ps
        self._chunk_bytes = chunk_bytes
        if workers > 1 and n_tasks >= PROCESS_THRESHOLD:
            self._processes = process_pool(workers, ps.key)
        else:
            self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest")

    def submit(self, tasks: list[Task]) -> Future[list[Prepared]]:
        if self._processes is not None:
            return self._processes.submit(run_tasks, tasks, self._chunk_bytes)
        assert self._threads is not None
        return self._threads.submit(prepare_many, tasks, self._ps, self._chunk_bytes)

    def close(self) -> None:
        """Threads end with the partition; the process pool lives on for the next one."""
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)
