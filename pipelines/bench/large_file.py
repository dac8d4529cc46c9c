"""The one-large-file measure: a 1,000,000-row students sheet, generated once, ingested alone.

The file is made from the cached dataset's first NOBD workbook (so it follows the same seed):
its header, library and staff sheets as they are, and its students' rows repeated until the
sheet holds `rows` rows, each with a new valid IIN (the ingest hashes every one; repeats would
be looked up, not hashed). Cells are written as text, which the ingest reads the same way as
typed cells. It lives in EDUSTAT_HOME/bench/data/large-<rows>-<seed>/ beside the dataset, with a
marker written last (a folder without it is an interrupted generation).

`python -m pipelines.bench.large_file LANDING WAREHOUSE --out RESULT.json` ingests that landing
folder's one NOBD round into a fresh warehouse, as `edustat run`'s ingest does (the same
`ingest_partition`), and writes seconds and rows; the bench runs it measured (time, peak RSS).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import fastexcel
import polars as pl
import xlsxwriter

from pipelines.bench.data import Dataset
from pipelines.bench.measure import run_reporting
from pipelines.bench.source import Code
from pipelines.identifiers import complete

ROWS = 1_000_000
ROUND = "2024-autumn"
_READY = ".ready"


def folder(bench_root: Path, rows: int, seed: int) -> Path:
    return bench_root / "data" / f"large-{rows}-{seed}"


def _iin_headers() -> set[str]:
    from pipelines.contracts import load_contract, normalise_label

    iin = load_contract("nobd_submission").sheet("students").column("iin")
    return {normalise_label(h) for spellings in iin.headers.values() for h in spellings}


def _template(dataset: Dataset) -> Path:
    """The first workbook of the round that opens and has a students sheet with an IIN column
    (the dataset also holds damaged files, on purpose)."""
    for path in sorted((dataset.landing / "nobd" / ROUND).glob("*.xlsx")):
        try:
            reader = fastexcel.read_excel(path.read_bytes())
            if any(_iin_column(_cells(reader, name).row(0)) is not None
                   for name in reader.sheet_names):  # fmt: skip
                return path
        except Exception:  # noqa: S112 - a damaged workbook is not a template
            continue
    raise RuntimeError(f"no readable NOBD workbook in {dataset.landing / 'nobd' / ROUND}")


def _cells(reader: fastexcel.ExcelReader, name: str) -> pl.DataFrame:
    return reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()


def _iin_column(header: tuple[object, ...]) -> int | None:
    from pipelines.contracts import normalise_label

    names = _iin_headers()
    return next((j for j, h in enumerate(header) if normalise_label(h) in names), None)


def _iins() -> Iterator[str]:
    """Distinct valid IINs (people born 1 Jan 2005 .. 28 Dec 2008), in a fixed order."""
    for year, month, day, serial in itertools.product(
        range(5, 9), range(1, 13), range(1, 29), range(1_000, 10_000)
    ):
        iin = complete(f"{year:02d}{month:02d}{day:02d}5{serial:04d}")
        if iin is not None:
            yield iin


def _write(template: Path, target: Path, rows: int) -> None:
    reader = fastexcel.read_excel(template.read_bytes())
    target.parent.mkdir(parents=True, exist_ok=True)
    # constant_memory: rows go to disk as written, so generating 1M rows stays small too.
    wb = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    for name in reader.sheet_names:
        frame = _cells(reader, name)
        ws = wb.add_worksheet(name)
        if frame.height == 0:
            continue
        header, body = frame.row(0), frame.slice(1).rows()
        ws.write_row(0, 0, header)
        iin_at = _iin_column(header)
        if iin_at is None:  # header, library, staff: as they are
            for i, row in enumerate(body, start=1):
                ws.write_row(i, 0, row)
            continue
        iins = _iins()
        for i, row in zip(range(1, rows + 1), itertools.cycle(body), strict=False):
            values = list(row)
            values[iin_at] = next(iins)
            ws.write_row(i, 0, values)
    wb.close()


def ensure(bench_root: Path, dataset: Dataset, rows: int = ROWS) -> Path:
    """The landing folder holding the one large file, generated first when missing."""
    root = folder(bench_root, rows, dataset.spec.seed)
    if (root / _READY).exists():
        return root / "landing"
    if root.exists():
        shutil.rmtree(root)
    template = _template(dataset)
    _write(template, root / "landing" / "nobd" / ROUND / template.name, rows)
    (root / _READY).write_text(template.name + "\n", encoding="utf-8")
    return root / "landing"


def ingest(landing: Path, warehouse: Path) -> dict[str, object]:
    """The round's files into a fresh warehouse through the ingest; seconds and rows."""
    from pipelines.contracts import load_contract
    from pipelines.ingest.loader import ingest_partition
    from pipelines.ingest.pseudonym import Pseudonymiser
    from pipelines.ingest.schema import ensure_schema
    from pipelines.settings import duckdb_memory_limit

    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        # The pipeline's own cap (the writer lowers it to settings.WRITER_MEMORY_LIMIT).
        con = duckdb.connect(str(warehouse), config={"memory_limit": duckdb_memory_limit()})
        try:
            yield con
        finally:
            con.close()

    with connect() as con:
        ensure_schema(con)
    t0 = time.perf_counter()
    result = ingest_partition(
        load_contract("nobd_submission"), ROUND, landing, connect, Pseudonymiser(b"bench" * 8)
    )
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "loaded": result.loaded,
        "rejected": result.rejected,
        "rows": result.rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="JSON result file")
    args = parser.parse_args()
    result = ingest(args.landing, args.warehouse)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()


def run_large_file(
    bench_root: Path,
    dataset: Dataset,
    work: Path,
    log: Path,
    timeout_s: float,
    code: Code,
    rows: int,
) -> dict[str, object]:
    """Generate (once) and ingest the one large file in its own process, measured."""
    landing = ensure(bench_root, dataset, rows)
    out, warehouse = work / "large-file.json", work / "large-file.duckdb"
    m, result = run_reporting(
        [sys.executable, "-m", "pipelines.bench.large_file", str(landing), str(warehouse)],
        out,
        env=code.env(),
        cwd=code.root,
        log=log,
        timeout_s=timeout_s,
    )
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        path.unlink(missing_ok=True)
    return {
        **result,
        "file_rows": rows,
        "file_bytes": sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()),
        "ok": m.returncode == 0 and result.get("loaded") == 1,
        "wall_seconds": m.wall_s,
        "peak_rss_mb": m.peak_rss_mb,
    }
