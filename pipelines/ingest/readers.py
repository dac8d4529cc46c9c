"""Contract-driven reading: a file's bytes -> typed, pseudonymised frames per contract sheet.

The reader never writes to the warehouse. It either returns a `ParsedFile` (rows of every sheet it
found, plus cell-level issues) or raises `Rejected` with a structure.* rule id. IIN columns leave
this module only as `<name>_hash` / `<name>_valid`.

A sheet larger than a chunk (cells.CHUNK_BYTES) is read and typed one chunk of rows at a time:
its first chunk stays in memory like any sheet, every later one is typed, pseudonymised and
spilled to a Parquet file of a temporary folder (`ParsedFile.spill_dir`, removed once written),
so memory is bounded by a chunk, not by the sheet. The header, columns and date formats come from
the first chunk, as they come from the top of a whole sheet; typing is row by row, so the rows
and issues are those of the whole sheet.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.contracts import Contract, Sheet, all_contracts, normalise_label
from pipelines.ingest import coerce
from pipelines.ingest.cells import (
    PART,
    ROW,
    CellSheet,
    Rejected,
    Unchunkable,
    is_blank,
    safe_text,
    sheet_key,
)
from pipelines.ingest.coerce import ISSUE_SCHEMA, empty_issues
from pipelines.ingest.csv_cells import read_csv_cells
from pipelines.ingest.masking import mask_frame, mask_issue_values
from pipelines.ingest.pseudonym import Pseudonymiser
from pipelines.ingest.xlsx_cells import read_xlsx_cells
from pipelines.leftovers import temp_prefix

# The header row is looked for among the first rows that hold anything (a title line above the
# header is common in hand-made workbooks).
_HEADER_SEARCH_ROWS = 10
# Rows of a second (third...) sheet loaded as the same contract sheet are numbered
# k * _EXTRA_SHEET_ROWS + their Excel row (k = 1, 2...): findings and duplicates key on
# (file, row number), so two sheets' row 2 must not collide; the Excel row stays readable in the
# last seven digits (Excel has at most 1,048,576 rows).
EXTRA_SHEET_ROWS = 10_000_000
# An unmarked CSV section is taken for the contract sheet whose headers its header row matches,
# when it matches at least this many (one shared word is no evidence).
_MIN_HEADER_MATCHES = 2


@dataclass(frozen=True)
class ParsedSheet:
    sheet: Sheet  # the contract sheet
    label: str  # the sheet / section name as written in the file
    frame: pl.DataFrame  # raw-table columns (typed, IINs hashed) + `_row_number`
    spilled: tuple[str, ...] = ()  # Parquet files with the sheet's further rows, frame's columns
    spilled_rows: int = 0

    @property
    def rows(self) -> int:
        return self.frame.height + self.spilled_rows


@dataclass(frozen=True)
class ParsedFile:
    sheets: tuple[ParsedSheet, ...]
    issues: pl.DataFrame  # coerce.ISSUE_SCHEMA
    encoding: str | None  # CSV only
    spill_dir: str | None = None  # the temporary folder of the spilled rows, if any

    def sheet(self, name: str) -> ParsedSheet | None:
        return next((s for s in self.sheets if s.sheet.name == name), None)


def _titles(headers: dict[str, list[str]]) -> str:
    """'Кітапхана қоры/Библиотечный фонд': the kk and ru names, as a person looks for them."""
    return "/".join(dict.fromkeys(v[0] for k, v in headers.items() if k != "en"))


def _issue(
    sheet: str | None, field: str | None, problem: str, row: int | None = None
) -> dict[str, object]:
    return {"sheet": sheet, "row_number": row, "field": field, "problem": problem, "value": None}


def _named(headers: dict[str, list[str]], lang: str, file_lang: str | None) -> str:
    """A sheet or column as a clerk reading `lang` finds it: «its name in the file's language»,
    with the name in `lang` beside it when that differs."""
    own = headers.get(lang, [""])[0]
    seen = headers.get(file_lang, [own])[0] if file_lang else own
    return f"«{seen}»" if seen == own else f"«{seen}» ({own})"


def _file_language(contract: Contract, labels: list[str]) -> str | None:
    """The language the file's sheet names are written in (kk, ru or en), if any is known."""
    votes: Counter[str] = Counter()
    for label in labels:
        key = sheet_key(label)
        for sheet in contract.sheets:
            for lang, names in sheet.headers.items():
                if key in {normalise_label(n) for n in names}:
                    votes[lang] += 1
    return votes.most_common(1)[0][0] if votes else None


