"""What real landing folders and real workbooks throw at the ingest: links, FIFOs, files that
vanish, IINs typed as numbers, dates with a time, CSVs without sections, repeated sheets.

Every case uses real bytes on disk (xlsxwriter / openpyxl workbooks, CSV text) in a tmp folder;
none may stop the ingest or leave a traceback: each ends as a rejected registry row or a load
issue, with a reason in English, Kazakh and Russian that never quotes a cell.
"""

from __future__ import annotations

import io
import os
import pickle
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
import xlsxwriter
from conftest import connector
from test_ingest_readers import IINS, NOBD, PASSPORT, PS, _value, csv_bytes, nobd_rows, xlsx_bytes

from pipelines.ingest import loader
from pipelines.ingest.cells import Rejected
from pipelines.ingest.coerce import BOTH_RESTORED, ZERO_RESTORED
from pipelines.ingest.discovery import LandingFile, all_files, fingerprint, partition_files
from pipelines.ingest.loader import ingest_partition
from pipelines.ingest.prepare import Task, prepare
from pipelines.ingest.readers import EXTRA_SHEET_ROWS, parse
from pipelines.ingest.sweep import sweep

PARTITIONS = {"college_passport": {"2024"}, "nobd_submission": set(), "worldskills_export": set()}


def _passport_csv() -> bytes:
    columns = PASSPORT.sheet("colleges").columns
    headers = [c.header("ru") for c in columns]
    row = [_value(PASSPORT, "colleges", c.name, 0, "ru") for c in columns]
    return csv_bytes({"Колледжи": (headers, [row])}, ";", "utf-8")


