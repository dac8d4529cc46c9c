"""XLSX files through calamine (fastexcel, the engine behind polars' read_excel) -> CellSheets.

Every cell is requested as text: one coercion path serves XLSX and CSV alike, and codes such as
'0101000' keep their leading zeros. Dates come back as ISO text, which the coercer accepts.

calamine holds a whole sheet in memory (~2x its XML: 1.35 GB for 1,000,000 rows), and a window
read (`skip_rows`/`n_rows`) parses the whole sheet again for each window. A sheet whose XML is
larger than a chunk is therefore cut into runs of whole rows, each given to calamine as a
workbook of its own (the original's every other part, this sheet's XML holding only those rows):
calamine still reads every cell, styles, shared strings and dates, so the cells read as they
would in the whole sheet.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

import fastexcel
import polars as pl

from pipelines.ingest.cells import (
    HEAD_ROWS,
    CellSheet,
    Rejected,
    Unchunkable,
    is_blank,
    numbered,
    safe_text,
    sheet_key,
)

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
_SHEET_DATA = b"<sheetData>"
_ROW_END = b"</row>"
_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData/></worksheet>"
)
# A cell in column A just outside a chunk's rows: it fixes the frame's first column at A in every
# chunk (calamine starts a sheet at its first filled column) and its first row (skipping the rows
# before it without storing them), and shows that the rows landed where their numbers say.
_MARK = "\u2063edustat-chunk\u2063"
_READ_BLOCK = 1 << 20


def read_xlsx_cells(
    data: bytes, path: str, wanted: set[str] | None = None, chunk_bytes: int | None = None
) -> list[CellSheet]:
    """Sheets of a workbook as CellSheets; `wanted` (normalised names) limits which are loaded.

    A sheet whose XML exceeds `chunk_bytes` comes in row chunks (`CellSheet.rest`); None reads
    every sheet whole.
    """
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
    large = _large_sheets(data, chunk_bytes) if chunk_bytes else {}
    for idx, name in enumerate(names):
        if wanted is not None and sheet_key(name) not in wanted:
            out.append(CellSheet(name, pl.DataFrame()))  # listed (for messages), not loaded
            continue
        if name in large:
            chunks = _chunks(data, large[name], name, chunk_bytes or 0)
            try:
                first = next(chunks)
                # Blank top rows would be judged (empty sheet, no header) without the rest.
                if not is_blank(first):
                    out.append(CellSheet(name, first, chunks))
                    continue
            except Unchunkable:
                pass
            chunks.close()  # read whole below, as any sheet
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


def _large_sheets(data: bytes, chunk_bytes: int) -> dict[str, str]:
    """Sheet name -> its XML part, for the sheets whose XML is larger than `chunk_bytes`.

    The zip directory alone answers for the common small workbook; only a large one has its
    workbook and relationships parsed. Anything unexpected: no sheet is chunked.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            sizes = {i.filename: i.file_size for i in zf.infolist()}
            if not any(_WORKSHEET.fullmatch(n) and s > chunk_bytes for n, s in sizes.items()):
                return {}
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # damage is for the whole-sheet read to find and report
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    out: dict[str, str] = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if sizes.get(part, 0) > chunk_bytes and sheet.get("name") is not None:
            out[str(sheet.get("name"))] = part
    return out


def _row_numbers(rows: bytes) -> tuple[int, int]:
    """The numbers of the first and last rows in a run of `<row>` elements."""
    first = _ROW_NUMBER.match(rows.lstrip())
    last = _ROW_NUMBER.match(rows, rows.rfind(b"<row"))
    if first is None or last is None:
        raise Unchunkable("a row without its number")  # calamine would count rows itself
    return int(first.group(1)), int(last.group(1))


def _mark_row(row: int) -> bytes:
    return (
        f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>{_MARK}</t></is></c></row>'
    ).encode()