def known_headers(contract: Contract) -> set[str]:
    return {h for sheet in contract.sheets for h in sheet.header_map()}


def read_cells(
    contract: Contract, data: bytes, path: str, chunk_bytes: int | None = None
) -> tuple[list[CellSheet], str | None]:
    """Bytes -> CellSheets by extension (xlsx or csv); a file of no bytes is empty. Sheets
    larger than `chunk_bytes` come in chunks (CellSheet.rest); None: every sheet whole."""
    if not data.strip():
        raise Rejected(
            "structure.empty_file", path, "file is empty", kk="файл бос", ru="файл пустой"
        )
    ext = path.rsplit(".", 1)[-1].lower()
    if ext == "xlsx":
        wanted = {s for sheet in contract.sheets for s in sheet.spellings()}
        cells, encoding = read_xlsx_cells(data, path, wanted, chunk_bytes), None
    elif ext == "csv":
        cells, encoding = read_csv_cells(data, path, known_headers(contract), chunk_bytes)
    else:
        shown = safe_text(ext)
        raise Rejected(
            "structure.unreadable_file",
            path,
            f"unsupported file type '.{shown}' (expected .xlsx or .csv)",
            kk=f"'.{shown}' файл түрі қабылданбайды (.xlsx немесе .csv күтіледі)",
            ru=f"тип файла '.{shown}' не поддерживается (ожидается .xlsx или .csv)",
        )
    return cells, encoding


def _top_labels(frame: pl.DataFrame) -> set[str]:
    """Normalised texts of the first rows of a cell frame (where a header row would be)."""
    top = frame.head(_HEADER_SEARCH_ROWS * 2).drop(ROW, strict=False)
    return {normalise_label(v) for row in top.rows() for v in row if v is not None and v.strip()}


def _sheet_by_headers(contract: Contract, cell: CellSheet) -> str | None:
    """The contract sheet an unmarked section is, by its header row (a CSV export of one sheet
    without its '#<sheet>' line)."""
    labels = _top_labels(cell.frame)
    scores = {s.name: len(labels & set(s.header_map())) for s in contract.sheets}
    best = max(scores, key=lambda n: scores[n], default=None)
    return best if best is not None and scores[best] >= _MIN_HEADER_MATCHES else None


def _match_sheets(
    contract: Contract, cells: list[CellSheet], issues: list[dict[str, object]]
) -> dict[str, list[CellSheet]]:
    """Contract sheet -> the file's sheets spelling it, in file order ('Обучающиеся (2)' is a
    spelling of 'Обучающиеся')."""
    by_spelling = {s: sheet.name for sheet in contract.sheets for s in sheet.spellings()}
    found: dict[str, list[CellSheet]] = {}
    for cell in cells:
        name = by_spelling.get(sheet_key(cell.label))
        if name is None and not cell.label.strip():
            name = _sheet_by_headers(contract, cell)
        if name is None:
            issues.append(_issue(safe_text(cell.label), None, "unknown sheet ignored"))
        else:
            found.setdefault(name, []).append(cell)
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


def identifier_names(sheet: Sheet) -> list[str]:
    """IIN and BIN columns: 12 digits that Excel turns into a number when a cell is not text.

    The contracts mark IINs (`pii: iin`); a BIN column is named `bin` or `<something>_bin`.
    """
    return [c.name for c in sheet.columns if c.pii == "iin" or c.is_bin]


