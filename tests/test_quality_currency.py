"""Which NOBD version is current, from what validation found (pipelines/quality/currency.py),
and when row defects are systematic enough to hold a submission (submission.defective_rows)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from pipelines.ingest.schema import ensure_schema
from pipelines.quality.currency import Decision, Version, decide
from pipelines.quality.runner import _defective_rows

ROUND = "2024-autumn"


def _v(fid: str, college: str, day: int, version: int) -> Version:
    path = f"nobd/{ROUND}/{college}_{ROUND}_v{version}.xlsx"
    signed = datetime(2024, 10, day)
    return Version(fid, college, ROUND, path, signed, version, "loaded", signed)


def test_the_latest_acceptable_version_is_current() -> None:
    versions = [_v("a1", "A", 1, 1), _v("a2", "A", 2, 2)]
    out = decide(versions, holds={})
    assert out["a2"] == Decision("loaded", None, True)
    assert out["a1"].status == "superseded" and out["a1"].acceptable


def test_a_held_correction_leaves_the_previous_accepted_version_current() -> None:
    versions = [_v("a1", "A", 1, 1), _v("a2", "A", 2, 2), _v("a3", "A", 3, 3)]
    out = decide(versions, holds={"a3": "identity.bin_mismatch"})
    assert out["a3"] == Decision("held_back", "identity.bin_mismatch", False)
    assert out["a2"].status == "loaded"
    assert out["a1"].status == "superseded"


def test_with_no_acceptable_version_only_the_latest_is_held_back() -> None:
    versions = [_v("a1", "A", 1, 1), _v("a2", "A", 2, 2)]
    out = decide(versions, holds={"a1": "submission.defective_rows", "a2": "identity.header_rows"})
    assert out["a2"].status == "held_back"
    assert out["a1"] == Decision("superseded", f"superseded by {versions[1].path}", False)


def test_an_older_held_version_is_superseded_by_a_later_accepted_one() -> None:
    versions = [_v("a1", "A", 1, 1), _v("a2", "A", 2, 2)]
    out = decide(versions, holds={"a1": "identity.round_mismatch"})
    assert out["a2"].status == "loaded"
    assert out["a1"].status == "superseded" and not out["a1"].acceptable


def test_colleges_never_supersede_each_other() -> None:
    # A file filed under B (name) is B's even if its header speaks of A: it can only compete
    # with B's other versions.
    versions = [_v("a1", "A", 1, 1), _v("b1", "B", 5, 1)]
    out = decide(versions, holds={"b1": "identity.bin_mismatch"})
    assert out["a1"].status == "loaded"
    assert out["b1"].status == "held_back"


def _frame_with_rows(con: duckdb.DuckDBPyConnection, file_id: str, rows: int) -> None:
    ensure_schema(con)
    con.execute(
        "insert into raw.nobd_students (_file_id, _sheet, _row_number) "
        "select ?, 'students', range + 2 from range(?)",
        [file_id, rows],
    )


def _quarantined(file_id: str, rows: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "suite": "nobd_submission.identifiers",
            "file_id": file_id,
            "college_bin": "A",
            "sheet": "students",
            "row_number": [float(r) for r in rows],
            "field": "iin",
            "rule_id": "identifiers.iin_checksum",
            "severity": "quarantine",
            "offending_value": "***",
            "message_kk": "kk",
            "message_ru": "ru",
        }
    )


def test_a_single_defective_row_never_holds_a_submission() -> None:
    con = duckdb.connect()
    _frame_with_rows(con, "f", 10)  # one row of ten: 10 % but a single row
    assert _defective_rows(con, _quarantined("f", [2])).empty


def test_systematic_row_defects_hold_the_submission() -> None:
    con = duckdb.connect()
    _frame_with_rows(con, "f", 40)
    held = _defective_rows(con, _quarantined("f", [2, 3, 4]))  # 3 of 40 = 7.5 % > 5 %
    assert held[["file_id", "sheet", "rule_id", "severity", "offending_value"]].values.tolist() == [
        ["f", "students", "submission.defective_rows", "hold", "3 / 40 (8%)"]
    ]
    assert _defective_rows(con, _quarantined("f", [2, 3])).empty  # 2 of 40 = 5 %: not above
