"""The IIN/BIN rule and the masking of IINs outside the IIN column, without the pipeline.

The rule (pipelines/identifiers.py): a 12-digit number with a valid check digit is an IIN, and
masked, unless its 5th digit is 4, 5 or 6 (a BIN's legal-entity kind). Checked against the
generator's identifiers (every IIN masked, no BIN ever) and on a parsed file with IINs typed into
every kind of place the reader writes.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
from test_ingest_readers import NOBD, PS, csv_bytes, nobd_rows, xlsx_bytes

from pipelines.demo.ids import IdFactory
from pipelines.identifiers import IIN_MASK, has_iin, is_bin_shaped, is_iin_shaped, mask_iins
from pipelines.ingest.cells import Rejected
from pipelines.ingest.masking import MASKED_PROBLEM
from pipelines.ingest.readers import parse

IIN = "900101300017"  # valid; 5th digit 0 (born on the 1st)
IIN_2 = "051231600017"  # valid; born 31 Dec 2005, a woman of the 2000s
COLLEGE_BIN = "240140000011"  # valid; registered 2024-01, resident legal entity


def test_rule_never_masks_a_bin_and_always_masks_an_iin() -> None:
    rng = random.Random(5)
    ids = IdFactory()
    day = date(1950, 1, 1)
    days = [day + timedelta(days=rng.randrange(25_000)) for _ in range(5000)]
    iins = [ids.iin(d, rng.choice("MF")) for d in days]
    bins = [ids.bin(day + timedelta(days=rng.randrange(25_000))) for _ in range(5000)]
    assert all(is_iin_shaped(i) and not is_bin_shaped(i) for i in iins)
    assert all(is_bin_shaped(b) and not is_iin_shaped(b) for b in bins)
    for b in bins:
        name = f"nobd/2024-autumn/{b}_2024-autumn_v1.xlsx"
        assert mask_iins(name) == name
    for i in iins:
        assert mask_iins(f"справка_{i}.pdf") == f"справка_{IIN_MASK}.pdf"


def test_masking_finds_an_iin_however_it_is_written() -> None:
    assert mask_iins(f"Директор {IIN}") == f"Директор {IIN_MASK}"
    assert mask_iins("900101 300017") == IIN_MASK  # typed in two groups
    assert mask_iins(f"{IIN}.0") == f"{IIN_MASK}.0"  # a number cell as text
    assert mask_iins(f"{IIN};{IIN_2}") == f"{IIN_MASK};{IIN_MASK}"
    assert mask_iins(f"1{IIN}") == f"1{IIN}"  # 13 digits: no IIN
    assert mask_iins("900101300018") == "900101300018"  # wrong check digit: not an IIN
    assert mask_iins(COLLEGE_BIN) == COLLEGE_BIN and not has_iin(COLLEGE_BIN)


def _raw_iins_in(parsed_frames: list[pl.DataFrame]) -> list[str]:
    found = []
    for frame in parsed_frames:
        for name, dtype in frame.schema.items():
            if dtype == pl.String:
                found += [v for v in frame.get_column(name).drop_nulls() if has_iin(v)]
    return found


def test_iins_typed_anywhere_in_a_file_are_masked_and_noted() -> None:
    sheets = nobd_rows("ru")
    (h_head, h_rows), (s_head, s_rows) = sheets["Заголовок"], sheets["Обучающиеся"]
    h_rows[0][h_head.index("Наименование организации")] = f"Колледж {IIN}"
    h_rows[0][h_head.index("Должность подписанта")] = IIN_2
    s_rows[0][s_head.index("БИН предприятия")] = IIN
    s_rows[1][s_head.index("Дата рождения")] = IIN_2
    # ИИН and Пол swapped: the IIN column holds sexes, the sex column IINs
    i, g = s_head.index("ИИН"), s_head.index("Пол")
    s_head[i], s_head[g] = s_head[g], s_head[i]
    for data, path in (
        (xlsx_bytes(sheets), "nobd/x.xlsx"),
        (csv_bytes(sheets, ";", "utf-8"), "nobd/x.csv"),
    ):
        parsed = parse(NOBD, data, path, PS)
        frames = [s.frame for s in parsed.sheets] + [parsed.issues]
        assert _raw_iins_in(frames) == [], path
        header, students = parsed.sheet("header").frame, parsed.sheet("students").frame
        assert header["college_name"][0] == f"Колледж {IIN_MASK}"
        assert header["signer_position"][0] == IIN_MASK
        assert students["enterprise_bin"][0] == IIN_MASK
        assert set(students["gender"].to_list()) == {IIN_MASK}
        masked = parsed.issues.filter(pl.col("problem") == MASKED_PROBLEM)
        fields = set(zip(masked["sheet"], masked["field"], strict=True))
        assert fields >= {
            ("header", "college_name"),
            ("header", "signer_position"),
            ("students", "enterprise_bin"),
            ("students", "gender"),
        }
        assert masked["value"].is_null().all()


def test_a_reason_naming_a_file_with_an_iin_in_its_name_is_masked() -> None:
    rej = Rejected("structure.unreadable_file", f"nobd/2024-autumn/справка_{IIN}.pdf", "x")
    assert IIN not in rej.reason and IIN_MASK in rej.reason


def test_frame_flags_name_the_columns_and_bins_that_held_an_iin() -> None:
    import duckdb

    from pipelines.quality.iin_flags import TEXT_FLAG, bin_flag, with_flags

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE f AS SELECT * FROM (VALUES "
        f"(1, 'M', 'kk', '{COLLEGE_BIN}'), "
        f"(2, '{IIN_MASK}', 'kk', '{IIN_MASK}'), "
        f"(3, '{IIN_MASK}', 'x {IIN_MASK}', NULL)"
        ") t(_row_number, gender, study_language, enterprise_bin)"
    )
    sql = with_flags(
        "nobd_submission.students",
        "select * from f",
        ["_row_number", "gender", "study_language", "enterprise_bin"],
    )
    rows = con.execute(
        f"select _row_number, {TEXT_FLAG}, {bin_flag('enterprise_bin')} from ({sql}) order by 1"
    ).fetchall()
    assert rows == [
        (1, None, None),
        (2, "gender", IIN_MASK),
        (3, "gender, study_language", None),
    ]
    assert with_flags("nobd_submission.submissions", "select 1", []) == "select 1"


def test_registry_masks_file_names_but_never_digests() -> None:
    import duckdb

    from pipelines.ingest.registration import Registration
    from pipelines.ingest.schema import ensure_schema
    from pipelines.ingest.writer import FileWriter

    digest = f"ab{IIN}cd" + "0" * 48  # a hex digest may hold 12 digits that look like an IIN
    reg = Registration(
        file_id=f"{IIN}abcd",
        path=f"nobd/2024-autumn/справка_{IIN}.pdf",
        source=None,
        partition_key=None,
        sha256=digest,
        size_bytes=1,
        status="rejected",
        reason=f"structure.unreadable_file: nobd/2024-autumn/справка_{IIN}.pdf: x",
    )
    with duckdb.connect() as con:
        ensure_schema(con)
        FileWriter(con).write([(reg, None)])
        row = con.execute("SELECT file_id, path, sha256, reason FROM raw.landing_files").fetchall()
    assert row == [
        (
            f"{IIN}abcd",
            f"nobd/2024-autumn/справка_{IIN_MASK}.pdf",
            digest,
            f"structure.unreadable_file: nobd/2024-autumn/справка_{IIN_MASK}.pdf: x",
        )
    ]