@functools.lru_cache(maxsize=256)
def _queries(
    raw_table: str, formats: tuple[tuple[str, str | None], ...]
) -> tuple[list[pl.Expr], pl.Expr, list[pl.Expr]]:
    """Blank cells to NULL, the non-blank-row filter and the typed columns of one sheet with
    these date formats.

    Building polars expressions costs Python time per expression; files from the same export
    software share date formats, so each is built once.
    """
    sheet = _SHEETS[raw_table]
    names = [c.name for c in sheet.columns]
    # Blank (empty or whitespace only) is NULL for every type, strings included.
    blanks = [
        pl.when(pl.col(n).str.strip_chars() == "").then(None).otherwise(pl.col(n)).alias(n)
        for n in names
    ]
    nonblank = pl.any_horizontal(pl.col(names).is_not_null())
    typed = coerce.typed_columns(sheet.columns, dict(formats))
    typed += [coerce.identifier_check(name) for name in identifier_names(sheet)]
    return blanks, nonblank, typed


@dataclass(frozen=True)
class _Layout:
    """Where a sheet's header is and which of its columns hold which contract column."""

    header: _Header
    mapping: dict[str, str]  # contract column -> cN
    notes: list[dict[str, object]]  # issues about the header row (unknown, repeated columns)


def _layout(sheet: Sheet, cell: CellSheet) -> _Layout:
    header_map = _header_map(sheet.raw_table)
    header = _find_header(cell.frame, header_map, len(sheet.columns)) or _Header(-1, 0, [])
    mapping: dict[str, str] = {}
    notes: list[dict[str, object]] = []
    for i, text in enumerate(header.cells):
        if text is None or not text.strip():
            continue
        name = header_map.get(normalise_label(text))
        if name is None:
            notes.append(
                _issue(
                    sheet.name, safe_text(text.strip()), "unknown column ignored", header.row_number
                )
            )
        elif name in mapping:
            notes.append(
                _issue(sheet.name, name, "second column for this field ignored", header.row_number)
            )
        else:
            mapping[name] = f"c{i}"
    return _Layout(header, mapping, notes)


def _check_columns(
    sheet: Sheet, label: str, layout: _Layout, path: str, file_lang: str | None
) -> None:
    where = f"sheet '{sheet.name}' ({safe_text(label) or _titles(sheet.headers)})"
    for col in sheet.columns:
        if col.required and col.name not in layout.mapping:
            in_kk, in_ru = (_named(sheet.headers, lang, file_lang) for lang in ("kk", "ru"))
            col_kk, col_ru = (_named(col.headers, lang, file_lang) for lang in ("kk", "ru"))
            raise Rejected(
                "structure.missing_column",
                path,
                f"{where}: column '{col.name}' ({_titles(col.headers)}) not found",
                kk=f"{in_kk} парағында {col_kk} бағаны табылмады",
                ru=f"на листе {in_ru} не найден столбец {col_ru}",
                sheet=sheet.name,
                field=col.name,
            )


def _text_part(sheet: Sheet, body: pl.DataFrame, layout: _Layout, part: int) -> pl.DataFrame:
    """Cells (those below the header, or a later chunk of the sheet) as contract columns (text,
    `_row_number`, `PART`).

    Direct frame operations, no query: a batch has a few hundred such parts, and a polars
    query's set-up costs more than its work on a sheet of a few hundred rows.
    """
    n = body.height
    columns = [
        body.get_column(ROW).cast(pl.Int64),
        pl.Series(PART, [part], dtype=pl.Int32).new_from_index(0, n),
    ]
    for col in sheet.columns:
        name = layout.mapping.get(col.name)
        if name is None:
            columns.append(pl.Series(col.name, [None], dtype=pl.String).new_from_index(0, n))
        else:
            columns.append(body.get_column(name).cast(pl.String).alias(col.name))
    return pl.DataFrame(columns)


def _formats(sheet: Sheet, cell: CellSheet, layout: _Layout) -> tuple[tuple[str, str | None], ...]:
    """The format of each date column's first value in this sheet (coerce.sample_format)."""
    dated = [c.name for c in sheet.columns if c.type in ("date", "datetime")]
    samples = _samples(cell.frame, layout.header, layout.mapping, dated)
    return tuple((n, coerce.sample_format(samples[n])) for n in dated)


