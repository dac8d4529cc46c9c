"""Proofreading the sample's publications as a statistician would before signing them.

On every academic year of the shared sample (conftest.pipeline_home) and in both languages:
  (a) every heading and cell of every yearbook table is in the PDF's text (nothing clipped);
  (b) every number of the HTML editions reads the same in the XLSX editions (yearbook, packs);
  (c) no suppressed share can be recomputed from the other tables of the same yearbook;
  (d) no English code reaches a kk/ru reader outside the allowed tokens;
  (e) no PDF page holds a heading and nothing else (a heading stays with what it heads).
Only reads what `edustat run` already built: no pipeline runs here.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from pipelines.i18n import LANGS
from pipelines.publishing.numbers import NBSP, SYMBOLS, excel_text
from pipelines.yearbook.spec import default_spec
from pipelines.yearbook.xlsx import CONTENTS_SHEET

YEARS = ("2023-2024", "2024-2025")
MARK_SYMBOLS = set(SYMBOLS.values())
# Latin tokens a kk/ru reader may meet: names of movements and systems, file formats.
ALLOWED_LATIN = {
    "WorldSkills", "Abilympics", "DeafSkills", "AgroSkills", "Kazakhstan", "CIS", "Talap",
    "SDG", "xlsx", "csv", "XLSX", "CSV",
}  # fmt: skip
# Pack columns that show what a college sent or where, as sent: not words of the publication.
AS_SENT_CLASSES = {"path", "raw", "code", "bin"}
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]")
_UNIT = re.compile(f"{NBSP}(%|п\\.п\\.|п\\.т\\.)$")


# --- reading the editions ---------------------------------------------------------------------


@dataclass
class HtmlTable:
    anchor: str  # the id of the element around the table (yearbook: tN, packs: section key)
    sheet: str  # packs: the workbook sheet of the table (data-sheet)
    rows: list[list[tuple[str, str, str]]] = field(default_factory=list)  # (tag, class, text)


class _Tables(HTMLParser):
    """Every <table> of a page with the id of its closest enclosing element that has one, and
    the page's text without the cells that show what a college sent (AS_SENT_CLASSES)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[HtmlTable] = []
        self.text: list[str] = []
        self._ids: list[str | None] = []
        self._cell: list[str] | None = None
        self._cell_tag = ("", "")
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        if tag not in ("br", "img", "meta", "td", "th", "tr"):
            self._ids.append(a.get("id"))
        if tag == "table":
            anchor = next((i for i in reversed(self._ids[:-1]) if i), "")
            self.tables.append(HtmlTable(anchor, a.get("data-sheet") or ""))
        elif tag == "tr" and self.tables:
            self.tables[-1].rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._cell_tag = [], (tag, a.get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        if tag in ("td", "th") and self._cell is not None:
            # collapse layout whitespace only: a no-break space is part of a number («1 234»)
            text = re.sub(r"[ \t\r\n]+", " ", "".join(self._cell)).strip()
            self.tables[-1].rows[-1].append((*self._cell_tag, text))
            self._cell = None
        elif tag not in ("br", "img", "meta", "tr") and self._ids:
            self._ids.pop()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
            if set(self._cell_tag[1].split()) & AS_SENT_CLASSES:
                return
        self.text.append(data)


def html_tables(path: Path) -> _Tables:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pdf_pages(path: Path) -> list[str]:
    """Text of each page as `pdftotext` gives it: cropped to the page, as a reader sees it."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.replace(NBSP, " ").split("\f")


def tokens(text: str) -> list[str]:
    """Words without hyphens: a hyphenated word may wrap after its hyphen, which `pdftotext`
    then drops («предприятия-¶партнёры» -> «предприятияпартнёры»)."""
    return text.replace(NBSP, " ").replace("-", "").split()


def shown(cell: Any) -> str:
    """An XLSX cell as the workbook displays it (numbers through their number format)."""
    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
        return excel_text(cell.value, cell.number_format, "ru")
    return "" if cell.value is None else str(cell.value)


@pytest.fixture(scope="module")
def releases(pipeline_home: Path) -> dict[str, Path]:
    return {year: (pipeline_home / "yearbook" / year / "latest").resolve() for year in YEARS}


def read_cells(release: Path) -> list[dict[str, str]]:
    with open(release / "cells.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def pack_dirs(home: Path) -> Iterator[Path]:
    yield from sorted(p for p in (home / "reports" / "dq").glob("*/*") if p.is_dir())


# --- (a) every table is in the PDF ------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("year", YEARS)
def test_every_heading_and_cell_is_in_the_pdf_text(
    releases: dict[str, Path], year: str, lang: str
) -> None:
    release = releases[year]
    pages = pdf_pages(release / f"yearbook_{lang}.pdf")
    page_tables = [t for t in html_tables(release / f"yearbook_{lang}.html").tables if t.rows]
    word = {"kk": "Кесте", "ru": "Таблица"}[lang]
    data_tables = [t for t in page_tables if re.fullmatch(r"t\d+", t.anchor)]
    assert data_tables, "no table in the HTML book"
    starts: list[int] = []
    for t in data_tables:
        caption = f"{word} {t.anchor[1:]}. "
        # the last page with the caption: the contents page names every table first
        starts.append(max(i for i, page in enumerate(pages) if caption in page))
    for n, t in enumerate(data_tables):
        end = starts[n + 1] if n + 1 < len(data_tables) else len(pages) - 1
        have = Counter(tok for page in pages[starts[n] : end + 1] for tok in tokens(page))
        want = Counter(tok for row in t.rows for _, _, text in row for tok in tokens(text))
        missing = want - have
        assert not missing, f"{year} {lang} table {t.anchor}: not in the PDF text: {missing}"


# --- (b) the HTML and the XLSX show the same numbers ------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("year", YEARS)
def test_yearbook_html_numbers_equal_the_xlsx(
    releases: dict[str, Path], year: str, lang: str
) -> None:
    release = releases[year]
    wb = openpyxl.load_workbook(release / "yearbook.xlsx")
    cells = read_cells(release)
    html = {t.anchor: t for t in html_tables(release / f"yearbook_{lang}.html").tables}
    compared = 0
    for table_no in dict.fromkeys(c["table_no"] for c in cells):
        mine = [c for c in cells if c["table_no"] == table_no]
        rows = list(dict.fromkeys(c["row_key"] for c in mine))
        cols = list(dict.fromkeys(c["col_key"] for c in mine))
        body = [r for r in html[f"t{table_no}"].rows if any(tag == "td" for tag, _, _ in r)]
        body = body[-len(rows) :]  # the heading rows come first
        for c in mine:
            page = body[rows.index(c["row_key"])][1 + cols.index(c["col_key"])][2]
            book = shown(wb[c["sheet"]][c["cell"]]).replace(" ", NBSP)
            assert page == book, f"{year} table {table_no} {c['row_key']}/{c['col_key']}"
            compared += 1
    assert compared > 500


@pytest.mark.parametrize("lang", LANGS)
def test_pack_html_numbers_equal_the_xlsx(pipeline_home: Path, lang: str) -> None:
    compared = 0
    for folder in pack_dirs(pipeline_home):
        wb = openpyxl.load_workbook(folder / f"report_{lang}.xlsx")
        for table in html_tables(folder / f"report_{lang}.html").tables:
            sheet = wb[table.sheet]
            for i, row in enumerate(table.rows[1:], start=2):
                for j, (_, kind, text) in enumerate(row, start=1):
                    if kind not in ("int", "delta", "rate", "pp"):
                        continue
                    assert _UNIT.sub("", text) == shown(sheet.cell(i, j)).replace(" ", NBSP), (
                        f"{folder} {lang} {sheet.title} row {i} column {j}"
                    )
                    compared += 1
    assert compared > 100


# --- (c) a suppressed share stays suppressed --------------------------------------------------


def _suppressed(con: duckdb.DuckDBPyConnection, year: str) -> list[dict[str, Any]]:
    cur = con.execute(
        """
        select v.indicator_id, v.region_code::varchar as region, v.numerator, v.denominator
        from marts.fct_indicator_values v
        left join marts.dim_round r on r.round_id = v.period
        where v.level = 'region' and v.suppressed
          and (v.period = $year or (r.academic_year = $year and r.season = 'autumn'))
        """,
        {"year": year},
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _number(c: dict[str, str]) -> float | None:
    return None if c["mark"] or not c["value"] else float(c["value"])


@pytest.mark.parametrize("year", YEARS)
def test_no_suppressed_share_can_be_recomputed(
    pipeline_home: Path, releases: dict[str, Path], year: str
) -> None:
    cells = read_cells(releases[year])
    spec = default_spec()
    fmt = {(t.id, c.key): c.fmt for t in spec.tables for c in t.columns}
    with duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True) as con:
        withheld = _suppressed(con, year)
    by_table: dict[str, list[dict[str, str]]] = {}
    for c in cells:
        by_table.setdefault(c["table_id"], []).append(c)
    for s in withheld:
        region, num, den = s["region"], s["numerator"], s["denominator"]
        share = round(100 * num / den, 1) if den else None
        mine = [c for c in cells if c["row_key"] == region]
        where = f"{year} {s['indicator_id']} region {region}"
        # the share itself is printed nowhere for the region
        shares = {_number(c) for c in mine if fmt[(c["table_id"], c["col_key"])] == "pct"}
        assert share is None or share not in shares, f"{where}: share {share} printed"
        # its numerator is not in a row that also gives its denominator anywhere in the book
        counts = [_number(c) for c in mine if fmt[(c["table_id"], c["col_key"])] == "int"]
        if num and den and den in counts:
            # tables counted from the same submissions (NOBD autumn round) and the indicator's
            # own: a CIS or passport count equal to the numerator is a coincidence, not a key
            same = {t.id for t in spec.tables if t.source == "nobd_autumn" or t.indicator}
            for table_id, rows in by_table.items():
                if table_id not in same:
                    continue
                values = [
                    v for c in rows if c["row_key"] == region if (v := _number(c)) is not None
                ]
                derived = {
                    x - sum(rest)
                    for x in values
                    for k in range(4)
                    for rest in combinations([v for v in values if v != x], k)
                }
                assert num not in derived, f"{where}: numerator derivable from {table_id}"
    # a suppressed cell of a column with a total is never the only unknown part of that total
    for table_id, rows in by_table.items():
        by_col: dict[str, list[dict[str, str]]] = {}
        for c in rows:
            by_col.setdefault(c["col_key"], []).append(c)
        for col, column in by_col.items():
            total = next((c for c in column if c["row_key"] == "KZ"), None)
            # a row not reported adds nothing to the total: only withheld figures hide a part
            unknown = [c for c in column if c["row_key"] != "KZ" and c["mark"] == "suppressed"]
            if total is None or total["mark"] or fmt[(table_id, col)] != "int":
                continue
            if unknown:
                assert len(unknown) >= 2, f"{year} {table_id}.{col}: total minus rows gives it"


# --- (d) words, not codes ---------------------------------------------------------------------


# A file name the college sent and a text encoding (quoted in a rejection reason) are names of
# things outside the publication, not codes of ours.
_FILE_NAME = re.compile(r"\S+\.(?:xlsx|csv)\b|\b(?:UTF|Windows)-\d+\b")


def _latin(text: str) -> set[str]:
    return {t for t in _LATIN.findall(_FILE_NAME.sub(" ", text)) if t not in ALLOWED_LATIN}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("year", YEARS)
def test_no_english_code_in_the_yearbook(releases: dict[str, Path], year: str, lang: str) -> None:
    release = releases[year]
    page = html_tables(release / f"yearbook_{lang}.html")
    # the release number («1a») keeps the ministry's numbering, letter included
    found = _latin(" ".join(page.text).replace(release.name, ""))
    assert not found, f"{year} {lang} HTML: {sorted(found)}"
    if shutil.which("pdftotext"):
        found = _latin(
            " ".join(pdf_pages(release / f"yearbook_{lang}.pdf")).replace(release.name, "")
        )
        assert not found, f"{year} {lang} PDF: {sorted(found)}"
    wb = openpyxl.load_workbook(release / "yearbook.xlsx")
    texts = [
        str(c.value)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and not (ws.title != CONTENTS_SHEET and c.column == 3)
    ]  # column C of a table sheet holds the row codes (KATO, stream), for machines
    found = _latin(" ".join([*wb.sheetnames, *texts]).replace(release.name, ""))
    assert not found, f"{year} XLSX: {sorted(found)}"


@pytest.mark.parametrize("lang", LANGS)
def test_no_english_code_in_the_packs(pipeline_home: Path, lang: str) -> None:
    checked = 0
    for folder in pack_dirs(pipeline_home):
        page = html_tables(folder / f"report_{lang}.html")
        found = _latin(" ".join(page.text))
        assert not found, f"{folder} {lang} HTML: {sorted(found)}"
        wb = openpyxl.load_workbook(folder / f"report_{lang}.xlsx")
        for t in page.tables:
            ws = wb[t.sheet]
            kinds = [k for _, k, _ in t.rows[1]] if len(t.rows) > 1 else []
            for row in ws.iter_rows(min_row=2):
                for j, c in enumerate(row):
                    as_sent = j < len(kinds) and kinds[j] in AS_SENT_CLASSES
                    if isinstance(c.value, str) and not as_sent:
                        assert not _latin(c.value), f"{folder} {lang} {ws.title}: {c.value!r}"
        found = _latin(" ".join([*wb.sheetnames, *(str(c.value) for ws in wb for c in ws[1])]))
        assert not found, f"{folder} {lang} XLSX headings: {sorted(found)}"
        checked += 1
    assert checked


# --- (e) a heading stays with what it heads ---------------------------------------------------

_HEADING = re.compile(r"<h[1-3][^>]*>(.*?)</h[1-3]>", re.S)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("year", YEARS)
def test_no_pdf_page_is_a_heading_alone(releases: dict[str, Path], year: str, lang: str) -> None:
    release = releases[year]
    source = (release / f"yearbook_{lang}.html").read_text(encoding="utf-8")
    headings = {" ".join(html.unescape(h).split()) for h in _HEADING.findall(source)}
    assert headings, "no heading in the HTML book"
    alone = []
    for number, page in enumerate(pdf_pages(release / f"yearbook_{lang}.pdf")[:-1], start=1):
        # what is left without the headings, the running head (a heading) and the page number
        lines = {" ".join(line.split()) for line in page.splitlines()} - {"", str(number)}
        if lines and lines <= headings:
            alone.append((number, sorted(lines)))
    assert not alone, f"{year} {lang}: pages with a heading and nothing else: {alone}"