def _registry(db: Path) -> dict[str, tuple[str, str, str | None, str | None]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT path, status, reason, reason_kk, reason_ru FROM raw.landing_files"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture
def odd_landing(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    """A passport partition holding one good file and every kind of entry that must not be read,
    plus a partition-level folder link."""
    landing = tmp_path / "landing"
    folder = landing / "passports" / "2024"
    folder.mkdir(parents=True)
    (folder / "passports_2024.csv").write_bytes(_passport_csv())
    secret = tmp_path / "secret.csv"
    secret.write_bytes(_passport_csv())
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "passports_2024.csv").write_bytes(_passport_csv())
    os.symlink(tmp_path / "nothing-here.csv", folder / "dangling.csv")
    os.symlink(secret, folder / "outside.csv")
    os.symlink(folder / "passports_2024.csv", folder / "inside.csv")
    os.symlink(outside, folder / "linked-folder")
    os.mkfifo(folder / "pipe.csv")
    os.symlink(outside, landing / "passports" / "2023")  # a whole year folder as a link
    return landing


def test_links_fifos_are_registered_rejected_never_read_and_once(
    odd_landing: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    connect = connector(db)
    first = ingest_partition(PASSPORT, "2024", odd_landing, connect, PS)
    swept = sweep(odd_landing, connect, PARTITIONS)
    assert (first.loaded, first.rejected, swept.registered) == (1, 5, 1)
    registry = _registry(db)
    expected = {
        "passports/2024/dangling.csv": "symbolic link to nothing (dangling), not followed",
        "passports/2024/outside.csv": "symbolic link pointing outside landing/, not followed",
        "passports/2024/inside.csv": "symbolic link, not followed",
        "passports/2024/linked-folder": "symbolic link pointing outside landing/, not followed",
        "passports/2024/pipe.csv": "not a regular file (FIFO, socket or device), not read",
        "passports/2023": "symbolic link pointing outside landing/, not followed",
    }
    for path, detail in expected.items():
        status, reason, kk, ru = registry[path]
        assert status == "rejected"
        assert reason == f"structure.unreadable_file: {path}: {detail}"
        assert kk and kk.startswith(f"{path}: ") and ru and ru.startswith(f"{path}: ")
    assert registry["passports/2024/passports_2024.csv"][0] == "loaded"
    with duckdb.connect(str(db), read_only=True) as con:  # the linked copies were never loaded
        assert con.execute("SELECT count(*) FROM raw.passports").fetchone() == (1,)
    again = ingest_partition(PASSPORT, "2024", odd_landing, connect, PS)
    assert (again.loaded, again.rejected, again.skipped) == (0, 0, 6)
    assert sweep(odd_landing, connect, PARTITIONS).registered == 0
    assert len(_registry(db)) == len(registry)


def test_listing_never_follows_links(odd_landing: Path) -> None:
    paths = {f.path: f.unreadable for f in all_files(odd_landing)}
    assert "passports/2023/passports_2024.csv" not in paths  # not walked into
    assert "passports/2024/linked-folder/passports_2024.csv" not in paths
    assert paths["passports/2023"] == "symlink_outside"
    in_partition = {f.path for f in partition_files(odd_landing, PASSPORT, "2024")}
    assert in_partition == {p for p in paths if p.startswith("passports/2024/")}
    assert partition_files(odd_landing, PASSPORT, "2023") == []  # the folder is a link


def test_file_removed_between_listing_and_reading_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    folder = landing / "passports" / "2024"
    folder.mkdir(parents=True)
    target = folder / "passports_2024.csv"
    target.write_bytes(_passport_csv())
    listed = partition_files(landing, PASSPORT, "2024")
    target.unlink()
    data, sha, rejected = fingerprint(listed[0])
    assert data is None and rejected is not None
    assert rejected.reason.endswith("file disappeared while reading")
    # Through the loader: the listing it works from is the stale one.
    monkeypatch.setattr(loader, "partition_files", lambda *_: listed)
    db = tmp_path / "w.duckdb"
    result = ingest_partition(PASSPORT, "2024", landing, connector(db), PS)
    assert result.rejected == 1
    status, reason, kk, ru = _registry(db)["passports/2024/passports_2024.csv"]
    assert status == "rejected" and "disappeared" in reason
    assert kk is not None and ru is not None


def test_rejection_pickles_with_its_translations() -> None:
    """Worker processes send rejections back pickled: the translations must survive."""
    _data, _sha, rejected = fingerprint(LandingFile("x/y/z.csv", Path("/nonexistent/z.csv"), 0, 0))
    assert rejected is not None
    back = pickle.loads(pickle.dumps(rejected))
    assert (back.rule, back.reason, back.reason_kk, back.reason_ru) == (
        rejected.rule,
        rejected.reason,
        rejected.reason_kk,
        rejected.reason_ru,
    )


# --- workbooks and CSV text as clerks and export software write them --------------------------


def _students(lang: str = "kk") -> tuple[dict[str, tuple[list[str], list[list[str]]]], str]:
    sheets = nobd_rows(lang)
    return sheets, NOBD.sheet("students").title(lang)


def test_iin_and_bin_stored_as_numbers_get_their_leading_zero_back() -> None:
    sheets, title = _students()
    headers, rows = sheets[title]
    zero_iin = next(i for i in IINS if i.startswith("0"))
    enterprise = "012345678901"  # a BIN of the 2000s: leading zero
    at_iin, at_bin = headers.index("ЖСН"), headers.index("Кәсіпорын БСН")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, (hdr, body) in sheets.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, hdr)
        for r, row in enumerate(body, start=1):
            ws.write_row(r, 0, row)
            if name == title and r == 1:  # a typed number: Excel drops the zero
                ws.write_number(r, at_iin, int(zero_iin))
                ws.write_number(r, at_bin, int(enterprise))
    wb.close()
    parsed = parse(NOBD, buf.getvalue(), "nobd/x.xlsx", PS)
    students = parsed.sheet("students").frame
    assert students["iin_hash"][0] == PS.hash_one(zero_iin)
    assert students["iin_valid"][0] is True
    assert students["enterprise_bin"][0] == enterprise
    issues = parsed.issues.filter(pl.col("problem") == ZERO_RESTORED)
    assert sorted(issues["field"].to_list()) == ["enterprise_bin", "iin"]
    assert issues["row_number"].to_list() == [2, 2]
    assert issues["value"].to_list() == [None, None]
    everything = str(parsed.issues.to_dicts())
    assert zero_iin not in everything and zero_iin[1:] not in everything


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("{n}.0", BOTH_RESTORED),
        ("{sci}", BOTH_RESTORED),
        ("{digits}", ZERO_RESTORED),
        ("{full}", None),
    ],
)
def test_iin_written_as_a_decimal_or_in_scientific_notation_is_exact(
    written: str, problem: str | None
) -> None:
    zero_iin = next(i for i in IINS if i.startswith("0"))
    digits = zero_iin.lstrip("0")
    sci = f"{digits[0]}.{digits[1:]}E+{len(digits) - 1}"
    cell = written.format(n=digits, sci=sci, digits=digits, full=zero_iin)
    sheets, title = _students("ru")
    headers, rows = sheets[NOBD.sheet("students").title("ru")]
    rows[0][headers.index("ИИН")] = cell
    parsed = parse(NOBD, csv_bytes(sheets, ";", "utf-8"), "nobd/x.csv", PS)
    students = parsed.sheet("students").frame
    assert students["iin_hash"][0] == PS.hash_one(zero_iin)
    assert students["iin_valid"][0] is True
    got = parsed.issues.filter(pl.col("field") == "iin")["problem"].to_list()
    assert got == ([problem] if problem else [])