def _retype_failing(
    sheet: Sheet, text: pl.LazyFrame, typed: pl.DataFrame, issue_frames: list[pl.DataFrame]
) -> None:
    """Columns where the fast path left a filled cell NULL: typed again with every accepted
    format — in the parts (files' sheets) where that happened only, as when each sheet was
    typed alone — and one issue per cell that still has no value."""
    flagged = [c for c in sheet.columns if coerce.flag(c.name) in typed.columns]
    failing = [c for c in flagged if typed.get_column(coerce.flag(c.name)).any()]
    if failing:  # rare: recompute the text once, retype those columns, log the cells
        parts = typed.get_column(PART)
        redo = {
            name: parts.is_in(
                parts.filter(typed.get_column(coerce.flag(c.name))).unique().to_list()
            )
            for c in failing
            for name in (c.name, coerce.flag(c.name))
        }
        text_frame = text.collect(engine="in-memory")
        for series in coerce.retype(text_frame, failing):
            at = typed.get_column_index(series.name)
            typed.replace_column(at, series.zip_with(redo[series.name], typed.to_series(at)))
        issue_frames.append(coerce.issues(text_frame, typed, failing, sheet.name))
    for c in flagged:
        typed.drop_in_place(coerce.flag(c.name))


def _typed_batch(
    sheet: Sheet,
    text_parts: list[pl.DataFrame],
    formats: tuple[tuple[str, str | None], ...],
    issue_frames: list[pl.DataFrame],
    pseudonymiser: Pseudonymiser,
) -> pl.DataFrame:
    """Text parts of one contract sheet (one per file's sheet, same date formats) -> typed,
    IIN-pseudonymised rows with their `PART`, in one polars query for all of them."""
    blanks, nonblank, typed_exprs = _queries(sheet.raw_table, formats)
    text = pl.concat(text_parts, rechunk=False).lazy().with_columns(blanks).filter(nonblank)
    # The in-memory engine: on a few thousand rows the default engine's set-up costs more
    # than the work (measured 2x on this query).
    typed = text.with_columns(typed_exprs).collect(engine="in-memory")
    _retype_failing(sheet, text, typed, issue_frames)
    identifiers = identifier_names(sheet)
    if identifiers:  # before hashing: the IIN hashed and checked is the restored one
        issue_frames.append(coerce.restore_identifiers(typed, identifiers, sheet.name))
    for col in sheet.columns:
        if col.pii == "iin":
            typed = pseudonymiser.replace_column(typed, col.name)
    # No IIN outside the IIN column (masking.py).
    issue_frames.append(mask_frame(typed, sheet.name))
    return typed


def _split(frame: pl.DataFrame, n_parts: int) -> list[pl.DataFrame]:
    """A batch frame (rows grouped by `PART` in part order) -> one frame per part, no `PART`."""
    counts = np.bincount(frame.get_column(PART).to_numpy(), minlength=n_parts)
    frame.drop_in_place(PART)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    return [frame.slice(int(offsets[p]), int(counts[p])) for p in range(n_parts)]


def _typed_parts(
    sheet: Sheet, parts: list[tuple[CellSheet, _Layout]], pseudonymiser: Pseudonymiser
) -> tuple[list[pl.DataFrame], list[list[pl.DataFrame]]]:
    """Typed rows and load issues per part, the parts typed together (one query per set of
    date formats, usually one)."""
    groups: dict[tuple[tuple[str, str | None], ...], list[int]] = {}
    for p, (cell, layout) in enumerate(parts):
        groups.setdefault(_formats(sheet, cell, layout), []).append(p)
    frames: list[pl.DataFrame] = [pl.DataFrame()] * len(parts)
    issues: list[list[pl.DataFrame]] = [[] for _ in parts]
    for formats, members in groups.items():
        # Within a group, parts are renumbered 0..k-1 so that the frame splits by position.
        text_parts = [
            _text_part(sheet, parts[p][0].frame.slice(parts[p][1].header.index + 1), parts[p][1], k)
            for k, p in enumerate(members)
        ]
        found: list[pl.DataFrame] = []
        typed = _typed_batch(sheet, text_parts, formats, found, pseudonymiser)
        for p, frame in zip(members, _split(typed, len(members)), strict=True):
            frames[p] = frame
        found = [f for f in found if f.height]
        if found:
            by_part = pl.concat(found).partition_by(PART, as_dict=True, include_key=False)
            for k, p in enumerate(members):
                if (k,) in by_part:
                    issues[p].append(by_part[(k,)])
    return frames, issues


