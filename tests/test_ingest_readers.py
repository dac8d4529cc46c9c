"""Readers, coercion, pseudonymisation and registry currency on small hand-written files.

These files are written here from the contracts with xlsxwriter / plain text, independently of
the demo generator, so each reader rule is pinned by one small, readable case.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import random
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
import xlsxwriter

from pipelines.contracts import Contract, load_contract
from pipelines.identifiers import complete, is_valid
from pipelines.ingest.cells import Rejected
from pipelines.ingest.loader import ingest_partition
from pipelines.ingest.pseudonym import Pseudonymiser, valid_many
from pipelines.ingest.readers import parse, parse_many
from pipelines.ingest.registry import _decide

NOBD = load_contract("nobd_submission")
PASSPORT = load_contract("college_passport")
PS = Pseudonymiser(b"test-key")
IINS = [complete(f"0{i:02d}312{i:05d}"[:11]) for i in range(1, 40)]
IINS = [x for x in IINS if x][:4]
BIN = "123456789012"


def _cp1251(text: str) -> bool:
    try:
        text.encode("cp1251")
    except UnicodeEncodeError:
        return False
    return True


def _value(contract: Contract, sheet: str, col: str, i: int, lang: str) -> str:
    """A plausible cell for `col`, spelled the way a `lang` file would spell it."""
    c = contract.sheet(sheet).column(col)
    if c.pii:
        return IINS[i % len(IINS)]
    if c.allowed:
        code, spellings = next(iter(c.allowed.items()))
        if lang == "kk":
            return spellings[0]
        return next((s for s in spellings[1:] if _cp1251(s)), code)
    return {
        "string": f"{col}-{i}",
        "code": "Алматинская область",
        "integer": str(i + 1),
        "decimal": f"{i},5",
        "date": "01.09.2005",
        "datetime": "03.10.2024 14:05:00",
        "boolean": "иә" if lang == "kk" else "да",
    }[c.type]


def nobd_rows(lang: str, n: int = 3) -> dict[str, tuple[list[str], list[list[str]]]]:
    """sheet title -> (headers, rows) for a whole NOBD submission in `lang`."""
    out = {}
    for sheet in NOBD.sheets:
        headers = [c.header(lang) for c in sheet.columns]
        count = 1 if sheet.max_rows == 1 else n
        rows = [
            [_value(NOBD, sheet.name, c.name, i, lang) for c in sheet.columns] for i in range(count)
        ]
        if sheet.name == "header":
            rows[0][0] = BIN
        out[sheet.title(lang)] = (headers, rows)
    return out


def xlsx_bytes(sheets: dict[str, tuple[list[str], list[list[str]]]], header_at: int = 0) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for title, (headers, rows) in sheets.items():
        ws = wb.add_worksheet(title)
        ws.write_row(header_at, 0, headers)
        for i, row in enumerate(rows):
            ws.write_row(header_at + 1 + i, 0, row)
    wb.close()
    return buf.getvalue()


def csv_bytes(
    sheets: dict[str, tuple[list[str], list[list[str]]]], sep: str, encoding: str
) -> bytes:
    lines = []
    for title, (headers, rows) in sheets.items():
        lines.append(f"#{title}")
        lines += [sep.join(f'"{v}"' for v in r) for r in [headers, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_xlsx_kazakh_headers_are_read_typed_and_pseudonymised() -> None:
    parsed = parse(NOBD, xlsx_bytes(nobd_rows("kk")), "nobd/x.xlsx", PS)
    assert [s.sheet.name for s in parsed.sheets] == ["header", "students", "library", "staff"]
    students = parsed.sheet("students").frame
    assert "iin" not in students.columns
    assert students["iin_valid"].to_list() == [True, True, True]
    assert students["iin_hash"][0] == PS.hash_one(IINS[0])
    assert students["_row_number"].to_list() == [2, 3, 4]  # header is Excel row 1
    header = parsed.sheet("header").frame.row(0, named=True)
    assert header["signed_at"] == datetime(2024, 10, 3, 14, 5)
    assert header["reference_date"] == date(2005, 9, 1)
    assert parsed.sheet("staff").frame["fte"].to_list() == [0.5, 1.5, 2.5]
    assert parsed.issues.height == 0


def test_xlsx_header_below_a_title_keeps_excel_row_numbers() -> None:
    parsed = parse(NOBD, xlsx_bytes(nobd_rows("kk"), header_at=2), "nobd/x.xlsx", PS)
    assert parsed.sheet("students").frame["_row_number"].to_list() == [4, 5, 6]


def test_csv_cp1251_semicolon_decimal_comma_russian_headers() -> None:
    data = csv_bytes(nobd_rows("ru"), ";", "cp1251")
    parsed = parse(NOBD, data, "nobd/x.csv", PS)
    assert parsed.encoding == "cp1251"
    staff = parsed.sheet("staff").frame
    assert staff["fte"].to_list() == [0.5, 1.5, 2.5]
    assert staff["category"].to_list() == ["преподаватель"] * 3  # code kept as written
    # '#Заголовок' is line 1, its header line 2, its single data row line 3, then '#Обучающиеся'
    # on line 4, its header on 5: first student on physical line 6.
    assert parsed.sheet("header").frame["_row_number"].to_list() == [3]
    assert parsed.sheet("students").frame["_row_number"].to_list() == [6, 7, 8]
    assert parsed.sheet("students").frame["dual_training"].to_list() == [True] * 3


def test_csv_utf8_comma_separator_with_comma_inside_a_quoted_header() -> None:
    headers = [c.header("ru") for c in PASSPORT.sheet("colleges").columns]
    row = [
        _value(PASSPORT, "colleges", c.name, 0, "ru") for c in PASSPORT.sheet("colleges").columns
    ]
    data = csv_bytes({"Колледжи": (headers, [row])}, ",", "utf-8")
    parsed = parse(PASSPORT, data, "passports/2024/passports_2024.csv", PS)
    frame = parsed.sheet("colleges").frame
    assert frame["material_assistance_kzt"].to_list() == [0.5]  # "Материальная помощь, тенге"
    assert frame["opened_on"].to_list() == [date(2005, 9, 1)]


def test_uncoercible_cells_become_null_and_are_logged_without_iin_values() -> None:
    sheets = nobd_rows("kk")
    headers, rows = sheets["Білім алушылар"]
    rows[1][headers.index("Курс")] = "екінші"
    rows[2][headers.index("Туған күні")] = "31.02.2005"
    parsed = parse(NOBD, xlsx_bytes(sheets), "nobd/x.xlsx", PS)
    issues = parsed.issues.sort("row_number").to_dicts()
    assert [(i["row_number"], i["field"], i["value"]) for i in issues] == [
        (3, "course", "екінші"),
        (4, "birth_date", "31.02.2005"),
    ]
    # The problem says the cell was filled: an empty cell is never a load issue.
    assert issues[0]["problem"].startswith("not an integer (the cell is filled")
    assert issues[1]["problem"].startswith("not a date (the cell is filled")
    assert parsed.sheet("students").frame["course"].to_list() == [1, None, 3]


@pytest.mark.parametrize(
    ("mutate", "rule", "message"),
    [
        (
            lambda s: s.pop("Кітапхана қоры"),
            "structure.missing_sheet",
            "sheet 'library' (Кітапхана қоры/Библиотечный фонд) not found",
        ),
        (
            lambda s: s["Білім алушылар"][0].__setitem__(0, "Жеке нөмір"),
            "structure.missing_column",
            "column 'iin' (ЖСН/ИИН) not found",
        ),
    ],
)
def test_structure_rejections_name_sheet_and_column(mutate, rule: str, message: str) -> None:  # noqa: ANN001
    sheets = nobd_rows("kk")
    mutate(sheets)
    with pytest.raises(Rejected) as exc:
        parse(NOBD, xlsx_bytes(sheets), "nobd/2024-autumn/x.xlsx", PS)
    assert exc.value.rule == rule
    assert exc.value.reason.startswith(f"{rule}: nobd/2024-autumn/x.xlsx: ")
    assert message in exc.value.reason
    assert not any(iin in exc.value.reason for iin in IINS)


@pytest.mark.parametrize(
    ("data", "path", "rule"),
    [
        (b"", "nobd/x.csv", "structure.empty_file"),
        ("#Тақырып\nБСН;Атауы".encode("utf-16"), "nobd/x.csv", "structure.bad_encoding"),
        (bytes(range(256)) * 8, "nobd/x.csv", "structure.bad_encoding"),
        (b"PK\x03\x04 truncated zip", "nobd/x.xlsx", "structure.unreadable_file"),
    ],
)
def test_unreadable_files_are_rejected_with_rule(data: bytes, path: str, rule: str) -> None:
    with pytest.raises(Rejected) as exc:
        parse(NOBD, data, path, PS)
    assert exc.value.rule == rule


def test_same_iin_same_hash_whitespace_ignored_and_check_digit_validated() -> None:
    frame = pl.DataFrame(
        {"iin": [IINS[0], f" {IINS[0][:6]} {IINS[0][6:]} ", IINS[0][:11] + "0", None]}
    )
    out = PS.replace_column(frame, "iin")
    assert out.columns == ["iin_hash", "iin_valid"]
    hashes = out["iin_hash"].to_list()
    assert hashes[0] == hashes[1] != hashes[2]
    assert hashes[3] is None
    assert out["iin_valid"].to_list()[:2] == [True, True]


def _versions(rows: list[tuple[str, str, str, str | None, bool | None]]) -> pl.DataFrame:
    cols = ["file_id", "path", "status", "reason", "is_present"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def test_presence_supersedes_what_left_landing_and_restores_what_came_back() -> None:
    versions = _versions(
        [
            ("a", "nobd/r/B_r_v1.xlsx", "loaded", None, True),
            ("b", "nobd/r/B_r_v2.xlsx", "held_back", "identity.bin_mismatch", True),
            ("c", "nobd/r/C_r_v1.xlsx", "rejected", "structure.empty_file: …", True),
        ]
    )
    # Which present version is current is the data-quality step's choice: nothing changes.
    assert _decide(versions, {"a", "b", "c"}) == []
    # v2 deleted from landing: superseded; the rejected file only stops being present.
    assert sorted(_decide(versions, {"a"})) == [
        ("b", "superseded", "file no longer in landing/", False),
        ("c", "rejected", "structure.empty_file: …", False),
    ]
    gone = _versions(
        [("b", "nobd/r/B_r_v2.xlsx", "superseded", "file no longer in landing/", False)]
    )
    # Back under landing/: a candidate again.
    assert _decide(gone, {"b"}) == [("b", "loaded", None, True)]


def test_changed_file_at_same_path_is_a_new_version(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    folder = landing / "passports" / "2024"
    folder.mkdir(parents=True)
    db = tmp_path / "w.duckdb"

    @contextmanager
    def connect():  # noqa: ANN202
        con = duckdb.connect(str(db))
        try:
            yield con
        finally:
            con.close()

    headers = [c.header("en") for c in PASSPORT.sheet("colleges").columns]
    row = [
        _value(PASSPORT, "colleges", c.name, 0, "ru") for c in PASSPORT.sheet("colleges").columns
    ]
    target = folder / "passports_2024.csv"
    target.write_bytes(csv_bytes({"colleges": (headers, [row])}, ";", "utf-8"))
    first = ingest_partition(PASSPORT, "2024", landing, connect, PS)
    again = ingest_partition(PASSPORT, "2024", landing, connect, PS)
    target.write_bytes(csv_bytes({"colleges": (headers, [row, row])}, ";", "utf-8"))
    changed = ingest_partition(PASSPORT, "2024", landing, connect, PS)
    assert (first.loaded, again.skipped, changed.loaded, changed.currency.superseded) == (
        1,
        1,
        1,
        1,
    )
    with connect() as con:
        registry = con.sql(
            "SELECT status, reason FROM raw.landing_files ORDER BY first_seen_at"
        ).fetchall()
        rows = con.sql("SELECT count(*) FROM raw.passports").fetchall()[0][0]
    assert registry == [
        ("superseded", "replaced by a new version at the same path"),
        ("loaded", None),
    ]
    assert rows == 3  # the old version's row stays; current rows are found through the registry


def test_fast_hmac_equals_the_standard_library() -> None:
    for key in (b"k", b"x" * 64, b"y" * 100, "ключ".encode()):
        ps = Pseudonymiser(key)
        for iin in ("860101300011", "000000000000", ""):
            assert ps.hash_one(iin) == hmac.new(key, iin.encode(), hashlib.sha256).hexdigest()


def test_vectorised_check_digit_equals_identifiers_is_valid() -> None:
    rng = random.Random(7)
    firsts = [f"{rng.randrange(10**11):011d}" for _ in range(5000)]
    values: list[str | None] = [s + str(rng.randrange(10)) for s in firsts]  # ~1 in 10 valid
    values += [v for s in firsts[:2000] if (v := complete(s))]  # valid, both weight sets
    values += ["", "12345678901", "1234567890123", "12345678901a", " 12345678901", None]
    values += ["١٢٣٤٥٦٧٨٩٠١٢", "860101３00011"]  # non-ASCII digits: the reference decides
    assert valid_many(values) == [None if v is None else is_valid(v) for v in values]


def test_files_typed_together_equal_files_typed_alone() -> None:
    """parse_many types every sheet of a batch in one query: each file's rows, row numbers and
    issues must be exactly what parsing it alone gives (a retyped date column in one file, a
    rejected file, a CSV and a copied sheet beside it)."""
    mixed = nobd_rows("kk")
    headers, rows = mixed["Білім алушылар"]
    rows[1][headers.index("Туған күні")] = "2005-09-01"  # a second spelling: retyped, this file
    rows[2][headers.index("Курс")] = "екінші"
    rows[0][headers.index("Мамандық коды")] = IINS[1]  # an IIN outside the IIN column
    copied = nobd_rows("kk")
    copied["Білім алушылар (2)"] = copied["Білім алушылар"]
    missing = nobd_rows("kk")
    missing.pop("Кітапхана қоры")
    files = [
        (xlsx_bytes(mixed), "nobd/a.xlsx"),
        (csv_bytes(nobd_rows("ru"), ";", "cp1251"), "nobd/b.csv"),
        (xlsx_bytes(missing), "nobd/c.xlsx"),
        (xlsx_bytes(copied), "nobd/d.xlsx"),
        (xlsx_bytes(nobd_rows("kk"), header_at=2), "nobd/e.xlsx"),
    ]
    together = parse_many(NOBD, files, PS)
    for (data, path), batched in zip(files, together, strict=True):
        try:
            alone = parse(NOBD, data, path, PS)
        except Rejected as rej:
            assert isinstance(batched, Rejected) and batched.reason == rej.reason
            continue
        assert not isinstance(batched, Rejected)
        assert [s.label for s in batched.sheets] == [s.label for s in alone.sheets]
        for a, b in zip(alone.sheets, batched.sheets, strict=True):
            assert a.frame.equals(b.frame), (path, a.sheet.name)
        key = ["sheet", "row_number", "field", "problem"]
        assert batched.issues.sort(key, nulls_last=True).equals(
            alone.issues.sort(key, nulls_last=True)
        ), path
    a = together[0]
    assert not isinstance(a, Rejected)
    students = a.sheet("students").frame
    assert students["birth_date"].to_list() == [date(2005, 9, 1)] * 3
    assert {i["field"] for i in a.issues.to_dicts()} >= {"course", "specialty_code"}
