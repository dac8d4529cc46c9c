"""Build one academic year's yearbook: extract, decide the release, render, put in place.

extract (DuckDB, read-only, connection closed at once)
  -> compare the cells with the latest release: same -> "no changes", stop
  -> render into a hidden staging folder: XLSX, cells.csv, queries/, per language
     charts + HTML + PDF (two languages in two processes when there are two cores, started
     before the XLSX is written)
  -> revisions report against the previous release, release.json
  -> rename the folder into place, move `latest`
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from pipelines.run_lock import waiting_lock
from pipelines.settings import Home
from pipelines.yearbook import release as rel
from pipelines.yearbook.extract import extract_book
from pipelines.yearbook.model import LANGS, Book
from pipelines.yearbook.render import render_language
from pipelines.yearbook.spec import BookSpec, default_spec
from pipelines.yearbook.xlsx import write_xlsx

XLSX_FILE = "yearbook.xlsx"
BOOK_PICKLE = ".book.pickle"  # for the workers, removed before the manifest lists the files
Status = Literal["new", "unchanged", "rerendered"]


@dataclass
class BuildResult:
    academic_year: str
    release: str
    status: Status
    directory: Path
    previous: str | None = None  # the release this one was compared with
    changed_cells: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        if self.status == "unchanged":
            return (
                f"yearbook {self.academic_year}: no changes since release {self.release} "
                f"({self.directory})"
            )
        what = "re-rendered" if self.status == "rerendered" else "new release"
        since = (
            f", {self.changed_cells} cells changed since {self.previous}" if self.previous else ""
        )
        return f"yearbook {self.academic_year}: {what} {self.release}{since} -> {self.directory}"


def extract(
    academic_year: str,
    *,
    home: Home | None = None,
    warehouse: Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    spec: BookSpec | None = None,
) -> Book:
    """The Book from an open connection, or from the warehouse file opened read-only."""
    spec = spec or default_spec()
    if con is not None:
        return extract_book(spec, con, academic_year)
    path = warehouse or (home or Home.from_env()).warehouse
    with duckdb.connect(str(path), read_only=True) as own:
        return extract_book(spec, own, academic_year)


def build_yearbook(
    academic_year: str,
    *,
    home: Home | None = None,
    warehouse: Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    spec: BookSpec | None = None,
    rerender: bool = False,
    parallel: bool = True,
) -> BuildResult:
    """Extract from the warehouse, then publish (see `publish_book`)."""
    home = home or Home.from_env()
    started = time.perf_counter()
    book = extract(academic_year, home=home, warehouse=warehouse, con=con, spec=spec)
    extracted = time.perf_counter() - started
    return publish_book(book, home, rerender=rerender, parallel=parallel, extract_s=extracted)


def publish_book(
    book: Book,
    home: Home,
    *,
    rerender: bool = False,
    parallel: bool = True,
    extract_s: float = 0.0,
) -> BuildResult:
    """Decide the release of an extracted Book and write it (no database needed any more)."""
    started = time.perf_counter() - extract_s
    academic_year = book.academic_year
    timings = {"extract": extract_s}
    year = rel.year_dir(home, academic_year)
    # Two builds of one year (schedule and CLI) must not both decide they are release 2a.
    with waiting_lock(year / ".lock"):
        existing = rel.releases(year)
        latest = existing[-1] if existing else None
        rows = rel.cell_rows(book)
        latest_rows = rel.read_cells(year / latest / rel.CELLS_FILE) if latest else None
        unchanged = latest_rows is not None and rel.cells_digest(latest_rows) == rel.cells_digest(
            rows
        )
        if unchanged and not rerender:
            assert latest is not None
            return BuildResult(academic_year, latest, "unchanged", year / latest, timings=timings)
        if unchanged:
            assert latest is not None
            release, status = latest, "rerendered"
            base = existing[-2] if len(existing) > 1 else None
        else:
            release, status, base = rel.next_release(latest), "new", latest
        base_rows = rel.read_cells(year / base / rel.CELLS_FILE) if base else None
        staging = rel.staging_dir(year, release)
        try:
            changed = _write_release(book, release, base, base_rows, staging, parallel, timings)
            rel.commit(staging, year / release, replace=status == "rerendered")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    timings["total"] = time.perf_counter() - started
    return BuildResult(academic_year, release, status, year / release, base, changed, timings)


def _write_release(
    book: Book,
    release: str,
    base: str | None,
    base_rows: list[dict[str, str]] | None,
    folder: Path,
    parallel: bool,
    timings: dict[str, float],
) -> int:
    t = time.perf_counter()
    # The workers start first: their imports (~1.5 s) overlap the workbook written here.
    workers = _start_workers(book, release, folder) if parallel and _spare_cores() else []
    try:
        refs = write_xlsx(book, release, folder / XLSX_FILE)
        rows = rel.cell_rows(book, refs)
        rel.write_cells(rows, folder / rel.CELLS_FILE)
        _write_queries(book, folder)
    except BaseException:
        for p in workers:
            p.kill()
            p.wait()
        raise
    timings["xlsx"] = time.perf_counter() - t
    t = time.perf_counter()
    if workers:
        per_lang = _finish_workers(workers, folder)
    else:
        per_lang = [render_language(book, release, lang, folder) for lang in LANGS]
    for lang, spent in zip(LANGS, per_lang, strict=True):
        timings[f"render_{lang}"] = spent
    timings["render"] = time.perf_counter() - t
    changed = 0
    if base is not None and base_rows is not None:
        symbols = {m: s for m, (s, _) in book.marks.items()}
        revisions = rel.diff_cells(base_rows, rows, symbols)
        rel.write_revisions(revisions, release, base, folder)
        changed = len(revisions)
    _write_manifest(book, release, base, changed, rows, folder)
    return changed


def _spare_cores() -> bool:
    """Two processes pay off only with a second idle core: each worker imports matplotlib and
    WeasyPrint again (~1.5 s), which a busy machine (a test run with xdist) cannot absorb.

    Measured now, over 0.2 s, not by the load average: that lags a minute behind, so right after
    the rest of `edustat run` had kept both cores busy it said "busy" to an idle machine and the
    national yearbook took 10 s instead of 6 s."""
    import psutil

    cores = os.cpu_count() or 1
    busy = psutil.cpu_percent(interval=0.2) / 100 * cores  # cores in use by everything else
    return cores - busy >= 1.5


def _start_workers(book: Book, release: str, folder: Path) -> list[subprocess.Popen[str]]:
    """One process per language (WeasyPrint and matplotlib hold the GIL: threads would not help).

    Fresh interpreters (`python -m pipelines.yearbook.worker`), not fork or multiprocessing
    spawn: a forked child of a threaded caller (Dagster, pytest) can inherit a held lock, and
    spawn re-imports the caller's __main__. The Book goes over as a pickle we wrote ourselves.
    `-P`: the worker imports this installation's package, never a `pipelines/` folder that happens
    to be in the current directory (another checkout: its renderer would draw this book).
    """
    blob = folder / BOOK_PICKLE
    blob.write_bytes(pickle.dumps(book, protocol=pickle.HIGHEST_PROTOCOL))
    return [
        subprocess.Popen(
            [sys.executable, "-P", "-m", "pipelines.yearbook.worker", str(blob), release, lang],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for lang in LANGS
    ]


def _finish_workers(procs: list[subprocess.Popen[str]], folder: Path) -> list[float]:
    """Wait for the workers; returns the seconds each spent rendering."""
    try:
        outputs = [p.communicate() for p in procs]
    finally:
        (folder / BOOK_PICKLE).unlink(missing_ok=True)
    spent: list[float] = []
    for lang, p, (out, err) in zip(LANGS, procs, outputs, strict=True):
        if p.returncode != 0:
            raise RuntimeError(f"rendering the {lang} book failed:\n{err[-4000:]}")
        spent.append(float(out.strip().splitlines()[-1]))
    return spent


def _write_queries(book: Book, folder: Path) -> None:
    """The SQL behind every table, with its parameter values: the trace of each cell."""
    (folder / "queries").mkdir()
    for t in book.tables:
        head = [
            f"-- {rel.query_file(t)}: table {t.number} ({t.id})",
            f"-- kk: {t.title.kk}",
            f"-- ru: {t.title.ru}",
            "-- One result row per table row (row_key); one column per table column key;",
            "-- <key>__mark columns give the mark of an empty cell. Parameters:",
            *(f"--   ${k} = '{v}'" for k, v in t.params.items()),
            *([f"-- Coverage decision from {t.follows}."] if t.follows else []),
        ]
        (folder / rel.query_file(t)).write_text(
            "\n".join(head) + "\n" + t.sql.rstrip() + ";\n", encoding="utf-8"
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_manifest(
    book: Book,
    release: str,
    base: str | None,
    changed: int,
    rows: list[dict[str, str]],
    folder: Path,
) -> None:
    manifest = {
        "academic_year": book.academic_year,
        "release": release,
        "compared_with": base,
        "changed_cells": changed,
        "autumn_round": book.autumn_round,
        "spring_round": book.spring_round,
        "cells": len(rows),
        "cells_sha256": rel.cells_digest(rows),
        "tables": [
            {
                "number": t.number,
                "id": t.id,
                "title_kk": t.title.kk,
                "title_ru": t.title.ru,
                "rows": len(t.rows),
                "columns": len(t.columns),
            }
            for t in book.tables
        ],
        "figures": [
            {"number": f.number, "id": f.id, "title_kk": f.title.kk, "title_ru": f.title.ru}
            for f in book.figures
        ],
        "files": {
            p.relative_to(folder).as_posix(): _sha256(p)
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        },
    }
    (folder / "release.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
