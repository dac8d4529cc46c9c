"""Contract-driven reading: a file's bytes -> typed, pseudonymised frames per contract sheet.

The reader never writes anything. It either returns a `ParsedFile` (rows of every sheet it found,
plus cell-level issues) or raises `Rejected` with a structure.* rule id. IIN columns leave this
module only as `<name>_hash` / `<name>_valid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from pipelines.contracts import Contract, Sheet, normalise_label
from pipelines.ingest.cells import ROW, CellSheet, Rejected
from pipelines.ingest.coerce import ISSUE_SCHEMA, coerce, empty_issues
from pipelines.ingest.csv_cells import read_csv_cells
from pipelines.ingest.pseudonym import Pseudonymiser
from pipelines.ingest.xlsx_cells import read_xlsx_cells

# The header row is looked for among the first rows that hold anything (a title line above the
# header is common in hand-made workbooks).
_HEADER_SEARCH_ROWS = 10
# Runs of 6+ digits in texts we echo back (a header cell, a sheet name) are masked: if a file has
# no header row, its "headers" are data and could be an IIN.
_LONG_DIGITS = re.compile(r"\d{6,}")


@dataclass(frozen=True)
class ParsedSheet:
    sheet: Sheet  # the contract sheet
    label: str  # the sheet / section name as written in the file
    frame: pl.DataFrame  # raw-table columns (typed, IINs hashed) + `_row_number`


@dataclass(frozen=True)
class ParsedFile:
    sheets: tuple[ParsedSheet, ...]
    issues: pl.DataFrame  # coerce.ISSUE_SCHEMA
    encoding: str | None  # CSV only

    def sheet(self, name: str) -> ParsedSheet | None:
        return next((s for s in self.sheets if s.sheet.name == name), None)


def safe_text(text: object) -> str:
    return _LONG_DIGITS.sub(lambda m: "*" * len(m.group()), str(text))


def _titles(headers: dict[str, list[str]]) -> str:
    """'Кітапхана қоры/Библиотечный фонд': the kk and ru names, as a person looks for them."""
    return "/".join(dict.fromkeys(v[0] for k, v in headers.items() if k != "en"))


def _issue(
    sheet: str | None, field: str | None, problem: str, row: int | None = None
) -> dict[str, object]:
    return {"sheet": sheet, "row_number": row, "field": field, "problem": problem, "value": None}


def known_headers(contract: Contract) -> set[str]:
    return {h for sheet in contract.sheets for h in sheet.header_map()}


def read_cells(contract: Contract, data: bytes, path: str) -> tuple[list[CellSheet], str | None]:
    """Bytes -> CellSheets by extension (xlsx or csv), with empty-file detection."""
    if not data.strip():
        raise Rejected("structure.empty_file", path, "file is empty")
    ext = path.rsplit(".", 1)[-1].lower()
    if ext == "xlsx":
        wanted = {s for sheet in contract.sheets for s in sheet.spellings()}
        cells, encoding = read_xlsx_cells(data, path, wanted), None
    elif ext == "csv":
        cells, encoding = read_csv_cells(data, path, known_headers(contract))
    else:
        raise Rejected(
            "structure.unreadable_file", path, f"unsupported file type '.{safe_text(ext)}'"
        )
    if all(_is_blank(c.frame) for c in cells):
        raise Rejected("structure.empty_file", path, "no sheet holds any data")
    return cells, encoding


def _is_blank(df: pl.DataFrame) -> bool:
    cols = [c for c in df.columns if c != ROW]
    if not cols or df.height == 0:
        return True
    return not df.select(pl.any_horizontal(pl.col(cols).str.strip_chars().ne("")).any()).item()


def _match_sheets(
    contract: Contract, cells: list[CellSheet], issues: list[dict[str, object]]
) -> dict[str, CellSheet]:
    by_spelling = {s: sheet.name for sheet in contract.sheets for s in sheet.spellings()}
    found: dict[str, CellSheet] = {}
    for cell in cells:
        name = by_spelling.get(normalise_label(cell.label))
        if name is None:
            issues.append(_issue(safe_text(cell.label), None, "unknown sheet ignored"))
        elif name in found:
            issues.append(_issue(safe_text(cell.label), None, f"second '{name}' sheet ignored"))
        else:
            found[name] = cell
    return found


def _find_header(
    frame: pl.DataFrame, header_map: dict[str, str]
) -> tuple[int, list[str | None]] | None:
    """(row number, cells) of the header row: the early row matching the most contract headers."""
    cols = [c for c in frame.columns if c != ROW]
    if not cols:
        return None
    nonblank = frame.filter(pl.any_horizontal(pl.col(cols).str.strip_chars().ne("")))
    best: tuple[int, int, list[str | None]] | None = None
    for row in nonblank.head(_HEADER_SEARCH_ROWS).iter_rows(named=True):
        cells = [row[c] for c in cols]
        score = sum(normalise_label(v) in header_map for v in cells if v is not None)
        if best is None or score > best[0]:
            best = (score, row[ROW], cells)
    return None if best is None else (best[1], best[2])


def _sheet_frame(
    sheet: Sheet, cell: CellSheet, path: str, issues: list[dict[str, object]]
) -> pl.DataFrame:
    """Recognise the header, map columns to the contract, keep non-blank data rows (still text)."""
    where = f"sheet '{sheet.name}' ({safe_text(cell.label) or _titles(sheet.headers)})"
    header_map = sheet.header_map()
    found = _find_header(cell.frame, header_map)
    header_row, header_cells = found if found else (0, [])
    mapping: dict[str, str] = {}  # contract column -> cN
    for i, text in enumerate(header_cells):
        if text is None or not text.strip():
            continue
        name = header_map.get(normalise_label(text))
        if name is None:
            issues.append(
                _issue(sheet.name, safe_text(text.strip()), "unknown column ignored", header_row)
            )
        elif name in mapping:
            issues.append(
                _issue(sheet.name, name, "second column for this field ignored", header_row)
            )
        else:
            mapping[name] = f"c{i}"
    for col in sheet.columns:
        if col.required and col.name not in mapping:
            raise Rejected(
                "structure.missing_column",
                path,
                f"{where}: column '{col.name}' ({_titles(col.headers)}) not found",
            )
    data = cell.frame.filter(pl.col(ROW) > header_row)
    selected = data.select(
        pl.col(ROW),
        *[
            (pl.col(mapping[c.name]) if c.name in mapping else pl.lit(None, dtype=pl.String)).alias(
                c.name
            )
            for c in sheet.columns
        ],
    )
    names = [c.name for c in sheet.columns]
    return selected.filter(pl.any_horizontal(pl.col(names).str.strip_chars().ne("")))


def parse(contract: Contract, data: bytes, path: str, pseudonymiser: Pseudonymiser) -> ParsedFile:
    """Read one file through its contract. Raises `Rejected` when it cannot be read."""
    cells, encoding = read_cells(contract, data, path)
    issue_rows: list[dict[str, object]] = []
    matched = _match_sheets(contract, cells, issue_rows)
    if not matched and encoding == "cp1251":
        # Windows-1251 decodes almost any byte string; if not one section name makes sense the
        # text was in some other encoding.
        raise Rejected(
            "structure.bad_encoding", path, "no recognisable section in UTF-8 or Windows-1251"
        )
    for sheet in contract.sheets:
        if sheet.required and sheet.name not in matched:
            raise Rejected(
                "structure.missing_sheet",
                path,
                f"sheet '{sheet.name}' ({_titles(sheet.headers)}) not found",
            )
    parsed: list[ParsedSheet] = []
    issue_frames = []
    for sheet in contract.sheets:
        cell = matched.get(sheet.name)
        if cell is None:
            continue
        text = _sheet_frame(sheet, cell, path, issue_rows)
        typed = coerce(text, sheet.columns, sheet.name)
        issue_frames.append(typed.issues)
        frame = typed.frame
        for col in sheet.columns:
            if col.pii == "iin":
                frame = pseudonymiser.replace_column(frame, col.name)
        parsed.append(ParsedSheet(sheet, cell.label, frame))
    if issue_rows:
        issue_frames.insert(0, pl.DataFrame(issue_rows, schema=ISSUE_SCHEMA))
    issues = pl.concat(issue_frames) if issue_frames else empty_issues()
    return ParsedFile(tuple(parsed), issues, encoding)
