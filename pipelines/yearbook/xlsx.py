"""The XLSX edition: one bilingual workbook, a contents sheet and one sheet per table.

Layout of a table sheet (row numbers 1-based, as Excel shows them):
  1  «Кесте N. <Kazakh title>»          2  «Таблица N. <Russian title>»
  3  unit, both languages               5+ header: Kazakh label | Russian label | code | columns
  then one row per table row (republic first), then notes, marks and source in both languages.
Numbers are real numbers with a number format; a mark («…», «–») is text. Nothing depends on the
build time: the workbook's `created` property is the autumn reference date, so an unchanged
warehouse gives an identical file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipelines.publishing.numbers import KINDS, PARTIAL, excel_format
from pipelines.publishing.xlsx import FONT, new_workbook
from pipelines.yearbook.model import Book, Table

LABEL_COLS = 3  # Kazakh label, Russian label, code
# Sheet names are in both languages, as the workbook is (Excel allows 31 characters).
CONTENTS_SHEET = "Мазмұны – Содержание"

CellRef = tuple[str, str, str]  # table id, row key, column key


def sheet_name(table: Table) -> str:
    """Sheets are named by table number, as in the printed book («Кесте 7» is this sheet)."""
    return f"Кесте – Таблица {table.number}"


class _Styles:
    def __init__(self, wb: Workbook) -> None:
        base = {"font_name": FONT, "font_size": 9}
        self.title = wb.add_format({**base, "bold": True, "font_size": 11})
        self.italic = wb.add_format({**base, "italic": True})
        self.note = wb.add_format({**base, "font_size": 8})
        self.header = wb.add_format(
            {
                **base,
                "bold": True,
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
                "border": 1,
                "bg_color": "#E8EEF4",
            }
        )
        self.label = wb.add_format({**base, "border": 1, "text_wrap": True})
        self.label_total = wb.add_format({**base, "border": 1, "bold": True, "text_wrap": True})
        self.code = wb.add_format({**base, "border": 1, "align": "center"})
        self.mark = wb.add_format({**base, "border": 1, "align": "right"})
        self.mark_total = wb.add_format({**base, "border": 1, "align": "right", "bold": True})
        # (kind, partial) -> format; a partial count shows its «*» through the number format
        self.nums = {
            (k, p): wb.add_format({**base, "border": 1, "num_format": excel_format(k, partial=p)})
            for k in KINDS
            for p in (False, True)
        }
        self.nums_total = {
            (k, p): wb.add_format(
                {**base, "border": 1, "num_format": excel_format(k, partial=p), "bold": True}
            )
            for k in KINDS
            for p in (False, True)
        }
        self.link = wb.add_format({**base, "font_color": "blue", "underline": 1})
        self.plain = wb.add_format(base)


def _contents(ws: Worksheet, book: Book, release: str, st: _Styles) -> None:
    lab = book.labels
    ws.set_column(0, 0, 8)
    ws.set_column(1, 2, 70)
    ws.write(0, 0, book.title.kk, st.title)
    ws.write(1, 0, book.title.ru, st.title)
    ws.write(2, 0, f"{book.chapter.kk}. {book.year_line.kk}", st.italic)
    ws.write(3, 0, f"{book.chapter.ru}. {book.year_line.ru}", st.italic)
    ws.write(4, 0, f"{lab['release'].bilingual()}: {release}", st.plain)
    r = 6
    ws.write(r, 0, lab["legend"].bilingual(), st.title)
    r += 1
    seen: set[str] = set()
    for symbol, meaning in book.marks.values():
        line = f"«{symbol}»: {meaning.kk} / {meaning.ru}"
        if line not in seen:
            ws.write(r, 0, line, st.plain)
            seen.add(line)
            r += 1
    ws.write(r, 0, "«0»: нөл / ноль", st.plain)
    r += 1
    ws.write(r, 0, f"«{PARTIAL}»: {lab['partial'].kk} / {lab['partial'].ru}", st.plain)
    r += 2
    ws.write(r, 0, lab["methodology"].bilingual(), st.title)
    r += 1
    for i, m in enumerate(book.methodology, start=1):
        ws.write(r, 0, f"{i}. {m.kk}", st.plain)
        ws.write(r + 1, 0, f"{i}. {m.ru}", st.plain)
        r += 2
    r += 1
    ws.write(r, 0, lab["sheet"].bilingual(), st.header)
    ws.write(r, 1, lab["tables_list"].kk, st.header)
    ws.write(r, 2, lab["tables_list"].ru, st.header)
    for t in book.tables:
        r += 1
        ws.write_url(r, 0, f"internal:'{sheet_name(t)}'!A1", st.link, sheet_name(t))
        ws.write(r, 1, f"{lab['table'].kk} {t.number}. {t.title.kk}", st.plain)
        ws.write(r, 2, f"{lab['table'].ru} {t.number}. {t.title.ru}", st.plain)


def _header(ws: Worksheet, table: Table, book: Book, top: int, st: _Styles) -> int:
    """Write the column headings from row `top`; returns the first data row."""
    grouped = any(c.group is not None for c in table.columns)
    depth = 2 if grouped else 1
    labels = [table.row_header.kk, table.row_header.ru, book.labels["code"].bilingual()]
    for i, text in enumerate(labels):
        if depth == 2:
            ws.merge_range(top, i, top + 1, i, text, st.header)
        else:
            ws.write(top, i, text, st.header)
    col = LABEL_COLS
    cols = table.columns
    i = 0
    while i < len(cols):
        c = cols[i]
        if c.group is None:
            text = f"{c.label.kk}\n{c.label.ru}"
            if depth == 2:
                ws.merge_range(top, col + i, top + 1, col + i, text, st.header)
            else:
                ws.write(top, col + i, text, st.header)
            i += 1
            continue
        j = i
        while j + 1 < len(cols) and cols[j + 1].group == c.group:
            j += 1
        group_text = f"{c.group.kk}\n{c.group.ru}"
        if j > i:
            ws.merge_range(top, col + i, top, col + j, group_text, st.header)
        else:
            ws.write(top, col + i, group_text, st.header)
        for k in range(i, j + 1):
            ws.write(top + 1, col + k, f"{cols[k].label.kk}\n{cols[k].label.ru}", st.header)
        i = j + 1
    ws.set_row(top + depth - 1, 60)
    return top + depth


def _table_sheet(
    ws: Worksheet, table: Table, book: Book, st: _Styles, refs: dict[CellRef, str]
) -> None:
    lab = book.labels
    ws.set_column(0, 1, 30)
    ws.set_column(2, 2, 8)
    ws.set_column(LABEL_COLS, LABEL_COLS + len(table.columns) - 1, 14)
    ws.write(0, 0, f"{lab['table'].kk} {table.number}. {table.title.kk}", st.title)
    ws.write(1, 0, f"{lab['table'].ru} {table.number}. {table.title.ru}", st.title)
    ws.write(
        2, 0, f"{lab['unit'].kk}: {table.unit.kk} / {lab['unit'].ru}: {table.unit.ru}", st.italic
    )
    r = _header(ws, table, book, 4, st)
    ws.freeze_panes(r, LABEL_COLS)
    for row in table.rows:
        total = row.is_total
        ws.write_string(r, 0, row.label.kk, st.label_total if total else st.label)
        ws.write_string(r, 1, row.label.ru, st.label_total if total else st.label)
        ws.write_string(r, 2, row.key, st.code)
        for j, col in enumerate(table.columns):
            cell = table.cell(row.key, col.key)
            c = LABEL_COLS + j
            if cell.mark is not None:
                ws.write_string(r, c, book.symbol(cell.mark), st.mark_total if total else st.mark)
            else:
                fmt = (st.nums_total if total else st.nums)[(col.fmt, cell.partial)]
                ws.write_number(r, c, cell.value, fmt)  # type: ignore[arg-type]
            refs[(table.id, row.key, col.key)] = xl_rowcol_to_cell(r, c)
        r += 1
    r += 1
    if table.footnotes:
        ws.write(r, 0, f"{lab['notes'].kk} / {lab['notes'].ru}:", st.note)
        r += 1
        for i, note in enumerate(table.footnotes, start=1):
            ws.write(r, 0, f"{i}. {note.kk}", st.note)
            ws.write(r + 1, 0, f"{i}. {note.ru}", st.note)
            r += 2
    ws.write(r, 0, f"{lab['source'].kk}: {table.source.kk}", st.note)
    ws.write(r + 1, 0, f"{lab['source'].ru}: {table.source.ru}", st.note)


def write_xlsx(book: Book, release: str, path: Path) -> dict[CellRef, str]:
    """Write the workbook; returns the address of every table-body cell, for the trace."""
    refs: dict[CellRef, str] = {}
    # Fixed per academic year (1 October of its first year), never the build time.
    created = datetime(int(book.academic_year[:4]), 10, 1)
    wb = new_workbook(
        path,
        title=f"{book.title.kk} / {book.title.ru}",
        created=created,
        subject=f"{book.chapter.kk} / {book.chapter.ru}, {book.academic_year}",
        company="edustat",
        comments=f"release {release}",
    )
    st = _Styles(wb)
    _contents(wb.add_worksheet(CONTENTS_SHEET), book, release, st)
    for table in book.tables:
        ws = wb.add_worksheet(sheet_name(table))
        if table.landscape:
            ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        _table_sheet(ws, table, book, st, refs)
    wb.close()
    return refs
