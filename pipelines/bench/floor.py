"""The raw floor: read every landing file with the ingest's own readers, and nothing else.

Per source and partition, in the ingest's order and with its parallelism, each worker reads the
file's bytes and turns them into cell frames (`readers.read_cells`: calamine for XLSX, the CSV
section splitter + polars for CSV), counts them and drops them. No header recognition, no
coercion, no pseudonymisation, no hashing, no registry and no database: what is left is the cost
any loader of these files must pay, so `ingest ÷ floor` is the price of everything it adds.

Parallelism follows `pipelines.ingest.workers.Runner`: `DEFAULT_WORKERS` spawned worker
processes (one polars thread each, one pool for the whole read, its start-up counted) for a
partition of at least `PROCESS_THRESHOLD` files, else as many threads; a window of 4 × workers
files in flight.

Run as `python -m pipelines.bench.floor LANDING --out RESULT.json [--workers N]`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts import Contract, all_contracts, load_contract
from pipelines.ingest.cells import Rejected
from pipelines.ingest.discovery import LandingFile, partition_files
from pipelines.ingest.loader import DEFAULT_WORKERS
from pipelines.ingest.readers import read_cells

try:  # the ingest's rule for processes vs threads (pipelines/ingest/workers.py)
    from pipelines.ingest.workers import PROCESS_THRESHOLD
except ImportError:  # an ingest without worker processes: threads only
    PROCESS_THRESHOLD = 1 << 30


@dataclass(frozen=True)
class _Read:
    rows: int  # cell rows of every sheet read (header rows included)
    cells: int
    rejected: bool


def _init_worker() -> None:
    os.environ["POLARS_MAX_THREADS"] = "1"  # as the ingest's workers


def _read_one(source: str, f: LandingFile) -> _Read:
    contract = load_contract(source)
    data = f.abs_path.read_bytes()
    try:
        sheets, _encoding = read_cells(contract, data, f.path)
    except Rejected:
        return _Read(0, 0, True)
    rows = sum(s.frame.height for s in sheets)
    cells = sum(s.frame.height * max(0, s.frame.width - 1) for s in sheets)
    return _Read(rows, cells, False)


def _partition_keys(landing: Path, contract: Contract) -> list[str]:
    root = landing / contract.landing_root
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir())


class _Pools:
    """Threads per partition; one process pool for the whole read, started on first use."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._processes: ProcessPoolExecutor | None = None

    @contextmanager
    def executor(self, n_files: int) -> Iterator[Executor]:
        if self.workers > 1 and n_files >= PROCESS_THRESHOLD:
            if self._processes is None:
                ctx = multiprocessing.get_context("spawn")
                self._processes = ProcessPoolExecutor(
                    self.workers, mp_context=ctx, initializer=_init_worker
                )
            yield self._processes
            return
        with ThreadPoolExecutor(self.workers, thread_name_prefix="floor") as threads:
            yield threads

    def close(self) -> None:
        if self._processes is not None:
            self._processes.shutdown(wait=True)


def read_partition(
    contract: Contract, landing: Path, key: str, pools: _Pools
) -> dict[str, float | int]:
    """Read one partition like `ingest_partition` does (same kind of pool, same window)."""
    files = partition_files(landing, contract, key)
    t0 = time.perf_counter()
    totals = {"files": 0, "rejected": 0, "rows": 0, "cells": 0, "bytes": 0}
    window = pools.workers * 4

    def take(fut: Future[_Read]) -> None:
        r = fut.result()  # counted, then dropped
        totals["files"] += 1
        totals["rejected"] += int(r.rejected)
        totals["rows"] += r.rows
        totals["cells"] += r.cells

    with pools.executor(len(files)) as pool:
        pending: deque[Future[_Read]] = deque()
        for f in files:
            pending.append(pool.submit(_read_one, contract.source, f))
            if len(pending) >= window:
                take(pending.popleft())
        while pending:
            take(pending.popleft())
    totals["bytes"] = sum(f.size for f in files)
    return {**totals, "seconds": time.perf_counter() - t0}


def read_all(landing: Path, workers: int = DEFAULT_WORKERS) -> dict[str, object]:
    """Every partition of every source; seconds per (source, partition) and in total."""
    parts: dict[str, dict[str, float | int]] = {}
    pools = _Pools(workers)
    t0 = time.perf_counter()
    try:
        for contract in all_contracts().values():
            for key in _partition_keys(landing, contract):
                parts[f"{contract.source}/{key}"] = read_partition(contract, landing, key, pools)
    finally:
        pools.close()
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "workers": workers,
        "process_threshold": PROCESS_THRESHOLD,
        "files": sum(int(p["files"]) for p in parts.values()),
        "rows": sum(int(p["rows"]) for p in parts.values()),
        "partitions": parts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="JSON result file")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = parser.parse_args()
    result = read_all(args.landing, args.workers)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