def test_dates_written_with_a_time_are_dates() -> None:
    sheets, title = _students("ru")
    headers, rows = sheets[title]
    at = headers.index("Дата рождения")
    rows[0][at], rows[1][at], rows[2][at] = (
        "2006-07-03 00:00",
        "2006-07-03 00:00:00",
        "03.07.2006 00:00",
    )
    header_headers, header_rows = sheets[NOBD.sheet("header").title("ru")]
    header_rows[0][header_headers.index("Отчётная дата")] = "2024-10-01 00:00"
    header_rows[0][header_headers.index("Дата и время подписи ЭЦП")] = "2024-10-03 14:05"
    for data, path in (
        (xlsx_bytes(sheets), "nobd/x.xlsx"),
        (csv_bytes(sheets, ";", "cp1251"), "nobd/x.csv"),
    ):
        parsed = parse(NOBD, data, path, PS)
        assert parsed.sheet("students").frame["birth_date"].to_list() == [date(2006, 7, 3)] * 3
        header = parsed.sheet("header").frame.row(0, named=True)
        assert header["reference_date"] == date(2024, 10, 1)
        assert header["signed_at"] == datetime(2024, 10, 3, 14, 5)
        assert parsed.issues.filter(pl.col("problem").str.starts_with("not a")).height == 0


def test_excel_date_cells_formatted_with_a_time_are_dates() -> None:
    sheets, title = _students("kk")
    headers, _rows = sheets[title]
    at = headers.index("Туған күні")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    shown = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, (hdr, body) in sheets.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, hdr)
        for r, row in enumerate(body, start=1):
            ws.write_row(r, 0, row)
            if name == title:
                ws.write_datetime(r, at, datetime(2006, 7, 3), shown)
    wb.close()
    parsed = parse(NOBD, buf.getvalue(), "nobd/x.xlsx", PS)
    assert parsed.sheet("students").frame["birth_date"].to_list() == [date(2006, 7, 3)] * 3


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251"])
def test_csv_of_one_sheet_without_section_lines_is_missing_sheets_not_bad_encoding(
    encoding: str,
) -> None:
    sheets, title = _students("ru")
    headers, rows = sheets[title]
    data = "\r\n".join(";".join(r) for r in [headers, *rows]).encode(encoding)
    with pytest.raises(Rejected) as exc:
        parse(NOBD, data, "nobd/2024-autumn/x.csv", PS)
    assert exc.value.rule == "structure.missing_sheet"
    assert "sheet 'header'" in exc.value.reason and "sheet 'library'" in exc.value.reason
    assert "sheet 'students'" not in exc.value.reason
    # Named in the file's language (Russian headers, no section names: the contract's own).
    assert "«Заголовок»" in (exc.value.reason_ru or "")
    assert "«Тақырып»" in (exc.value.reason_kk or "")


def test_csv_passport_without_its_section_line_is_read() -> None:
    columns = PASSPORT.sheet("colleges").columns
    headers = [c.header("ru") for c in columns]
    row = [_value(PASSPORT, "colleges", c.name, 0, "ru") for c in columns]
    data = "\r\n".join(";".join(f'"{v}"' for v in r) for r in [headers, row]).encode("cp1251")
    parsed = parse(PASSPORT, data, "passports/2024/passports_2024.csv", PS)
    assert parsed.sheet("colleges").frame.height == 1


def test_missing_sheet_and_column_are_named_in_the_files_language() -> None:
    sheets = nobd_rows("ru")
    sheets.pop(NOBD.sheet("library").title("ru"))
    with pytest.raises(Rejected) as exc:
        parse(NOBD, xlsx_bytes(sheets), "nobd/2024-autumn/x.xlsx", PS)
    assert exc.value.rule == "structure.missing_sheet"
    assert exc.value.reason_ru == (
        "nobd/2024-autumn/x.xlsx: не найден обязательный лист (раздел): «Библиотечный фонд»"
    )
    assert "«Библиотечный фонд» (Кітапхана қоры)" in (exc.value.reason_kk or "")
    sheets = nobd_rows("ru")
    sheets["Обучающиеся"][0][0] = "Номер"
    with pytest.raises(Rejected) as exc:
        parse(NOBD, xlsx_bytes(sheets), "nobd/2024-autumn/x.xlsx", PS)
    assert exc.value.rule == "structure.missing_column"
    assert "на листе «Обучающиеся» не найден столбец «ИИН»" in (exc.value.reason_ru or "")
    assert "«Обучающиеся» (Білім алушылар) парағында «ИИН» (ЖСН)" in (exc.value.reason_kk or "")