def _check_sheets(
    contract: Contract,
    cells: list[CellSheet],
    matched: dict[str, list[CellSheet]],
    path: str,
    encoding: str | None,
    file_lang: str | None,
) -> None:
    """Reject a file without any data, in an unknown encoding, or missing a required sheet."""
    # Blankness costs a query per sheet: only asked when nothing useful was found.
    nothing = not matched or all(c.frame.height <= 1 for cs in matched.values() for c in cs)
    if nothing and all(is_blank(c.frame) for c in cells):
        raise Rejected(
            "structure.empty_file",
            path,
            "no sheet holds any data",
            kk="бірде-бір парақта дерек жоқ",
            ru="ни на одном листе нет данных",
        )
    if not matched and encoding == "cp1251":
        # Windows-1251 decodes almost any byte string; if not one section name nor one column
        # header makes sense, the text was in some other encoding.
        known = known_headers(contract)
        if not any(_top_labels(c.frame) & known for c in cells):
            raise Rejected(
                "structure.bad_encoding",
                path,
                "no recognisable section or column header in UTF-8 or Windows-1251",
                kk="UTF-8 және Windows-1251 кодтауларында бірде-бір бөлім немесе баған танылмады",
                ru="ни в UTF-8, ни в Windows-1251 не распознан ни один раздел или столбец",
            )
    missing = [s for s in contract.sheets if s.required and s.name not in matched]
    if missing:
        en = "; ".join(f"sheet '{s.name}' ({_titles(s.headers)}) not found" for s in missing)
        kk = ", ".join(_named(s.headers, "kk", file_lang) for s in missing)
        ru = ", ".join(_named(s.headers, "ru", file_lang) for s in missing)
        raise Rejected(
            "structure.missing_sheet",
            path,
            en,
            kk=f"міндетті парақ (бөлім) табылмады: {kk}",
            ru=f"не найден обязательный лист (раздел): {ru}",
            # The finding names one sheet: the first missing one (the reason lists them all).
            sheet=missing[0].name,
        )


def _merge_copies(
    sheet: Sheet,
    cells: list[CellSheet],
    layouts: list[_Layout],
    path: str,
    issue_rows: list[dict[str, object]],
) -> tuple[list[CellSheet], list[_Layout]]:
    """Several sheets spelling one contract sheet: the non-blank ones are loaded together when
    their header rows name the same contract columns; otherwise the file is rejected."""
    keep = [(c, lay) for c, lay in zip(cells, layouts, strict=True) if not is_blank(c.frame)]
    if not keep:
        return cells[:1], layouts[:1]
    first_cell, first = keep[0]
    for cell, layout in keep[1:]:
        if set(layout.mapping) != set(first.mapping):
            a, b = safe_text(first_cell.label), safe_text(cell.label)
            differ = sorted(set(layout.mapping) ^ set(first.mapping))
            raise Rejected(
                "structure.conflicting_sheets",
                path,
                f"sheets '{a}' and '{b}' are both sheet '{sheet.name}' but their columns differ "
                f"({', '.join(differ)} in one only)",
                kk=f"«{a}» және «{b}» парақтары бір бөлім ({_titles(sheet.headers)}), бірақ "
                "бағандары әртүрлі",
                ru=f"листы «{a}» и «{b}» относятся к одному разделу ({_titles(sheet.headers)}), "
                "но их столбцы различаются",
                sheet=sheet.name,
            )
    if len(keep) > 1:
        labels = "', '".join(safe_text(c.label) for c, _ in keep)
        issue_rows.append(
            _issue(
                sheet.name,
                None,
                f"sheets '{labels}' have the same columns: the rows of all of them were loaded "
                f"(rows of the k-th extra sheet are numbered k × {EXTRA_SHEET_ROWS:,} + the row)",
            )
        )
    return [c for c, _ in keep], [lay for _, lay in keep]


