"""Passport regions and the register (docs/ARCHITECTURE.md "Domain rules"):

- an ambiguous region spelling («Алматы») is resolved only through the college's previous
  passport, otherwise unknown with identifiers.ambiguous_region;
- a region created after the passport date counts in the region that contained it then, with
  identifiers.region_not_yet_established;
- a BIN listed twice in one passport file: identical rows are one, conflicting rows are all
  reported (identifiers.passport_conflict) and their disagreeing attributes unknown;
- a region spelling not in the alias list does not stop the yearbook, and neither `edustat run`
  nor `edustat yearbook` prints a Python traceback.

One small pipeline run (its own home, not the shared `pipeline_home`): the generator's passports
with these defects written into them.
"""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from conftest import edustat

from pipelines import reference
from pipelines.settings import REFERENCE_DIR

UNKNOWN_SPELLING = "Неизвестная область"


# --- reference data --------------------------------------------------------------------------


def test_ambiguous_spellings_have_candidates_not_a_region() -> None:
    assert reference.resolve_region("Алматы") is None
    assert reference.resolve_region(" алматы ") is None
    assert reference.region_candidates("Алматы") == ("19", "75")
    assert reference.region_candidates("Almaty") == ("19", "75")
    assert reference.resolve_region("Алматы қаласы") == "75"
    assert reference.resolve_region("Алматы облысы") == "19"
    assert reference.region_candidates(UNKNOWN_SPELLING) == ()


def test_every_alias_is_one_region_or_ambiguous_between_regions() -> None:
    path = REFERENCE_DIR / "region_aliases.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = set(reference.regions())
    for row in rows:
        if row["region_code"]:
            assert not row["candidate_codes"], row
            assert row["region_code"] in codes, row
        else:
            candidates = row["candidate_codes"].split()
            assert len(candidates) >= 2 and set(candidates) <= codes, row


def test_passport_region_follows_the_previous_passport_only_when_it_is_a_candidate() -> None:
    assert reference.passport_region("Алматы", "75") == "75"
    assert reference.passport_region("Алматы", "19") == "19"
    assert reference.passport_region("Алматы", "63") is None
    assert reference.passport_region("Алматы", None) is None
    assert reference.passport_region("г. Алматы", "19") == "75"
    assert reference.passport_region(UNKNOWN_SPELLING, "75") is None
    # The region a 2021 passport naming Ulytau counts in (its autumn reference date).
    assert reference.region_on("62", date(2021, 10, 1)) == "35"
    assert reference.region_on("62", date(2022, 10, 1)) == "62"


# --- the CLI's failure summary ----------------------------------------------------------------


def test_underlying_message_is_the_innermost_cause() -> None:
    from dagster_shared.error import SerializableErrorInfo

    from pipelines.cli.run import underlying_message

    inner = SerializableErrorInfo("BuildError: table x: rows ['None']\nmore", [], "BuildError")
    outer = SerializableErrorInfo('Error occurred while executing op "yearbook":', [], "E", inner)
    assert underlying_message(outer) == "BuildError: table x: rows ['None']"
    assert underlying_message(None) == "failed"


def test_report_crash_writes_the_traceback_to_the_log_not_the_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli.run import EXIT_FAILED, RUN_LOG, report_crash
    from pipelines.settings import Home

    home = Home(tmp_path)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        code = report_crash(home, "edustat run", exc)
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert "ValueError: boom" in err and "Traceback" not in err
    assert str(home.logs / RUN_LOG) in err
    assert "Traceback" in (home.logs / RUN_LOG).read_text(encoding="utf-8")
    assert not logging.getLogger("edustat").handlers


# --- the pipeline on passports with these defects ------------------------------------------------


def _sheet(path: Path) -> tuple[openpyxl.Workbook, Any, dict[str, int]]:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    rows = {str(ws.cell(row=r, column=1).value): r for r in range(2, ws.max_row + 1)}
    return wb, ws, rows


def _column(ws: Any, headers: tuple[str, ...]) -> int:
    """The 1-based column whose header is one of the contract's spellings of that column."""
    return next(i for i, c in enumerate(ws[1], 1) if str(c.value) in headers)


