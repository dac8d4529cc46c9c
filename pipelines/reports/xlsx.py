"""Render a `Document` as an XLSX workbook: one sheet per table, header row frozen."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipelines.publishing import numbers
from pipelines.publishing.xlsx import FONT, new_workbook
from pipelines.reports.tables import NUMERIC, Cell, Document, Kind, Table

# Excel number formats per cell kind; numbers take theirs from pipelines.publishing.numbers,
# so a cell holds the value in the unit its format shows (a rate 0.875 as 87.5%, a change of
# +20 percentage points as 20.0).
NUMBER_FORMATS: dict[Kind, str] = {
    "text": "@",
    "bin": "@",
    "path": "@",
    "raw": "@",
    "code": "@",
    "int": numbers.excel_format("int"),
    "delta": numbers.excel_format("delta"),
    "rate": numbers.excel_format("rate"),
    "pp": numbers.excel_format("pp"),
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
MIN_WIDTH = 6
MAX_WIDTH = 70
# A fixed creation time when the warehouse has none: the file must not depend on the clock.
EPOCH = datetime(2000, 1, 1)


class _Formats:
    def __init__(self, book: Workbook) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "top"}
        self.header = book.add_format(
            {**base, "bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True}
        )
        self.note = book.add_format({**base, "italic": True, "font_color": "#555555"})
        self.cells = {
            kind: book.add_format({**base, "num_format": fmt, "text_wrap": kind == "text"})
            for kind, fmt in NUMBER_FORMATS.items()
        }
        # Answer cells: unlocked in a protected sheet, tinted so the reader sees where to write.
        self.answer_cells = {
            kind: book.add_format(
                {
                    **base,
                    "num_format": fmt,
                    "text_wrap": kind == "text",
                    "locked": False,
                    "bg_color": "#FFF6D5",
                    "border": 1,
                    "border_color": "#BFBFBF",
                }
            )
            for kind, fmt in NUMBER_FORMATS.items()
        }
        self.total_cells = {
            kind: book.add_format(
                {**base, "num_format": fmt, "bold": True, "bg_color": "#F2F2F2", "top": 1}
            )
            for kind, fmt in NUMBER_FORMATS.items()
        }


def _shown_length(cell: Cell) -> int:
    """Roughly how many characters Excel shows for a cell, to size its column."""
    value = cell.value
    if value is None:
        return 0
    if cell.kind in ("rate", "pp"):
        return 7
    if cell.kind == "datetime":
        return 16
    if cell.kind == "date":
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _width(table: Table, col: int) -> float:
    content = max((_shown_length(row[col]) for row in table.rows), default=0)
    header = max(len(word) for word in table.header[col].split())  # headers wrap at spaces
    hint = table.widths[col] if col < len(table.widths) else None
    wanted = max(content, header, MIN_WIDTH) + 2
    return float(min(wanted, hint or MAX_WIDTH, MAX_WIDTH))


def _write_cell(sheet: Worksheet, row: int, col: int, cell: Cell, fmt: Format) -> None:
    value = cell.value
    if value is None and cell.kind in NUMERIC:
        # the same mark the HTML shows: a number that cannot exist
        sheet.write_string(row, col, numbers.SYMBOLS["not_applicable"], fmt)
    elif value is None:
        sheet.write_blank(row, col, None, fmt)
    elif cell.kind not in NUMERIC and cell.kind not in ("date", "datetime"):
        # Always a string: a BIN keeps its leading zeros, and an offending value such as
        # "=1+1" or a URL stays inert text.
        sheet.write_string(row, col, str(value), fmt)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), fmt)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    else:
        sheet.write_number(row, col, value, fmt)


def _write_table(book: Workbook, formats: _Formats, table: Table) -> None:
    sheet = book.add_worksheet(table.title[:31])
    for col, title in enumerate(table.header):
        sheet.write_string(0, col, title, formats.header)
        sheet.set_column(col, col, _width(table, col))
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(table.rows, start=1):
        is_total = table.total_row and r == len(table.rows)
        cell_formats = formats.total_cells if is_total else formats.cells
        for col, cell in enumerate(row):
            fmt = formats.answer_cells if col in table.answer_columns else cell_formats
            _write_cell(sheet, r, col, cell, fmt[cell.kind])
    if table.answer_columns:
        _protect(sheet, table)
    # A filter on the college lists (not on a total row, which a filter would sort away).
    if len(table.rows) > 1 and not table.total_row and table.key != "summary":
        sheet.autofilter(0, 0, len(table.rows), len(table.header) - 1)
    next_row = len(table.rows) + 2
    if not table.rows and table.empty_note:
        sheet.write_string(1, 0, table.empty_note, formats.note)
        next_row = 3
    for offset, note in enumerate(table.notes):
        sheet.write_string(next_row + offset, 0, note, formats.note)


def _protect(sheet: Worksheet, table: Table) -> None:
    """The answer form: every cell locked but the answer cells, so what comes back is the
    layout the ingest reads (sources/contracts/dq_response.yml); filters still work. No password:
    protection guards against slips, not against intent (the ingest checks every answer)."""
    last = len(table.rows)
    for col, values in table.choices.items():
        if last:
            sheet.data_validation(
                1,
                col,
                last,
                col,
                {"validate": "list", "source": values, "error_type": "stop"},
            )
    sheet.protect(
        "",
        {
            "autofilter": True,
            "sort": False,
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def write_workbook(doc: Document, path: Path) -> None:
    book = new_workbook(
        path,
        title=f"{doc.title}: {doc.subtitle}",
        created=doc.data_as_of or EPOCH,
    )
    formats = _Formats(book)
    for table in doc.tables:
        _write_table(book, formats, table)
    book.close()