@dataclass(frozen=True)
class _Plan:
    """One file read and matched to its contract, its sheets not yet typed."""

    sheets: list[tuple[Sheet, list[CellSheet], list[_Layout]]]  # contract sheet, copies, layouts
    notes: list[dict[str, object]]  # issues found so far (unknown sheets, columns...)
    encoding: str | None


def _plan(contract: Contract, data: bytes, path: str, chunk_bytes: int | None) -> _Plan:
    """Read one file and match it to its contract. Raises `Rejected` when it cannot be read."""
    cells, encoding = read_cells(contract, data, path, chunk_bytes)
    issue_rows: list[dict[str, object]] = []
    matched = _match_sheets(contract, cells, issue_rows)
    file_lang = _file_language(contract, [c.label for c in cells])
    _check_sheets(contract, cells, matched, path, encoding, file_lang)
    sheets: list[tuple[Sheet, list[CellSheet], list[_Layout]]] = []
    for sheet in contract.sheets:
        found = matched.get(sheet.name)
        if not found:
            continue
        layouts = [_layout(sheet, cell) for cell in found]
        if len(found) > 1:
            found, layouts = _merge_copies(sheet, found, layouts, path, issue_rows)
        issue_rows += [note for layout in layouts for note in layout.notes]
        _check_columns(sheet, found[0].label, layouts[0], path, file_lang)
        sheets.append((sheet, found, layouts))
    return _Plan(sheets, issue_rows, encoding)


class _Spill:
    """The typed later chunks of one file's large sheets, a Parquet file each in a temporary
    folder made on first use (named for this process: pipelines/leftovers.py)."""

    def __init__(self) -> None:
        self.dir: str | None = None
        self.files: dict[str, list[str]] = {}
        self.rows: dict[str, int] = {}

    def add(self, sheet: str, frame: pl.DataFrame) -> None:
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix=temp_prefix("ingest"))
        files = self.files.setdefault(sheet, [])
        files.append(f"{self.dir}/{sheet}-{len(files):05d}.parquet")
        # lz4, no statistics: read once, right away, by the writer.
        frame.write_parquet(files[-1], compression="lz4", statistics=False)
        self.rows[sheet] = self.rows.get(sheet, 0) + frame.height

    def discard(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)


def _spill_rest(
    plan: _Plan, pseudonymiser: Pseudonymiser, spill: _Spill, issue_frames: list[pl.DataFrame]
) -> None:
    """The chunks after the first of each large sheet: typed one at a time as the first was
    (its header, columns and date formats) and spilled, each released before the next is read."""
    for sheet, cells, layouts in plan.sheets:
        for k, (cell, layout) in enumerate(zip(cells, layouts, strict=True)):
            formats: tuple[tuple[str, str | None], ...] | None = None
            for chunk in cell.rest:
                if formats is None:  # a large sheet: those of its first chunk
                    formats = _formats(sheet, cell, layout)
                found: list[pl.DataFrame] = []
                text = [_text_part(sheet, chunk, layout, 0)]
                typed = _typed_batch(sheet, text, formats, found, pseudonymiser)
                typed.drop_in_place(PART)
                if k and plan.encoding is None:  # as _parsed numbers the rows of extra sheets
                    typed = typed.with_columns(pl.col(ROW) + k * EXTRA_SHEET_ROWS)
                issue_frames += [f.drop(PART) for f in found if f.height]
                if typed.height:
                    spill.add(sheet.name, typed)


