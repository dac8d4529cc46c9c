"""The raw floor: read every landing file with the ingest's own readers, and nothing else.

Per source and partition, in the ingest's order and with its parallelism (a pool of
`pipelines.ingest.loader.DEFAULT_WORKERS` threads, a window of 2 × workers files in flight), each
worker reads the file's bytes and turns them into cell frames (`readers.read_cells`: calamine for
XLSX, the CSV section splitter + polars for CSV). No header recognition, no coercion, no
pseudonymisation, no hashing, no registry and no database: what is left is the cost any loader
of these files must pay, so `ingest ÷ floor` is the price of everything the ingest adds.

Run as `python -m pipelines.bench.floor LANDING --out RESULT.json [--workers N]`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts import Contract, all_contracts
from pipelines.ingest.cells import Rejected
from pipelines.ingest.discovery import LandingFile, partition_files
from pipelines.ingest.loader import DEFAULT_WORKERS
from pipelines.ingest.readers import read_cells


@dataclass(frozen=True)
class _Read:
    rows: int  # cell rows of every sheet read (header rows included)
    cells: int
    rejected: bool


def _read_one(contract: Contract, f: LandingFile) -> _Read:
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


def read_partition(
    contract: Contract, landing: Path, key: str, workers: int = DEFAULT_WORKERS
) -> dict[str, float | int]:
    """Read one partition like `ingest_partition` does (same pool, same window)."""
    files = partition_files(landing, contract, key)
    t0 = time.perf_counter()
    totals = {"files": 0, "rejected": 0, "rows": 0, "cells": 0, "bytes": 0}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="floor") as pool:
        pending: deque[Future[_Read]] = deque()
        todo = iter(files)
        for f in todo:
            pending.append(pool.submit(_read_one, contract, f))
            if len(pending) >= workers * 2:
                break
        while pending:
            r = pending.popleft().result()  # the frames are dropped here, as the ingest does
            totals["files"] += 1
            totals["rejected"] += int(r.rejected)
            totals["rows"] += r.rows
            totals["cells"] += r.cells
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(_read_one, contract, nxt))
    totals["bytes"] = sum(f.size for f in files)
    return {**totals, "seconds": time.perf_counter() - t0}


def read_all(landing: Path, workers: int = DEFAULT_WORKERS) -> dict[str, object]:
    """Every partition of every source; seconds per (source, partition) and in total."""
    parts: dict[str, dict[str, float | int]] = {}
    t0 = time.perf_counter()
    for contract in all_contracts().values():
        for key in _partition_keys(landing, contract):
            parts[f"{contract.source}/{key}"] = read_partition(contract, landing, key, workers)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "workers": workers,
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