def _chunks(data: bytes, part: str, name: str, chunk_bytes: int) -> Iterator[pl.DataFrame]:
    """The cell frames of one sheet, in chunks of whole rows of about `chunk_bytes` of XML.

    Raises Unchunkable (at the first chunk or any later one) when the XML is not the plain
    numbered rows this relies on; the caller then reads the sheet whole.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        # Every other part as it is (styles, shared strings, the date system...), other sheets
        # empty: calamine opens them only when asked.
        parts = [
            (i.filename, _EMPTY_SHEET if _WORKSHEET.fullmatch(i.filename) else zf.read(i))
            for i in zf.infolist()
            if i.filename != part
        ]
        xml = zf.open(part)
    except Exception as exc:
        raise Unchunkable("workbook parts cannot be read") from exc
    with zf, xml:
        buf = bytearray()
        prefix: bytes | None = None
        width = bottom = 0
        first = True
        while True:
            try:
                block = xml.read(_READ_BLOCK)
            except Exception as exc:  # damaged deflate data: the whole-sheet read reports it
                raise Unchunkable("sheet XML cannot be read") from exc
            buf += block
            if prefix is None:
                at = buf.find(_SHEET_DATA)
                if at < 0:
                    if not block or len(buf) > chunk_bytes:
                        raise Unchunkable("no <sheetData> element")
                    continue
                at += len(_SHEET_DATA)
                # calamine sizes its cell store from <dimension>: the whole sheet's, not a chunk's.
                prefix = _DIMENSION.sub(b"", bytes(buf[:at]))
                del buf[:at]
            while (cut := _cut(buf, chunk_bytes, first, end=not block)) is not None:
                with memoryview(buf) as view:  # one copy of the rows, not two
                    rows = bytes(view[:cut])
                del buf[:cut]
                if not rows.strip():
                    break
                top, after = _row_numbers(rows)
                # A row numbered at or above an earlier chunk's joins that row in a whole read.
                if top <= bottom:
                    raise Unchunkable("rows out of order across chunks")
                bottom = after
                frame = _read_chunk(parts, part, prefix, rows, (top, bottom), name, first, width)
                width = max(width, frame.width - 1)
                first = False
                yield frame
            if not block:
                if first:
                    raise Unchunkable("no rows")
                return


def _cut(buf: bytearray, chunk_bytes: int, first: bool, end: bool) -> int | None:
    """Where the next chunk of rows ends in `buf` (None: read more first): after the last row
    that ends within `chunk_bytes`, and after at least HEAD_ROWS rows in the first chunk."""
    if end:
        at = buf.find(b"</sheetData>")
        if at < 0:
            raise Unchunkable("no </sheetData>")
        return at
    if len(buf) < chunk_bytes:
        return None
    at = buf.rfind(_ROW_END, 0, chunk_bytes)
    if at < 0:  # one row longer than a chunk
        at = buf.find(_ROW_END)
        if at < 0:
            return None
    if first:
        nth = -1
        for _ in range(HEAD_ROWS):
            nth = buf.find(_ROW_END, nth + 1)
            if nth < 0:
                return None
        at = max(at, nth)
    return at + len(_ROW_END)


def _read_chunk(
    parts: list[tuple[str, bytes]],
    part: str,
    prefix: bytes,
    rows: bytes,
    numbers: tuple[int, int],
    name: str,
    first: bool,
    width: int,
) -> pl.DataFrame:
    """One run of `<row>` elements (the first and last numbered `numbers`) as a cell frame
    numbered by Excel row, columns from A, at least `width` of them; `prefix` is the sheet's XML
    up to <sheetData>; the first chunk is the one that starts with the sheet."""
    top, bottom = numbers
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_STORED) as out:
        for filename, content in parts:
            out.writestr(filename, content)
        with out.open(part, "w", force_zip64=True) as sheet:  # in pieces: no joined copy
            for piece in (prefix, b"" if first else _mark_row(top - 1), rows):
                sheet.write(piece)
            sheet.write(_mark_row(bottom + 1) + b"</sheetData></worksheet>")
    try:
        reader = fastexcel.read_excel(book.getvalue())
        # The first chunk keeps its leading blank rows, as the whole sheet does (index + 1 =
        # Excel row); later ones start at their leading mark (skip_rows=None: blank rows before
        # it are skipped, not stored).
        cells = reader.load_sheet(
            name, header_row=None, skip_rows=0 if first else None, dtypes="string"
        ).to_polars()
    except Exception as exc:
        raise Unchunkable("chunk cannot be read") from exc
    start = 1 if first else top - 1
    expected = bottom + 1 - start + 1
    marks = [0, expected - 1] if not first else [expected - 1]
    if cells.height != expected or any(not _is_mark(cells.row(i)) for i in marks):
        raise Unchunkable("rows out of order or numbered twice")
    cells = cells.slice(0 if first else 1, bottom - (1 if first else top) + 1)
    frame = numbered(cells, 1 if first else top)
    pad = [pl.lit(None, pl.String).alias(f"c{i}") for i in range(frame.width - 1, width)]
    return frame.with_columns(pad) if pad else frame


def _is_mark(row: tuple[object, ...]) -> bool:
    return row[0] == _MARK and all(v is None for v in row[1:])
