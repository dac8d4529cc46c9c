"""Contract-driven reading: a file's bytes -> typed, pseudonymised frames per contract sheet.

The reader never writes anything. It either returns a `ParsedFile` (rows of every sheet it found,
plus cell-level issues) or raises `Rejected` with a structure.* rule id. IIN columns leave this
module only as `<name>_hash` / `<name>_valid`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import polars as pl

from pipelines.contracts import Contract, Sheet, all_contracts, normalise_label
from pipelines.ingest import coerce
from pipelines.ingest.cells import ROW, CellSheet, Rejected
from pipelines.ingest.coerce import ISSUE_SCHEMA, empty_issues
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
    """Bytes -> CellSheets by extension (xlsx or csv); a file of no bytes is empty."""
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


@dataclass(frozen=True)
class _Header:
    index: int  # position in the cell frame
    row_number: int  # as a person sees it
    cells: list[str | None]


def _find_header(frame: pl.DataFrame, header_map: dict[str, str], perfect: int) -> _Header | None:
    """The header row: among the first non-blank rows, the one matching most contract headers
    (a row matching `perfect` headers, every contract column, ends the search)."""
    cols = [c for c in frame.columns if c != ROW]
    if not cols:
        return None
    best: tuple[int, _Header] | None = None
    seen = 0
    # A few rows in plain Python: cheaper than a polars query for the top of the sheet.
    top = frame.head(_HEADER_SEARCH_ROWS * 5)
    at = top.get_column_index(ROW)
    for i, row in enumerate(top.rows()):
        cells = [v for j, v in enumerate(row) if j != at]
        if all(v is None or not v.strip() for v in cells):
            continue  # blank rows above the header are skipped, not counted
        score = sum(normalise_label(v) in header_map for v in cells if v is not None)
        if best is None or score > best[0]:
            best = (score, _Header(i, int(row[at]), cells))
        seen += 1
        if seen == _HEADER_SEARCH_ROWS or score >= perfect:
            break
    return None if best is None else best[1]


def _samples(
    frame: pl.DataFrame, header: _Header, mapping: dict[str, str], names: list[str]
) -> dict[str, str | None]:
    """First non-blank text below the header, per column in `names` (their format decides)."""
    below = frame.slice(header.index + 1, 50)
    out: dict[str, str | None] = {}
    for name in names:
        values = below.get_column(mapping[name]).to_list() if name in mapping else []
        out[name] = next((v.strip() for v in values if v is not None and v.strip()), None)
    return out


_SHEETS: dict[str, Sheet] = {
    sheet.raw_table: sheet for contract in all_contracts().values() for sheet in contract.sheets
}


@functools.cache
def _header_map(raw_table: str) -> dict[str, str]:
    return _SHEETS[raw_table].header_map()


@functools.lru_cache(maxsize=256)
def _queries(
    raw_table: str,
    mapping: tuple[tuple[str, str], ...],
    formats: tuple[tuple[str, str | None], ...],
) -> tuple[list[pl.Expr], pl.Expr, list[pl.Expr]]:
    """The text projection, the non-blank-row filter and the typed columns of one sheet layout.

    Building polars expressions costs Python time per expression; files from the same export
    software share a layout (column positions, date formats), so each layout is built once.
    """
    sheet = _SHEETS[raw_table]
    cols = dict(mapping)

    def cell_text(name: str) -> pl.Expr:
        if name not in cols:
            return pl.lit(None, dtype=pl.String).alias(name)
        raw = pl.col(cols[name]).cast(pl.String)
        # Blank (empty or whitespace only) is NULL for every type, strings included.
        return pl.when(raw.str.strip_chars() == "").then(None).otherwise(raw).alias(name)

    names = [c.name for c in sheet.columns]
    text = [pl.col(ROW).cast(pl.Int64), *[cell_text(n) for n in names]]
    nonblank = pl.any_horizontal(pl.col(names).is_not_null())
    return text, nonblank, coerce.typed_columns(sheet.columns, dict(formats))


def _typed_sheet(
    sheet: Sheet,
    cell: CellSheet,
    path: str,
    issue_rows: list[dict[str, object]],
    issue_frames: list[pl.DataFrame],
    pseudonymiser: Pseudonymiser,
) -> pl.DataFrame:
    """Header -> contract columns -> typed, IIN-pseudonymised rows, in one polars query."""
    where = f"sheet '{sheet.name}' ({safe_text(cell.label) or _titles(sheet.headers)})"
    header_map = _header_map(sheet.raw_table)
    header = _find_header(cell.frame, header_map, len(sheet.columns)) or _Header(-1, 0, [])
    mapping: dict[str, str] = {}  # contract column -> cN
    for i, text in enumerate(header.cells):
        if text is None or not text.strip():
            continue
        name = header_map.get(normalise_label(text))
        if name is None:
            issue_rows.append(
                _issue(
                    sheet.name, safe_text(text.strip()), "unknown column ignored", header.row_number
                )
            )
        elif name in mapping:
            issue_rows.append(
                _issue(sheet.name, name, "second column for this field ignored", header.row_number)
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

    dated = [c.name for c in sheet.columns if c.type in ("date", "datetime")]
    samples = _samples(cell.frame, header, mapping, dated)
    formats = tuple((n, coerce.sample_format(samples[n])) for n in dated)
    text_exprs, nonblank, typed_exprs = _queries(
        sheet.raw_table, tuple(sorted(mapping.items())), formats
    )
    text = cell.frame.lazy().slice(header.index + 1).select(text_exprs).filter(nonblank)
    # The in-memory engine: on a sheet of a few hundred rows the default engine's set-up costs
    # more than the work (measured 2x on this query).
    typed = text.with_columns(typed_exprs).collect(engine="in-memory")
    flagged = [c for c in sheet.columns if coerce.flag(c.name) in typed.columns]
    failing = [c for c in flagged if typed.get_column(coerce.flag(c.name)).any()]
    if failing:  # rare: recompute the text once, retype those columns, log the cells
        text_frame = text.collect(engine="in-memory")
        for series in coerce.retype(text_frame, failing):
            typed.replace_column(typed.get_column_index(series.name), series)
        issue_frames.append(coerce.issues(text_frame, typed, failing, sheet.name))
    for c in flagged:
        typed.drop_in_place(coerce.flag(c.name))
    for col in sheet.columns:
        if col.pii == "iin":
            typed = pseudonymiser.replace_column(typed, col.name)
    return typed


def parse(contract: Contract, data: bytes, path: str, pseudonymiser: Pseudonymiser) -> ParsedFile:
    """Read one file through its contract. Raises `Rejected` when it cannot be read."""
    cells, encoding = read_cells(contract, data, path)
    issue_rows: list[dict[str, object]] = []
    matched = _match_sheets(contract, cells, issue_rows)
    # Blankness costs a query per sheet: only asked when nothing useful was found.
    nothing = not matched or all(c.frame.height <= 1 for c in matched.values())
    if nothing and all(_is_blank(c.frame) for c in cells):
        raise Rejected("structure.empty_file", path, "no sheet holds any data")
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
        frame = _typed_sheet(sheet, cell, path, issue_rows, issue_frames, pseudonymiser)
        parsed.append(ParsedSheet(sheet, cell.label, frame))
    if issue_rows:
        issue_frames.insert(0, pl.DataFrame(issue_rows, schema=ISSUE_SCHEMA))
    issues = pl.concat(issue_frames) if issue_frames else empty_issues()
    return ParsedFile(tuple(parsed), issues, encoding)
