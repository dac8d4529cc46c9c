"""Releases of one academic year's yearbook, the cell trace and the revisions report.

Layout (decided here, documented in README.md):

    $EDUSTAT_HOME/yearbook/<academic_year>/
      1a/  2a/ …        one folder per release, never modified once renamed into place
      latest -> 2a      relative symlink to the newest release
      .lock             serialises builds of the same year

Not under `published/`: that folder belongs to the warehouse snapshots, which are pruned.

A release number counts data revisions: the first build is `1a`; a rebuild whose cells differ
from the latest release's cells is the next number (`2a`, `3a`, …) and carries
`revisions_<release>.xlsx/.csv`. A rebuild with identical cells makes no release ("no changes").
The letter is kept from the ministry's numbering and is always `a` here.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from pipelines.publishing.xlsx import FONT, new_workbook
from pipelines.settings import Home
from pipelines.yearbook.model import Book, Cell, Table
from pipelines.yearbook.xlsx import CellRef, sheet_name

RELEASE_RE = re.compile(r"^(\d+)a$")
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
# Workbook `created` property of the revisions report: fixed, so equal reports are equal files.
FIXED_TIME = datetime(2000, 1, 1)
CELLS_FILE = "cells.csv"
REVISIONS_SHEET = "Түзетулер – Исправления"
LATEST = "latest"
CELL_FIELDS = (
    "table_no",
    "table_id",
    "sheet",
    "cell",
    "row_key",
    "col_key",
    "value",
    "mark",
    "row_label_kk",
    "row_label_ru",
    "col_label_kk",
    "col_label_ru",
    "query",
)
REVISION_FIELDS = (
    "table_no",
    "table_id",
    "row_key",
    "row_label_kk",
    "row_label_ru",
    "col_key",
    "col_label_kk",
    "col_label_ru",
    "old",
    "new",
    "change",
)
REVISION_HEADERS = {
    "table_no": ("Кесте", "Таблица"),
    "table_id": ("Кесте коды", "Код таблицы"),
    "row_key": ("Жол коды", "Код строки"),
    "row_label_kk": ("Жол (қаз.)", "Строка (каз.)"),
    "row_label_ru": ("Жол (орыс.)", "Строка (рус.)"),
    "col_key": ("Баған коды", "Код графы"),
    "col_label_kk": ("Баған (қаз.)", "Графа (каз.)"),
    "col_label_ru": ("Баған (орыс.)", "Графа (рус.)"),
    "old": ("Бұрынғы мәні", "Прежнее значение"),
    "new": ("Жаңа мәні", "Новое значение"),
    "change": ("Өзгеріс", "Изменение"),
}


def yearbook_root(home: Home) -> Path:
    return home.root / "yearbook"


def year_dir(home: Home, academic_year: str) -> Path:
    return yearbook_root(home) / academic_year


def releases(year: Path) -> list[str]:
    """Completed releases of a year, oldest first (staging folders are hidden, never listed)."""
    if not year.is_dir():
        return []
    found = [p.name for p in year.iterdir() if p.is_dir() and RELEASE_RE.match(p.name)]
    return sorted(found, key=lambda r: int(RELEASE_RE.match(r).group(1)))  # type: ignore[union-attr]


def next_release(previous: str | None) -> str:
    if previous is None:
        return "1a"
    m = RELEASE_RE.match(previous)
    if not m:
        raise ValueError(f"not a release name: {previous!r}")
    return f"{int(m.group(1)) + 1}a"


# --- the cell trace ---------------------------------------------------------------------------


def value_text(cell: Cell) -> str:
    """How a value is written in cells.csv: repr keeps floats exact (45.3, not 45.300000001)."""
    return "" if cell.value is None else repr(cell.value)


def query_file(table: Table) -> str:
    return f"queries/{table.number:02d}_{table.id}.sql"


def cell_rows(book: Book, refs: dict[CellRef, str] | None = None) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for t in book.tables:
        for r in t.rows:
            for c in t.columns:
                cell = t.cell(r.key, c.key)
                col_kk = f"{c.group.kk} — {c.label.kk}" if c.group else c.label.kk
                col_ru = f"{c.group.ru} — {c.label.ru}" if c.group else c.label.ru
                rows.append(
                    {
                        "table_no": str(t.number),
                        "table_id": t.id,
                        "sheet": sheet_name(t),
                        "cell": (refs or {}).get((t.id, r.key, c.key), ""),
                        "row_key": r.key,
                        "col_key": c.key,
                        "value": value_text(cell),
                        "mark": cell.mark or "",
                        "row_label_kk": r.label.kk,
                        "row_label_ru": r.label.ru,
                        "col_label_kk": col_kk,
                        "col_label_ru": col_ru,
                        "query": query_file(t),
                    }
                )
    return rows


def write_cells(rows: list[dict[str, str]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CELL_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def read_cells(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _key(row: dict[str, str]) -> tuple[str, str, str]:
    return (row["table_id"], row["row_key"], row["col_key"])


def cells_digest(rows: list[dict[str, str]]) -> str:
    """Fingerprint of what a release publishes: table, row, column, value, mark (no labels)."""
    h = hashlib.sha256()
    for row in sorted(rows, key=_key):
        h.update("\x1f".join((*_key(row), row["value"], row["mark"])).encode() + b"\n")
    return h.hexdigest()


# --- revisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    table_no: str
    table_id: str
    row_key: str
    row_label_kk: str
    row_label_ru: str
    col_key: str
    col_label_kk: str
    col_label_ru: str
    old: str
    new: str
    change: str  # changed | added | removed


def _shown(row: dict[str, str] | None, symbols: dict[str, str]) -> str:
    if row is None:
        return ""
    return symbols[row["mark"]] if row["mark"] else row["value"]


def diff_cells(
    old: list[dict[str, str]], new: list[dict[str, str]], symbols: dict[str, str]
) -> list[Revision]:
    """Every cell whose value or mark differs, plus cells that appeared or disappeared."""
    before = {_key(r): r for r in old}
    after = {_key(r): r for r in new}
    out: list[Revision] = []
    order = [_key(r) for r in new] + [k for k in (_key(r) for r in old) if k not in after]
    for key in order:
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and (a["value"], a["mark"]) == (b["value"], b["mark"]):
            continue
        ref = b or a
        assert ref is not None
        out.append(
            Revision(
                table_no=ref["table_no"],
                table_id=ref["table_id"],
                row_key=ref["row_key"],
                row_label_kk=ref["row_label_kk"],
                row_label_ru=ref["row_label_ru"],
                col_key=ref["col_key"],
                col_label_kk=ref["col_label_kk"],
                col_label_ru=ref["col_label_ru"],
                old=_shown(a, symbols),
                new=_shown(b, symbols),
                change="changed" if a and b else ("added" if b else "removed"),
            )
        )
    return out


def write_revisions(revisions: list[Revision], release: str, previous: str, folder: Path) -> None:
    rows = [[getattr(r, f) for f in REVISION_FIELDS] for r in revisions]
    with open(folder / f"revisions_{release}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(REVISION_FIELDS)
        w.writerows(rows)
    wb = new_workbook(
        folder / f"revisions_{release}.xlsx",
        title=f"{previous} → {release}",
        created=FIXED_TIME,
    )
    bold = wb.add_format({"bold": True, "text_wrap": True, "font_name": FONT})
    plain = wb.add_format({"font_name": FONT})
    ws = wb.add_worksheet(REVISIONS_SHEET)
    ws.write(0, 0, f"{previous} → {release}: {len(revisions)}", bold)
    for j, f in enumerate(REVISION_FIELDS):
        kk, ru = REVISION_HEADERS[f]
        ws.write(2, j, f"{kk}\n{ru}", bold)
    for i, row in enumerate(rows, start=3):
        for j, v in enumerate(row):
            _write_value(ws, i, j, v, plain)
    ws.set_column(0, len(REVISION_FIELDS) - 1, 18)
    ws.freeze_panes(3, 0)
    wb.close()


def _write_value(ws: Worksheet, r: int, c: int, v: str, fmt: Format) -> None:
    """Old and new values are numbers where they are numbers, so a reader can subtract them."""
    if REVISION_FIELDS[c] in ("old", "new") and _NUMBER_RE.match(v):
        ws.write_number(r, c, float(v), fmt)
    else:
        ws.write_string(r, c, v, fmt)


# --- putting a release in place ---------------------------------------------------------------


def staging_dir(year: Path, release: str) -> Path:
    """A fresh hidden folder to assemble the release in. Called under the year's lock (build.py),
    so any other staging folder is the leftover of a crashed build and is removed."""
    for old in year.glob(".staging-*"):
        shutil.rmtree(old, ignore_errors=True)
    path = year / f".staging-{release}-{os.getpid()}"
    path.mkdir(parents=True)
    return path


def commit(staging: Path, final: Path, *, replace: bool = False) -> None:
    """Rename the finished staging folder into place and point `latest` at it."""
    if replace and final.exists():
        trash = final.with_name(f".old-{final.name}-{os.getpid()}")
        final.rename(trash)
        staging.rename(final)
        shutil.rmtree(trash)
    else:
        staging.rename(final)  # fails if the release exists: never overwrite a published one
    link = final.parent / LATEST
    tmp = final.parent / f".{LATEST}-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(final.name)
    os.replace(tmp, link)