def _region_column(ws: Any) -> int:
    return _column(ws, ("Өңір", "Облыс", "Регион", "Область", "region"))


def _capacity_column(ws: Any) -> int:
    return _column(ws, ("Жобалық қуаты", "Проектная мощность", "capacity"))


@pytest.fixture(scope="module")
def regions_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """demo-data for 2021-2022 (the 2021 passport predates the June 2022 split), passports edited:
    A: 2021 «город Алматы», 2022 «Алматы» (resolved to 75 through 2021);
    B: 2021 «Алматы» (no previous passport: unknown, ambiguous_region);
    C: 2021 «Ұлытау облысы» (not yet established: counts in 35);
    D: 2021 listed twice, identical (one row, the repeat reported);
    E: 2022 listed twice with another capacity (conflict: capacity unknown, still expected);
    F: 2022 listed twice, «Қызылорда облысы» and «Кызылординская область» (conflict on region,
       region 43 kept);
    G: 2022 «Неизвестная область» (unknown region: the yearbook still builds)."""
    home = tmp_path_factory.mktemp("regions_home")
    edustat("demo-data", "--out", str(home), "--scale", "12", "--years", "2021-2022",
            "--seed", "3", home=home)  # fmt: skip
    paths = {y: home / f"landing/passports/{y}/passports_{y}.xlsx" for y in (2021, 2022)}
    books = {y: _sheet(p) for y, p in paths.items()}
    both = [b for b in books[2021][2] if b in books[2022][2]]
    assert len(both) >= 7, "the sample needs seven colleges with passports in both years"
    # E must be expected in 2022-2023 whatever happens to its capacity: a college still open.
    closed_col = _column(books[2022][1], ("Жабылған күні", "Дата закрытия", "closed_on"))
    open_2022 = [
        x
        for x in both
        if books[2022][1].cell(row=books[2022][2][x], column=closed_col).value is None
    ]
    e = open_2022[0]
    a, b, c, d, f, g = [x for x in both if x != e][:6]
    for year, changes in {
        2021: {a: "город Алматы", b: "Алматы", c: "Ұлытау облысы"},
        2022: {a: "Алматы", g: UNKNOWN_SPELLING},
    }.items():
        _, ws, rows = books[year]
        col = _region_column(ws)
        for bin_, spelling in changes.items():
            ws.cell(row=rows[bin_], column=col).value = spelling
    for year, bin_, overrides in (
        (2021, d, {}),
        (2022, e, {"capacity": 99999}),
        (2022, f, {"region": "Кызылординская область"}),
    ):
        _, ws, rows = books[year]
        values = [cell.value for cell in ws[rows[bin_]]]
        if "capacity" in overrides:
            values[_capacity_column(ws) - 1] = overrides["capacity"]
        if "region" in overrides:
            region_col = _region_column(ws)
            ws.cell(row=rows[bin_], column=region_col).value = "Қызылорда облысы"
            values[region_col - 1] = overrides["region"]
        ws.append(values)
    for year, (wb, _, _) in books.items():
        wb.save(paths[year])
    run = edustat("run", home=home)
    yearbook = edustat("yearbook", "--all", home=home)
    bins = dict(zip("abcdefg", (a, b, c, d, e, f, g), strict=True))
    return {"home": home, "run": run, "yearbook": yearbook, **bins}


