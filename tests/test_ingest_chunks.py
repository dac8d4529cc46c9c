"""Large sheets are read, typed and written in row chunks: the rows, their numbers and the load
issues are those of the whole sheet read at once, and a file is still written whole or not at all.

The files are small; a chunk size of a few kilobytes makes them several chunks each.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
import xlsxwriter
from conftest import connector

from pipelines.contracts import load_contract
from pipelines.identifiers import complete
from pipelines.ingest import writer
from pipelines.ingest.loader import ingest_partition
from pipelines.ingest.pseudonym import Pseudonymiser
from pipelines.ingest.readers import ParsedFile, parse_many
from pipelines.ingest.schema import ensure_schema

NOBD = load_contract("nobd_submission")
PS = Pseudonymiser(b"chunk-test-key")
ROUND = "2024-autumn"
CHUNK = 6_000  # bytes: ~15-30 rows a chunk here; the first chunk holds at least 100 rows
ROWS = 400
IINS = [iin for i in range(1, 3 * ROWS) if (iin := complete(f"05010151{i:03d}"[:11]))]
BIN = "123456789012"


def _value(sheet: str, name: str, i: int) -> str:
    c = NOBD.sheet(sheet).column(name)
    if c.pii:
        return IINS[i % len(IINS)]
    if c.allowed:
        return next(iter(c.allowed.values()))[0]
    return {
        "string": f"{name}-{i}",
        "code": "Алматы облысы",
        "integer": str(i % 4 + 1),
        "decimal": f"{i},5",
        "date": "01.09.2005",
        "datetime": "03.10.2024 14:05:00",
        "boolean": "иә",
    }[c.type]


def _sheets(n: int) -> dict[str, tuple[list[str], list[list[str | None]]]]:
    """Sheet title -> (headers, rows) of an NOBD submission whose students sheet has `n` rows,
    with what the typing treats row by row sprinkled through it."""
    out: dict[str, tuple[list[str], list[list[str | None]]]] = {}
    for sheet in NOBD.sheets:
        names = [c.name for c in sheet.columns]
        count = 1 if sheet.max_rows == 1 else (n if sheet.name == "students" else 3)
        rows: list[list[str | None]] = [
            [_value(sheet.name, c, i) for c in names] for i in range(count)
        ]
        if sheet.name == "header":
            rows[0][names.index("college_bin")] = BIN
            rows[0][names.index("round_id")] = ROUND
        if sheet.name == "students":
            at = names.index
            for i in range(0, n, 37):
                rows[i][at("course")] = "екінші"  # not an integer: an issue
            for i in range(5, n, 53):
                rows[i][at("birth_date")] = "2005-09-01"  # a second date format: retyped
            for i in range(7, n, 61):
                rows[i][at("iin")] = IINS[i].lstrip("0") + ".0"  # a number: digits restored
            for i in range(11, n, 71):
                rows[i][at("status")] = IINS[i]  # an IIN outside its column: masked
            for i in range(13, n, 29):
                rows[i] = [None] * len(names)  # blank rows are no rows
            for i in range(17, n, 43):
                rows[i][-1] = None  # a row shorter than the header
        headers = [c.header("kk") for c in sheet.columns]
        out[sheet.title("kk")] = (headers, rows)
    return out


def _xlsx(sheets: dict[str, tuple[list[str], list[list[str | None]]]]) -> bytes:
    """The workbook, its students sheet twice ('… (2)', same columns), starting at column B
    below a title row, so a chunk's first column and row are not the sheet's."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for title, (headers, rows) in sheets.items():
        copies = [title, f"{title} (2)"] if len(rows) > 3 else [title]
        for name in copies:
            ws = wb.add_worksheet(name)
            col = 1 if len(copies) > 1 else 0
            if col:
                ws.write(0, 1, "Білім алушылар тізімі")
            first = 2 if col else 0
            ws.write_row(first, col, headers)
            for i, row in enumerate(rows):
                ws.write_row(first + 1 + i, col, row)
    wb.close()
    return buf.getvalue()