def test_unsupported_extension_and_unreadable_workbook_say_so_in_kk_and_ru() -> None:
    with pytest.raises(Rejected) as exc:
        parse(NOBD, b"some text", "nobd/2024-autumn/x.ods", PS)
    assert "'.ods'" in (exc.value.reason_kk or "") and "'.ods'" in (exc.value.reason_ru or "")
    with pytest.raises(Rejected) as exc:
        parse(NOBD, b"PK\x03\x04 truncated", "nobd/2024-autumn/x.xlsx", PS)
    assert "книга не открывается" in (exc.value.reason_ru or "")


def test_file_name_not_matching_the_pattern_is_not_called_unreadable(tmp_path: Path) -> None:
    path = "nobd/2024-autumn/college.xlsx"
    f = LandingFile(path, tmp_path / "college.xlsx", 3, 0)
    task = Task("nobd_submission", "2024-autumn", f, "sha", "fid", b"abc")
    prepared = prepare(task, PS)
    reg = prepared.reg
    assert reg.status == "rejected"
    assert "file name does not follow" in (reg.reason or "")
    assert reg.reason_kk and "файл атауы" in reg.reason_kk
    assert reg.reason_ru and "имя файла не соответствует шаблону" in reg.reason_ru


def _two_students_sheets(second: str, second_lang: str) -> bytes:
    sheets = nobd_rows("kk")
    extra = nobd_rows(second_lang)[NOBD.sheet("students").title(second_lang)]
    sheets[second] = (extra[0], extra[1][:2])
    return xlsx_bytes(sheets)


@pytest.mark.parametrize(("second", "lang"), [("Білім алушылар (2)", "kk"), ("Обучающиеся", "ru")])
def test_two_sheets_with_the_same_columns_are_both_loaded(second: str, lang: str) -> None:
    parsed = parse(NOBD, _two_students_sheets(second, lang), "nobd/x.xlsx", PS)
    students = parsed.sheet("students")
    assert students.frame.height == 5
    rows = students.frame["_row_number"].to_list()
    assert rows == [2, 3, 4, EXTRA_SHEET_ROWS + 2, EXTRA_SHEET_ROWS + 3]
    assert len(set(rows)) == len(rows)  # (file, row) stays a key for findings and duplicates
    assert students.label == f"Білім алушылар + {second}"
    notes = parsed.issues.filter(pl.col("problem").str.contains("were loaded"))
    assert notes.height == 1 and second in notes["problem"][0]


def test_two_sheets_with_different_columns_reject_the_file_naming_both() -> None:
    sheets = nobd_rows("kk")
    headers, rows = sheets["Білім алушылар"]
    at = headers.index("ЕБҚ")
    sheets["Білім алушылар (2)"] = (
        headers[:at] + headers[at + 1 :],
        [r[:at] + r[at + 1 :] for r in rows],
    )
    with pytest.raises(Rejected) as exc:
        parse(NOBD, xlsx_bytes(sheets), "nobd/2024-autumn/x.xlsx", PS)
    assert exc.value.rule == "structure.conflicting_sheets"
    assert "'Білім алушылар' and 'Білім алушылар (2)'" in exc.value.reason
    assert "(sen in one only)" in exc.value.reason
    assert "«Білім алушылар (2)»" in (exc.value.reason_kk or "")


def test_an_empty_copy_of_a_sheet_is_ignored() -> None:
    sheets = nobd_rows("kk")
    sheets["Білім алушылар (2)"] = ([], [])
    parsed = parse(NOBD, xlsx_bytes(sheets), "nobd/x.xlsx", PS)
    assert parsed.sheet("students").frame.height == 3


def test_header_sheet_with_several_rows_keeps_every_row() -> None:
    sheets = nobd_rows("kk")
    headers, rows = sheets["Тақырып"]
    second = list(rows[0])
    second[headers.index("Колледж атауы")] = "another"
    sheets["Тақырып"] = (headers, [rows[0], second])
    parsed = parse(NOBD, xlsx_bytes(sheets), "nobd/x.xlsx", PS)
    header = parsed.sheet("header").frame
    assert header["_row_number"].to_list() == [2, 3]
    assert header["college_name"].to_list() == [rows[0][1], "another"]