def _query(home: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rel = con.execute(sql, params or [])
        names = [d[0] for d in rel.description]
        return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def _register(ctx: dict[str, Any], bin_: str, year: int) -> dict[str, Any]:
    rows = _query(
        ctx["home"],
        "select * from intermediate.int_passports__register "
        "where college_bin = ? and passport_year = ?",
        [bin_, year],
    )
    assert len(rows) == 1, (bin_, year, rows)
    return rows[0]


def _findings(ctx: dict[str, Any], bin_: str, year: int) -> list[tuple[Any, ...]]:
    return [
        (r["rule_id"], r["severity"], r["row_number"] is not None, r["field"])
        for r in _query(
            ctx["home"],
            "select * from dq.findings where source = 'college_passport' "
            "and rule_id like 'identifiers.%' and college_bin = ? and year = ? "
            "order by row_number",
            [bin_, year],
        )
    ]


def test_no_traceback_and_the_yearbook_is_built(regions_home: dict[str, Any]) -> None:
    for result in (regions_home["run"], regions_home["yearbook"]):
        assert "Traceback" not in result.stdout + result.stderr
    out = regions_home["yearbook"].stdout
    assert "yearbook 2021-2022:" in out and "yearbook 2022-2023:" in out
    # The college of unknown region is on the «region not known» line of the region tables.
    releases = sorted((regions_home["home"] / "yearbook/2022-2023").iterdir())
    with (releases[-1] / "cells.csv").open(encoding="utf-8", newline="") as f:
        cells = [r for r in csv.DictReader(f) if r["table_id"] == "barrier_free"]
    unknown = {r["col_key"]: r["value"] for r in cells if r["row_key"] == "?"}
    assert unknown["colleges"] == "1", cells
    assert "Регион не определён" in {r["row_label_ru"] for r in cells}


def test_ambiguous_spelling_resolved_through_the_previous_passport(
    regions_home: dict[str, Any],
) -> None:
    a = regions_home["a"]
    assert _register(regions_home, a, 2022)["region_code"] == "75"
    assert _findings(regions_home, a, 2022) == []


def test_ambiguous_spelling_without_a_previous_passport_is_unknown(
    regions_home: dict[str, Any],
) -> None:
    b = regions_home["b"]
    row = _register(regions_home, b, 2021)
    assert row["region_code"] is None and row["region_raw"] == "Алматы"
    assert _findings(regions_home, b, 2021) == [
        ("identifiers.ambiguous_region", "warning", True, "region")
    ]


def test_region_not_yet_established_counts_in_the_region_that_contained_it(
    regions_home: dict[str, Any],
) -> None:
    c = regions_home["c"]
    row = _register(regions_home, c, 2021)
    assert (row["region_written_code"], row["region_code"]) == ("62", "35")
    assert _findings(regions_home, c, 2021) == [
        ("identifiers.region_not_yet_established", "warning", True, "region")
    ]
    expected = _query(
        regions_home["home"],
        "select round_id, region_code from intermediate.int_expected__college_rounds "
        "where college_bin = ? and academic_year = '2021-2022'",
        [c],
    )
    assert expected and {r["region_code"] for r in expected} == {"35"}


def test_identical_repeat_is_one_row_and_reported(regions_home: dict[str, Any]) -> None:
    d = regions_home["d"]
    row = _register(regions_home, d, 2021)
    assert row["passport_rows"] == 2 and row["conflict_field"] is None
    assert row["capacity"] is not None and row["region_code"] is not None
    assert _findings(regions_home, d, 2021) == [
        ("identifiers.passport_conflict", "warning", True, None)
    ]


def test_conflicting_rows_are_all_reported_and_their_disagreement_unknown(
    regions_home: dict[str, Any],
) -> None:
    e, f = regions_home["e"], regions_home["f"]
    row = _register(regions_home, e, 2022)
    assert row["capacity"] is None and row["region_code"] is not None
    assert (
        _findings(regions_home, e, 2022)
        == [("identifiers.passport_conflict", "warning", True, "capacity")] * 2
    )
    assert _query(
        regions_home["home"],
        "select count(*) as n from intermediate.int_expected__college_rounds "
        "where college_bin = ? and academic_year = '2022-2023'",
        [e],
    ) == [{"n": 2}]
    row = _register(regions_home, f, 2022)
    assert row["region_code"] == "43" and row["region_raw"] is None
    assert (
        _findings(regions_home, f, 2022)
        == [("identifiers.passport_conflict", "warning", True, "region")] * 2
    )


def test_unknown_spelling_is_an_unknown_region(regions_home: dict[str, Any]) -> None:
    g = regions_home["g"]
    assert _register(regions_home, g, 2022)["region_code"] is None
    assert _findings(regions_home, g, 2022) == [
        ("identifiers.unknown_region", "warning", True, "region")
    ]
