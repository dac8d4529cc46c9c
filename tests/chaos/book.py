"""openpyxl helpers: find a contract sheet and column in a landing workbook by any spelling the
contract accepts, reading the file's own header row (Kazakh or Russian varies per file)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.contracts import load_contract, normalise_label

NOBD = "nobd_submission"
PASSPORT = "college_passport"


class Book:
    """One landing workbook opened for editing; the header row of every sheet is row 1."""

    def __init__(self, path: Path, source: str = NOBD) -> None:
        self.path = path
        self.contract = load_contract(source)
        self.wb: Workbook = openpyxl.load_workbook(path)

    def ws(self, sheet: str) -> Worksheet:
        spellings = self.contract.sheet(sheet).spellings()
        for ws in self.wb.worksheets:
            if normalise_label(ws.title) in spellings:
                return ws
        raise KeyError(f"{self.path.name}: no sheet '{sheet}'")

    def col(self, sheet: str, column: str) -> int:
        """1-based index of a contract column in the sheet's header row."""
        spellings = self.contract.sheet(sheet).column(column).header_spellings()
        for cell in self.ws(sheet)[1]:
            if cell.value is not None and normalise_label(cell.value) in spellings:
                return int(cell.column)
        raise KeyError(f"{self.path.name}: no column '{sheet}.{column}'")

    def rows(self, sheet: str) -> list[int]:
        """Row numbers of the sheet's data rows (non-empty rows below the header)."""
        ws = self.ws(sheet)
        return [
            r for r in range(2, ws.max_row + 1) if any(c.value not in (None, "") for c in ws[r])
        ]

    def cell(self, sheet: str, row: int, column: str) -> Any:
        return self.ws(sheet).cell(row, self.col(sheet, column))

    def get(self, sheet: str, row: int, column: str) -> Any:
        return self.cell(sheet, row, column).value

    def set(self, sheet: str, row: int, column: str, value: Any) -> None:
        self.cell(sheet, row, column).value = value

    def values(self, sheet: str, row: int) -> list[Any]:
        return [c.value for c in self.ws(sheet)[row]]

    def is_russian(self) -> bool:
        return normalise_label(self.ws("header").title) == normalise_label("Заголовок")

    def save(self, path: Path | None = None) -> None:
        self.wb.save(path or self.path)


def middle_row(book: Book, sheet: str) -> int:
    rows = book.rows(sheet)
    return rows[len(rows) // 2]


def text_cell(value: Any, decimal_comma: bool) -> str:
    """A cell as a Windows-1251 1C export writes it: dd.mm.yyyy dates, decimal commas."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if decimal_comma else text
    return str(value)


def as_sections_csv(book: Book, separator: str, decimal_comma: bool, line_end: str) -> str:
    """Every sheet as a `#<title>` section: header row, then data rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=separator, lineterminator=line_end)
    for ws in book.wb.worksheets:
        buf.write(f"#{ws.title}{line_end}")
        for row in ws.iter_rows(values_only=True):
            if any(v not in (None, "") for v in row):
                writer.writerow([text_cell(v, decimal_comma) for v in row])
    return buf.getvalue()
