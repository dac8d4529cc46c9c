"""DQ report packs on the real sample: `pipeline_home` (demo-data + `edustat run`, conftest.py).

`edustat run` materialises `dq_report_packs`, so the packs under pipeline_home/reports/dq/ are the
pipeline's own. Every figure is checked against the marts with SQL written here, independently
of pipelines/reports/load.py; the warehouse is only ever opened read-only.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from pipelines.i18n import LANGS
from pipelines.publishing.labels import Labels
from pipelines.reports.build import NATIONAL, build_packs
from pipelines.settings import Home

KAZAKH_ONLY = set("әғқңөұүһі")


def t(key: str, lang: str) -> str:
    """A fixed wording of the packs, as marts.dim_label has it (built from the seed)."""
    return Labels.from_seed().name("ui", key, lang)


BIN_TOKEN = re.compile(r"(?<!\d)\d{12}(?!\d)")
HTML_BIN_CELL = re.compile(r'<td class="bin">(\d{12})</td>')
FILES = tuple(f"report_{lang}.{ext}" for lang in LANGS for ext in ("xlsx", "html"))


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(pipeline_home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(Home(pipeline_home).warehouse), read_only=True)
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list:
    return con.execute(sql, params or []).fetchall()


@functools.cache
def _load_workbook(path: Path) -> openpyxl.Workbook:
    # Several tests read every workbook; the pipeline's packs do not change during the session.
    return openpyxl.load_workbook(path)


@dataclass(frozen=True)
class Pack:
    round_id: str
    region: str  # KATO code or "national"
    path: Path

    def workbook(self, lang: str) -> openpyxl.Workbook:
        return _load_workbook(self.path / f"report_{lang}.xlsx")

    def html(self, lang: str) -> str:
        return (self.path / f"report_{lang}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dq_dir(pipeline_home: Path) -> Path:
    return Home(pipeline_home).reports / "dq"


@pytest.fixture(scope="module")
def packs(dq_dir: Path) -> list[Pack]:
    found = [
        Pack(round_dir.name, pack_dir.name, pack_dir)
        for round_dir in sorted(dq_dir.iterdir())
        if round_dir.is_dir()
        for pack_dir in sorted(round_dir.iterdir())
    ]
    assert found, f"no packs under {dq_dir}"
    return found


@pytest.fixture(scope="module")
def region_at_round(warehouse: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(round, BIN) -> the region the college is expected in, as fct_dq_submission_status says."""
    rows = _rows(
        warehouse,
        "select distinct round_id, college_bin, region_code from marts.fct_dq_submission_status "
        "where status <> 'superseded'",
    )
    mapping: dict[tuple[str, str], str] = {}
    for round_id, college_bin, region in rows:
        assert mapping.setdefault((round_id, college_bin), region) == region
    return mapping


@pytest.fixture(scope="module")
def known_bins(warehouse: duckdb.DuckDBPyConnection) -> set[str]:
    """Every college BIN the warehouse knows (register and submissions)."""
    rows = _rows(
        warehouse,
        "select college_bin from marts.dim_college union "
        "select college_bin from marts.fct_dq_submission_status",
    )
    return {r[0] for r in rows}