def _csv(sheets: dict[str, tuple[list[str], list[list[str | None]]]]) -> bytes:
    lines = []
    for title, (headers, rows) in sheets.items():
        lines.append(f"#{title}")
        lines += [";".join(v or "" for v in r) for r in [headers, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    folder = landing / "nobd" / ROUND
    folder.mkdir(parents=True)
    sheets = _sheets(ROWS)
    (folder / f"{BIN}_{ROUND}_v1.xlsx").write_bytes(_xlsx(sheets))
    (folder / f"{BIN}_{ROUND}_v2.csv").write_bytes(_csv(sheets))
    return landing


def _raw(db: Path) -> dict[str, pl.DataFrame]:
    """Every raw table (rows sorted), without the times of loading."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' "
            "AND table_name NOT LIKE 'ref_%'"
        ).fetchall()
        for (table,) in tables:
            frame = con.sql(f"SELECT * FROM raw.{table}").pl()
            frame = frame.drop(
                [c for c in ("_loaded_at", "first_seen_at", "status_changed_at") if c in frame]
            )
            out[table] = frame.sort(frame.columns, nulls_last=True)
    return out


def _spill_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"edustat-ingest-{os.getpid()}-*")}


def test_a_large_sheet_is_read_in_chunks() -> None:
    """The chunk size is honoured: the students sheets' rows beyond the first chunk are spilled
    in many chunks, and the spill is the caller's to remove."""
    sheets = _sheets(ROWS)
    files = [(_xlsx(sheets), "nobd/x.xlsx"), (_csv(sheets), "nobd/x.csv")]
    for parsed in parse_many(NOBD, files, PS, chunk_bytes=CHUNK):
        assert isinstance(parsed, ParsedFile) and parsed.spill_dir is not None
        students = parsed.sheet("students")
        assert students is not None and len(students.spilled) > 5
        assert students.frame.height >= 90  # the first chunk: 100 rows, less the blank ones
        assert parsed.sheet("library").spilled == ()  # a small sheet is one chunk
        shutil.rmtree(parsed.spill_dir)


def _rows(parsed: ParsedFile) -> dict[str, pl.DataFrame]:
    """Each sheet's rows, spilled ones included, in row order (the spill then removed)."""
    out = {
        s.sheet.name: pl.concat([s.frame, *(pl.read_parquet(f) for f in s.spilled)]).sort(
            "_row_number"
        )
        for s in parsed.sheets
    }
    if parsed.spill_dir is not None:
        shutil.rmtree(parsed.spill_dir)
    return out


def _unnumbered(xml: bytes) -> bytes:
    return re.sub(rb'<row r="\d+"', b"<row", xml)


def _last_row_first(xml: bytes) -> bytes:
    start, end = xml.rindex(b"<row "), xml.rindex(b"</row>") + len(b"</row>")
    at = xml.index(b"<row ")
    return xml[:at] + xml[start:end] + xml[at:start] + xml[end:]


def _last_row_in_the_middle(xml: bytes) -> bytes:
    start, end = xml.rindex(b"<row "), xml.rindex(b"</row>") + len(b"</row>")
    at = xml.index(b'<row r="250"')
    return xml[:at] + xml[start:end] + xml[at:start] + xml[end:]


def _rows_twice(xml: bytes) -> bytes:
    return re.sub(rb"<row .*?</row>", lambda m: m.group(0) * 2, xml, flags=re.DOTALL)


@pytest.mark.parametrize(
    "damage", [_unnumbered, _last_row_first, _last_row_in_the_middle, _rows_twice]
)
def test_rows_that_cannot_be_cut_are_read_whole(damage) -> None:  # noqa: ANN001
    """Rows without their numbers, out of order or numbered twice are not what chunks rely on:
    such a sheet is read whole, as before, whatever the chunk size."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx(_sheets(ROWS))))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            large = info.filename.startswith("xl/worksheets/") and len(data) > CHUNK
            out.writestr(info, damage(data) if large else data)
    files = [(buf.getvalue(), "nobd/x.xlsx")]
    whole, chunked = (parse_many(NOBD, files, PS, chunk_bytes=c)[0] for c in (None, CHUNK))
    assert isinstance(whole, ParsedFile) and isinstance(chunked, ParsedFile)
    assert chunked.spill_dir is None  # read whole: at the first chunk, or again after a later one
    a, b = _rows(whole), _rows(chunked)
    assert a.keys() == b.keys() and all(a[k].equals(b[k]) for k in a)
    assert whole.issues.sort(whole.issues.columns, nulls_last=True).equals(
        chunked.issues.sort(chunked.issues.columns, nulls_last=True)
    )


def test_chunked_ingest_writes_the_rows_and_issues_of_a_whole_read(tmp_path: Path) -> None:
    landing = _landing(tmp_path)
    before = _spill_dirs()
    results = {}
    for name, chunk in (("whole", None), ("chunked", CHUNK)):
        db = tmp_path / f"{name}.duckdb"
        results[name] = ingest_partition(NOBD, ROUND, landing, connector(db), PS, chunk_bytes=chunk)
    assert results["whole"].rows == results["chunked"].rows
    assert results["chunked"].loaded == 2 and results["chunked"].rows["nobd_students"] > ROWS
    whole, chunked = _raw(tmp_path / "whole.duckdb"), _raw(tmp_path / "chunked.duckdb")
    assert whole.keys() == chunked.keys()
    for table in whole:
        assert whole[table].equals(chunked[table]), table
    issues = whole["load_issues"]
    # What the typing found is there: uncoercible (two students sheets in the workbook, one
    # section in the CSV), restored and masked cells.
    assert issues.filter(pl.col("field") == "course").height == 3 * len(range(0, ROWS, 37))
    assert issues.filter(pl.col("problem").str.contains("restored")).height > 0
    assert issues.filter(pl.col("problem").str.contains("masked")).height > 0
    # Rows of the second students sheet are numbered 10,000,000 + their Excel row.
    rows = whole["nobd_students"].get_column("_row_number")
    assert rows.max() > 10_000_000 and rows.filter(rows < 10_000_000).min() == 4
    assert _spill_dirs() == before  # the spilled chunks were removed once written


def test_a_chunked_file_that_fails_to_commit_leaves_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spilled chunks go in the file's one transaction: a failure before its registry row
    is written leaves none of its rows."""
    landing = _landing(tmp_path)
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        ensure_schema(con)
    insert = writer._insert

    def failing(con: duckdb.DuckDBPyConnection, table: str, *args: object) -> None:
        if table.endswith("landing_files"):
            raise RuntimeError("killed before the registry row")
        insert(con, table, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "_insert", failing)
    with pytest.raises(RuntimeError, match="killed"):
        ingest_partition(NOBD, ROUND, landing, connector(db), PS, chunk_bytes=CHUNK)
    counts = {t: len(f) for t, f in _raw(db).items()}
    assert set(counts.values()) == {0}, counts
