"""Render `OutFile`s to bytes: XLSX through xlsxwriter, CSV with one `#<sheet>` section per sheet.

Headers and sheet titles come from the contracts (`Column.header(lang)`, `Sheet.title(lang)`),
values through the spelling tables. Output is byte-for-byte reproducible: xlsxwriter works in
memory (fixed 1980-01-01 zip timestamps) and its `created` property is the file's signing time or
a fixed date, never the wall clock.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from pipelines.contracts import Column
from pipelines.demo.files import OutFile, Style
from pipelines.demo.spellings import CODE_SPELLINGS, boolean_spelling
from pipelines.demo.tables import Table, Verbatim, contract_sheet

FIXED_CREATED = datetime(2020, 1, 1)


@dataclass(frozen=True)
class Written:
    path: str
    size: int
    sha256: str
    first_rows: dict[str, int]  # sheet -> row number of its first data row


def write(out: OutFile, landing: Path) -> Written:
    data, first_rows = render(out)
    target = landing / out.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return Written(out.path, len(data), hashlib.sha256(data).hexdigest(), first_rows)


def render(out: OutFile) -> tuple[bytes, dict[str, int]]:
    if out.post == "empty":
        return b"", {}
    if out.style.kind == "xlsx":
        data = render_xlsx(out)
        first_rows = {name: 2 for name in out.tables}
    else:
        text, first_rows = render_csv_text(out)
        data = text.encode("utf-16" if out.post == "utf16" else out.style.encoding)
    if out.post == "truncate":
        data = data[: len(data) // 2]
    return data, first_rows


# --- cell conversion -------------------------------------------------------------------------


def _code_map(source: str, col: Column, style: Style) -> dict[str, str] | None:
    variants = CODE_SPELLINGS.get((source, col.name))
    if not variants:
        return None
    options = variants[style.lang]
    return options[style.variant % len(options)]


def format_decimal(value: float, comma: bool) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if comma else text


def csv_converter(source: str, col: Column, style: Style) -> Callable[[Any], str]:
    """value -> text cell for CSV files."""
    codes = _code_map(source, col, style)
    yes, no = boolean_spelling(style.lang, style.variant)

    def convert(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, Verbatim):
            return str(v)
        if codes is not None:
            return codes[v]
        if col.type == "boolean":
            return yes if v else no
        if col.type == "datetime" and isinstance(v, datetime):
            return v.strftime(style.datetime_format)
        if col.type == "date" and isinstance(v, date):
            return v.strftime(style.date_format)
        if col.type == "decimal" and isinstance(v, float):
            return format_decimal(v, style.decimal_comma)
        return str(v)

    return convert


# --- CSV -------------------------------------------------------------------------------------


def render_csv_text(out: OutFile) -> tuple[str, dict[str, int]]:
    """Sections `#<sheet title>`, header row, data rows; returns the text and, per sheet, the
    physical line number of its first data row."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=out.style.separator, lineterminator=out.style.line_end)
    line = 0
    first_rows: dict[str, int] = {}
    for name, table in out.tables.items():
        sheet = contract_sheet(out.source, table.sheet)
        cols = [sheet.column(c) for c in table.columns]
        convs = [csv_converter(out.source, c, out.style) for c in cols]
        buf.write(f"#{sheet.title(out.style.lang)}{out.style.line_end}")
        writer.writerow([c.header(out.style.lang) for c in cols])
        line += 2
        first_rows[name] = line + 1
        for row in table.rows:
            writer.writerow([f(v) for f, v in zip(convs, row, strict=True)])
        line += len(table.rows)
    return buf.getvalue(), first_rows


# --- XLSX ------------------------------------------------------------------------------------


def render_xlsx(out: OutFile) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": out.signed_at or FIXED_CREATED, "title": out.path.split("/")[-1]})
    formats = {
        "date": wb.add_format({"num_format": "dd.mm.yyyy"}),
        "datetime": wb.add_format({"num_format": "dd.mm.yyyy hh:mm:ss"}),
        "header": wb.add_format({"bold": True}),
    }
    for table in out.tables.values():
        _xlsx_sheet(wb, out, table, formats)
    wb.close()
    return buf.getvalue()


def _xlsx_sheet(wb: Any, out: OutFile, table: Table, formats: dict[str, Any]) -> None:
    sheet = contract_sheet(out.source, table.sheet)
    ws = wb.add_worksheet(sheet.title(out.style.lang))
    cols = [sheet.column(c) for c in table.columns]
    for j, c in enumerate(cols):
        ws.write_string(0, j, c.header(out.style.lang), formats["header"])
    writers = [_xlsx_cell_writer(ws, out.source, c, out.style, formats) for c in cols]
    for i, row in enumerate(table.rows, start=1):
        for j, v in enumerate(row):
            if v is not None:
                writers[j](i, j, v)


def _xlsx_cell_writer(
    ws: Any, source: str, col: Column, style: Style, formats: dict[str, Any]
) -> Callable[[int, int, Any], Any]:
    """A function writing one cell of this column with the right xlsxwriter call."""
    text = csv_converter(source, col, style)
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    if col.type in ("integer", "decimal"):
        return lambda i, j, v: (
            write_number(i, j, v) if isinstance(v, int | float) and not isinstance(v, bool)
            else write_string(i, j, str(v))
        )  # fmt: skip
    if col.type in ("date", "datetime"):
        fmt = formats[col.type]
        return lambda i, j, v: (
            write_datetime(i, j, _as_datetime(v), fmt) if isinstance(v, date)
            else write_string(i, j, str(v))
        )  # fmt: skip
    return lambda i, j, v: write_string(i, j, text(v))


def _as_datetime(v: date) -> datetime:
    return v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)