@pytest.fixture(scope="module")
def rebuilt(pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A second home that reads the same warehouse (symlink) and builds its own packs."""
    home = Home(tmp_path_factory.mktemp("reports_home"))
    home.warehouse.symlink_to(Home(pipeline_home).warehouse)
    build_packs(home)
    return home


# --- helpers --------------------------------------------------------------------------------


def _sheet_values(book: openpyxl.Workbook) -> Iterator[tuple[str, str, Any]]:
    """(sheet, column header, value) of every non-empty data cell."""
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, ())
        for row in rows:
            for title, value in zip(header, row, strict=False):
                if value is not None:
                    yield sheet.title, str(title), value


def _summary(book: openpyxl.Workbook, lang: str) -> dict[str, Any]:
    sheet = book[t("sheet_summary", lang)]
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}


def _first_column(book: openpyxl.Workbook, sheet_key: str, lang: str) -> list[Any]:
    sheet = book[t(sheet_key, lang)]
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] is not None]


def _region_counts(con: duckdb.DuckDBPyConnection, round_id: str, region: str | None) -> dict:
    """The summary figures of one region (None: the country), straight from the marts.

    A region counts the findings of the colleges expected in it; the country counts every
    finding of the round, also those of colleges outside the register."""
    level = "national" if region is None else "region"
    rates = _rows(
        con,
        "select expected, actual, actual_on_time, reporting_rate, reporting_rate_on_time "
        "from marts.rpt_reporting_rates where round_id = ? and level = ? "
        "and region_code is not distinct from ?",
        [round_id, level, region],
    )
    assert len(rates) == 1, (round_id, region)
    expected, actual, on_time, rate, rate_on_time = rates[0]
    status = Counter(
        dict(
            _rows(
                con,
                "select case when is_held_back then 'held_back' "
                "else status end, count(*) from marts.fct_dq_submission_status "
                "where round_id = ? and status <> 'superseded' "
                "and (? is null or region_code = ?) group by 1",
                [round_id, region, region],
            )
        )
    )
    flags = _rows(
        con,
        "select count(*) filter (where previous_version_current), "
        "count(*) filter (where corrected_after_due_date) from marts.fct_dq_submission_status "
        "where round_id = ? and status <> 'superseded' and (? is null or region_code = ?)",
        [round_id, region, region],
    )[0]
    findings = Counter(
        dict(
            _rows(
                con,
                """
                select severity, count(*) from marts.rpt_dq_pack_findings
                where pack_round_id = ? and (? is null or pack_region_code = ?)
                group by 1
                """,
                [round_id, region, region],
            )
        )
    )
    quarantined = _rows(
        con,
        """
        select count(distinct (file_id, sheet, row_number)) from marts.rpt_dq_pack_findings
        where pack_round_id = ? and severity = 'quarantine' and row_number is not null
          and (? is null or pack_region_code = ?)
        """,
        [round_id, region, region],
    )[0][0]
    return {
        "expected": expected,
        "submitted": actual,
        "on_time": on_time,
        "late": status["late"],
        "missing": status["missing"] + status["held_back"],
        "held_back": status["held_back"],
        "previous_version_current": flags[0],
        "corrected_after_due_date": flags[1],
        "reporting_rate": rate,
        "reporting_rate_on_time": rate_on_time,
        "hold_findings": findings["hold"],
        "quarantined_rows": quarantined,
        "warning_findings": findings["warning"],
        "_all_findings": sum(findings.values()),
        "_status_rows": status,
    }


# --- the pipeline built the packs -----------------------------------------------------------


def test_a_pack_for_every_region_and_round(
    warehouse: duckdb.DuckDBPyConnection, packs: list[Pack]
) -> None:
    expected = {
        (round_id, region)
        for round_id, region in _rows(
            warehouse,
            "select distinct round_id, region_code from marts.fct_dq_submission_status "
            "where status <> 'superseded'",
        )
    }
    rounds = {round_id for round_id, _ in expected}
    expected |= {(round_id, NATIONAL) for round_id in rounds}
    assert {(p.round_id, p.region) for p in packs} == expected
    for pack in packs:
        assert sorted(p.name for p in pack.path.iterdir()) == sorted(FILES), pack.path


def test_every_workbook_opens_in_both_languages(packs: list[Pack]) -> None:
    for pack in packs:
        for lang in LANGS:
            book = pack.workbook(lang)
            assert book.sheetnames[0] == t("sheet_summary", lang)
            for sheet in book.worksheets:
                assert sheet.freeze_panes == "A2", (pack.path, sheet.title)
            text = " ".join(
                [*book.sheetnames, *(str(v) for _, _, v in _sheet_values(book))]
            ) + pack.html(lang)
            if lang == "kk":
                assert KAZAKH_ONLY & set(text), f"no Kazakh letter in {pack.path} kk"
            else:
                for heading in ("Сводка", "Показатель", "Уровень сдачи"):
                    assert heading in text, f"{heading} missing from {pack.path} ru"


def test_workbook_formats(packs: list[Pack]) -> None:
    pack = next(p for p in packs if p.region != NATIONAL)
    book = pack.workbook("ru")
    summary = book[t("sheet_summary", "ru")]
    rate_rows = {t("reporting_rate", "ru"), t("reporting_rate_on_time", "ru")}
    formats = {row[0].value: row[1].number_format for row in summary.iter_rows(min_row=2)}
    assert {formats[label] for label in rate_rows} == {"0.0%"}
    for sheet in book.worksheets:
        assert sheet.column_dimensions["A"].width and sheet.column_dimensions["B"].width


def test_html_is_self_contained_and_names_the_font(packs: list[Pack]) -> None:
    for pack in packs:
        for lang in LANGS:
            page = pack.html(lang)
            assert f'<html lang="{lang}">' in page
            assert '"DejaVu Sans"' in page
            # Nothing fetched from elsewhere: a department opens the page offline.
            assert not re.search(r"<(script|link)\b|src=|url\(", page), pack.path


# --- no pack holds another region's college ------------------------------------------------


def test_no_pack_holds_a_college_of_another_region(
    packs: list[Pack],
    region_at_round: dict[tuple[str, str], str],
    known_bins: set[str],
) -> None:
    checked = 0
    for pack in (p for p in packs if p.region != NATIONAL):
        for lang in LANGS:
            book = pack.workbook(lang)
            bin_header = t("college_bin", lang)
            tokens: set[str] = set()
            notes = {t(key, lang) for key in ("none_late_missing", "none_findings")}
            for _, title, value in _sheet_values(book):
                if title == bin_header and value not in notes:
                    # The BIN column: every value is a college of this region at this round.
                    assert region_at_round.get((pack.round_id, value)) == pack.region, (
                        pack.path,
                        value,
                    )
                    checked += 1
                tokens |= set(BIN_TOKEN.findall(str(value)))
            page = pack.html(lang)
            for value in HTML_BIN_CELL.findall(page):
                assert region_at_round.get((pack.round_id, value)) == pack.region, (
                    pack.path,
                    value,
                )
                checked += 1
            tokens |= set(BIN_TOKEN.findall(page))
            # Anywhere else (file paths, offending values): a known college BIN must be ours.
            for token in tokens & known_bins:
                assert region_at_round.get((pack.round_id, token)) == pack.region, (
                    pack.path,
                    token,
                )
    assert checked > 0, "no BIN found in any regional pack"


def test_late_and_missing_lists_are_complete(
    warehouse: duckdb.DuckDBPyConnection, packs: list[Pack]
) -> None:
    for pack in (p for p in packs if p.region != NATIONAL):
        expected = {
            r[0]
            for r in _rows(
                warehouse,
                # late and missing, and the colleges listed for a flag (a held-back correction,
                # a correction after the due date), as pipelines/reports/load.py lists them
                "select college_bin from marts.fct_dq_submission_status "
                "where round_id = ? and region_code = ? and (status in ('late', 'missing') "
                "or previous_version_current or corrected_after_due_date)",
                [pack.round_id, pack.region],
            )
        }
        for lang in LANGS:
            listed = _first_column(pack.workbook(lang), "sheet_late_missing", lang)
            bins = {v for v in listed if BIN_TOKEN.fullmatch(str(v))}
            assert bins == expected, pack.path
            assert len(bins) == len([v for v in listed if v in bins])  # no duplicates


# --- the figures are the marts' -------------------------------------------------------------


def test_summary_counts_equal_the_marts(
    warehouse: duckdb.DuckDBPyConnection, packs: list[Pack]
) -> None:
    for pack in packs:
        truth = _region_counts(
            warehouse, pack.round_id, None if pack.region == NATIONAL else pack.region
        )
        for lang in LANGS:
            book = pack.workbook(lang)
            summary = _summary(book, lang)
            for key, value in truth.items():
                if key.startswith("_"):
                    continue
                shown = summary[t(key, lang)]
                if isinstance(value, float):
                    assert shown == pytest.approx(value), (pack.path, lang, key)
                else:
                    assert shown == value, (pack.path, lang, key)
            assert truth["expected"] == truth["on_time"] + truth["late"] + truth["missing"]
            if pack.region != NATIONAL:
                listed = _first_column(book, "sheet_findings", lang)
                shown_findings = [v for v in listed if v != t("none_findings", lang)]
                assert len(shown_findings) == truth["_all_findings"], pack.path


def test_national_ranking_and_totals(
    warehouse: duckdb.DuckDBPyConnection, packs: list[Pack]
) -> None:
    for pack in (p for p in packs if p.region == NATIONAL):
        book = pack.workbook("ru")
        sheet = book[t("sheet_regions", "ru")]
        header = [c.value for c in sheet[1]]
        rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[2] is not None]
        *regions, total = rows
        col = {name: header.index(t(name, "ru")) for name in ("expected", "reporting_rate")}
        marts = dict(
            _rows(
                warehouse,
                "select region_code, reporting_rate from marts.rpt_reporting_rates "
                "where round_id = ? and level = 'region'",
                [pack.round_id],
            )
        )
        assert {r[1]: r[col["reporting_rate"]] for r in regions} == pytest.approx(marts)
        rates = [r[col["reporting_rate"]] for r in regions]
        ranks = [r[0] for r in regions]
        assert rates == sorted(rates, reverse=True)
        assert ranks == sorted(ranks) and ranks[0] == 1
        assert total[2] == t("total_national", "ru")
        assert total[col["expected"]] == sum(r[col["expected"]] for r in regions)


def test_trend_shows_the_previous_round_from_the_marts(
    warehouse: duckdb.DuckDBPyConnection, packs: list[Pack]
) -> None:
    rounds = [
        r[0]
        for r in _rows(warehouse, "select round_id from marts.dim_round order by reference_date")
    ]
    compared = 0
    for pack in packs:
        position = rounds.index(pack.round_id)
        previous = rounds[position - 1] if position else "none"
        sheet = pack.workbook("ru")[t("sheet_trend", "ru")]
        rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]}
        region = None if pack.region == NATIONAL else pack.region
        had_data = _rows(
            warehouse,
            "select count(*) from marts.rpt_reporting_rates where round_id = ? "
            "and region_code is not distinct from ?",
            [previous, region],
        )[0][0]
        if not had_data:
            assert t("no_previous_round", "ru") in rows, pack.path
            continue
        before = _region_counts(warehouse, previous, region)
        now = _region_counts(warehouse, pack.round_id, region)
        for key in ("expected", "on_time", "missing", "reporting_rate"):
            _, shown_before, shown_now, _ = rows[t(key, "ru")]
            assert shown_before == pytest.approx(before[key]), (pack.path, key)
            assert shown_now == pytest.approx(now[key]), (pack.path, key)
        compared += 1
    assert compared > 0, "no pack had a previous round to compare with"


# --- deterministic, idempotent --------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_packs_are_deterministic(dq_dir: Path, rebuilt: Home) -> None:
    # Built by the pipeline and built again here from the same warehouse: byte for byte.
    assert _tree(rebuilt.reports / "dq") == _tree(dq_dir)


def test_rebuilding_replaces_packs(rebuilt: Home) -> None:
    root = rebuilt.reports / "dq"
    before = _tree(root)
    round_dir = sorted(p for p in root.iterdir() if p.is_dir())[0]
    (round_dir / "99").mkdir()  # a region that no longer has colleges
    (round_dir / NATIONAL / "stale.txt").write_text("x")
    (root / "2000-autumn").mkdir()  # a round the warehouse no longer has
    build_packs(rebuilt)
    assert _tree(root) == before
    assert not (round_dir / "99").exists() and not (root / "2000-autumn").exists()


def test_one_region_replaces_only_its_folder(rebuilt: Home) -> None:
    root = rebuilt.reports / "dq"
    round_dir = sorted(p for p in root.iterdir() if p.is_dir())[-1]
    region = sorted(p.name for p in round_dir.iterdir() if p.name != NATIONAL)[0]
    before = _tree(root)
    (round_dir / region / "report_kk.html").write_text("tampered")
    summary = build_packs(rebuilt, round_id=round_dir.name, region=region)
    assert [(p.round_id, p.region_code) for p in summary.packs] == [(round_dir.name, region)]
    assert _tree(root) == before


# --- the command ----------------------------------------------------------------------------


def _cli(home: Path, *args: str) -> Any:
    from pipelines.cli.main import app

    return CliRunner().invoke(app, ["reports", *args], env={"EDUSTAT_HOME": str(home)})


def test_cli_builds_one_region(rebuilt: Home) -> None:
    round_dir = sorted(p for p in (rebuilt.reports / "dq").iterdir() if p.is_dir())[0]
    region = sorted(p.name for p in round_dir.iterdir() if p.name != NATIONAL)[0]
    result = _cli(rebuilt.root, "--round", round_dir.name, "--region", region)
    assert result.exit_code == 0, result.output
    assert f"{round_dir.name}  {region}" in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--round", "1999-autumn"), ("1999-autumn", "кезеңі жоқ", "Периода", "not in")),
        (("--round", "2023-autumn", "--region", "98"), ("98", "өңірінің", "региона", "region")),
    ],
)
def test_cli_unknown_round_or_region(rebuilt: Home, args: tuple[str, ...], words: tuple) -> None:
    result = _cli(rebuilt.root, *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output


def test_cli_without_a_warehouse(tmp_path: Path) -> None:
    result = _cli(tmp_path, "--round", "2023-autumn")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "Қойма әлі құрылмаған" in result.output
    assert "Хранилище ещё не построено" in result.output
    assert "not built yet" in result.output