def parse_many(
    contract: Contract,
    files: list[tuple[bytes, str]],
    pseudonymiser: Pseudonymiser,
    chunk_bytes: int | None = None,
) -> list[ParsedFile | Rejected]:
    """Read files (bytes, path) of one contract: each sheet of all of them is typed in one
    query, then split back per file. A file that cannot be read is its `Rejected`.

    Sheets larger than `chunk_bytes` are read in chunks, all but the first spilled (the caller
    removes `ParsedFile.spill_dir` once the rows are written); None reads every sheet whole.
    """
    plans: list[_Plan | Rejected] = []
    for data, path in files:
        try:
            plans.append(_plan(contract, data, path, chunk_bytes))
        except Rejected as rej:
            plans.append(rej)
    typed: dict[tuple[int, str], list[pl.DataFrame]] = {}
    sheet_issues: list[list[pl.DataFrame]] = [[] for _ in files]
    for sheet in contract.sheets:
        owners: list[int] = []
        parts: list[tuple[CellSheet, _Layout]] = []
        for i, plan in enumerate(plans):
            for found_sheet, cells, layouts in plan.sheets if isinstance(plan, _Plan) else ():
                if found_sheet.name == sheet.name:
                    owners += [i] * len(cells)
                    parts += list(zip(cells, layouts, strict=True))
        if not parts:
            continue
        frames, issues = _typed_parts(sheet, parts, pseudonymiser)
        for i, frame, found in zip(owners, frames, issues, strict=True):
            typed.setdefault((i, sheet.name), []).append(frame)
            sheet_issues[i] += found
    out: list[ParsedFile | Rejected] = []
    try:
        for i, plan in enumerate(plans):
            if isinstance(plan, Rejected):
                out.append(plan)
                continue
            spill = _Spill()
            try:
                _spill_rest(plan, pseudonymiser, spill, sheet_issues[i])
            except Unchunkable:  # a later chunk showed rows that only a whole read places right
                spill.discard()
                out.append(parse_many(contract, [files[i]], pseudonymiser)[0])
                continue
            except BaseException:
                spill.discard()
                raise
            out.append(_parsed(plan, i, typed, sheet_issues[i], spill))
    except BaseException:
        for done in out:
            if isinstance(done, ParsedFile) and done.spill_dir is not None:
                shutil.rmtree(done.spill_dir, ignore_errors=True)
        raise
    return out


def _parsed(
    plan: _Plan,
    i: int,
    typed: dict[tuple[int, str], list[pl.DataFrame]],
    issue_frames: list[pl.DataFrame],
    spill: _Spill,
) -> ParsedFile:
    parsed: list[ParsedSheet] = []
    for sheet, cells, _layouts in plan.sheets:
        frames = typed[(i, sheet.name)]
        # CSV rows are physical lines, unique in the file; Excel rows restart on every sheet.
        if plan.encoding is None:
            frames = [
                f.with_columns(pl.col(ROW) + k * EXTRA_SHEET_ROWS) if k else f
                for k, f in enumerate(frames)
            ]
        frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical_relaxed")
        label = " + ".join(c.label for c in cells)
        spilled = tuple(spill.files.get(sheet.name, ()))
        parsed.append(ParsedSheet(sheet, label, frame, spilled, spill.rows.get(sheet.name, 0)))
    frames = [f for f in issue_frames if f.height]
    if plan.notes:
        frames.insert(0, pl.DataFrame(plan.notes, schema=ISSUE_SCHEMA))
    issues = mask_issue_values(pl.concat(frames)) if frames else empty_issues()
    return ParsedFile(tuple(parsed), issues, plan.encoding, spill.dir)


def parse(contract: Contract, data: bytes, path: str, pseudonymiser: Pseudonymiser) -> ParsedFile:
    """Read one file through its contract. Raises `Rejected` when it cannot be read."""
    result = parse_many(contract, [(data, path)], pseudonymiser)[0]
    if isinstance(result, Rejected):
        raise result
    return result
