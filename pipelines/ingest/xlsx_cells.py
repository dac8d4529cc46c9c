"""XLSX files through calamine (fastexcel, the engine behind polars' read_excel) -> CellSheets.

Every cell is requested as text: one coercion path serves XLSX and CSV alike, and codes such as
'0101000' keep their leading zeros. Dates come back as ISO text, which the coercer accepts.
"""

from __future__ import annotations

import fastexcel
import polars as pl

from pipelines.ingest.cells import CellSheet, Rejected, numbered, safe_text, sheet_key


def read_xlsx_cells(data: bytes, path: str, wanted: set[str] | None = None) -> list[CellSheet]:
    """Sheets of a workbook as CellSheets; `wanted` (normalised names) limits which are loaded."""
    try:
        reader = fastexcel.read_excel(data)
        names = reader.sheet_names
    except Exception:  # calamine raises several types for zip/xml damage
        raise Rejected(
            "structure.unreadable_file",
            path,
            # The library's exception name (CalamineError...) tells the clerk nothing.
            "workbook cannot be opened (damaged, incomplete or not an xlsx file)",
            kk="жұмыс кітабы ашылмайды (файл бүлінген, толық емес немесе xlsx емес)",
            ru="книга не открывается (файл повреждён, неполный или не в формате xlsx)",
        ) from None
    out = []
    if wanted is not None and not any(sheet_key(n) in wanted for n in names):
        wanted = None  # no contract sheet at all: load every sheet to tell empty from misnamed
    for idx, name in enumerate(names):
        if wanted is not None and sheet_key(name) not in wanted:
            out.append(CellSheet(name, pl.DataFrame()))  # listed (for messages), not loaded
            continue
        try:
            # header_row=None + skip_rows=0: keep leading blank rows, so index + 1 = Excel row.
            sheet = reader.load_sheet(idx, header_row=None, skip_rows=0, dtypes="string")
            df = sheet.to_polars()
        except Exception:
            label = safe_text(name)
            raise Rejected(
                "structure.unreadable_file",
                path,
                f"sheet '{label}' cannot be read (damaged)",
                kk=f"«{label}» парағы оқылмайды (бүлінген)",
                ru=f"лист «{label}» не читается (повреждён)",
            ) from None
        out.append(CellSheet(name, numbered(df, 1)))
    return out
