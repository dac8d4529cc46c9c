"""The yearbook's machinery without the pipeline: the table spec, the extractor's rules for empty
cells, releases and revisions, number formatting, the schedule and `edustat run`'s plan."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from textwrap import dedent

import duckdb
import pytest
import yaml

from pipelines.indicators import load_registry
from pipelines.publishing.numbers import MINUS, NBSP, number, percent
from pipelines.yearbook import release as rel
from pipelines.yearbook.extract import BuildError, extract_book
from pipelines.yearbook.spec import SPEC_FILE, SpecError, load_spec

# --- the real spec ----------------------------------------------------------------------------


def test_the_spec_declares_the_required_tables() -> None:
    spec = load_spec()
    ids = [t.id for t in spec.tables]
    assert ids[:6] == [
        "contingent_language",
        "contingent_funding",
        "contingent_study_form",
        "contingent_gender",
        "dual_training",
        "library_fund",
    ]
    registry = load_registry()
    assert {f"indicator_{i.id}" for i in registry.indicators} | {
        "worldskills_region_level",
        "worldskills_stream_level",
        "demo_exams",
        "barrier_free",
        "completeness",
    } <= set(ids)
    # One table per registry entry, in the registry's order.
    indicators = [t.indicator.id for t in spec.tables if t.indicator is not None]
    assert indicators == [i.id for i in registry.indicators]
    for t in spec.tables:
        assert t.title.kk and t.title.ru and t.unit.kk and t.unit.ru
        assert all(c.label.kk and c.label.ru for c in t.columns)


def test_crosstab_sql_spreads_every_declared_value_and_checks_the_parts() -> None:
    t = load_spec().table("contingent_language")
    assert [c.key for c in t.columns] == ["students", "kk", "ru", "en"]
    for code in ("kk", "ru", "en"):
        assert f"count(*) filter (where study_language = '{code}') as {code}" in t.sql
    assert "grouping sets ((region_code), ())" in t.sql
    assert t.sum_checks == (("students", ("kk", "ru", "en")),)
    ws = load_spec().table("worldskills_region_level")
    assert "college_medals" in [c.key for c in ws.columns]
    assert "filter (where level = 'college' and medal in ('gold', 'silver', 'bronze'))" in ws.sql


def _spec_with(tmp_path: Path, change: dict) -> Path:
    raw = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    raw["tables"][0].update(change)
    path = tmp_path / "tables.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"foonotes": []}, "unknown keys"),
        ({"rows": "district"}, "unknown row set"),
        ({"section": "nowhere"}, "unknown section"),
        ({"source": "rumours"}, "unknown source"),
        ({"when_absent": "blank"}, "when_absent"),
    ],
)
def test_a_typo_in_the_spec_fails_at_load_time(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(_spec_with(tmp_path, change))


def test_an_unquoted_comma_in_a_flow_mapping_is_caught(tmp_path: Path) -> None:
    """`{key: x, ru: колледжи, проводившие …}` parses as an extra key, not as one label."""
    raw = SPEC_FILE.read_text(encoding="utf-8")
    broken = raw.replace(
        'ru: "колледжи, проводившие демонстрационный экзамен"',
        "ru: колледжи, проводившие демонстрационный экзамен",
    )
    assert broken != raw
    path = tmp_path / "tables.yml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(SpecError, match="unknown keys"):
        load_spec(path)


# --- the extractor on a hand-made warehouse -----------------------------------------------------

MINI_SPEC = """
book:
  title: {kk: Кітап, ru: Книга}
  chapter: {kk: Тарау, ru: Глава}
  year_line: {kk: "{academic_year} оқу жылы", ru: "{academic_year} учебный год"}
labels:
  total: {kk: Барлығы, ru: Всего}
  autumn_round: {kk: "{year} күз", ru: "осень {year}"}
  spring_round: {kk: "{year} көктем", ru: "весна {year}"}
  value: {kk: мәні, ru: значение}
  target: {kk: нысана, ru: цель}
marks:
  not_reported: {symbol: "…", text: {kk: ұсынылмаған, ru: не представлено}}
  suppressed: {symbol: "…", text: {kk: жарияланбайды, ru: не публикуется}}
  not_applicable: {symbol: "–", text: {kk: қолданылмайды, ru: не применимо}}
methodology: []
sources:
  s: {kk: дереккөз, ru: источник}
coverage:
  autumn:
    query: |
      select coalesce(region_code, 'KZ') as key, expected, contributing, 0 as held_back
      from marts.cov
    footnote: {kk: "{contributing}/{expected}", ru: "{contributing}/{expected}"}
row_sets:
  region:
    header: {kk: Өңір, ru: Регион}
    column: region_code
    query: select region_code as key, name_kk as kk, name_ru as ru from marts.dim_region
    order: ["B", "A", "C"]
    total: {key: KZ, kk: Республика, ru: Республика}
dimensions:
  gender:
    column: gender
    exhaustive: true
    values:
      - {key: M, kk: ер, ru: муж}
      - {key: F, kk: әйел, ru: жен}
templates: {}
sections:
  - {id: s1, kk: Бөлім, ru: Раздел}
tables:
  - id: people
    section: s1
    title: {kk: Адамдар, ru: Люди}
    unit: {kk: адам, ru: человек}
    source: s
    coverage: autumn
    rows: region
    crosstab:
      from: marts.people
      where: round_id = $autumn_round
      by: gender
      measures:
        - {key: n, kk: Барлығы, ru: Всего, expr: count(*)}
  - id: shares
    section: s1
    title: {kk: Үлестер, ru: Доли}
    unit: {kk: пайыз, ru: процентов}
    source: s
    rows: region
    columns:
      - {key: share, kk: үлес, ru: доля, fmt: pct, when_absent: not_applicable}
      - {key: count, kk: саны, ru: число}
    sql: |
      select region_code as row_key, share, share__mark, count from marts.shares
charts:
  by_region: {section: s1, title: {kk: x, ru: x}}
  trend: {section: s1, title: {kk: x, ru: x}, sql: select 1}
"""


@pytest.fixture
def mini(tmp_path: Path) -> tuple[Path, duckdb.DuckDBPyConnection]:
    spec_file = tmp_path / "tables.yml"
    spec_file.write_text(MINI_SPEC, encoding="utf-8")
    registry = tmp_path / "indicators.yml"
    registry.write_text("indicators: []\n", encoding="utf-8")
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_round as select * from (values "
        "('2024-autumn', '2024-2025', 'autumn', date '2024-10-01'), "
        "('2025-spring', '2024-2025', 'spring', date '2025-04-01')) "
        "t(round_id, academic_year, season, reference_date)"
    )
    con.execute(
        "create table marts.dim_region as select * from (values "
        "('A', 'А өңірі', 'регион А'), ('B', 'Б өңірі', 'регион Б'), ('C', 'В өңірі', 'регион В')"
        ") t(region_code, name_kk, name_ru)"
    )
    # A reported (3 people), B expected but silent, C has no college at all
    con.execute(
        "create table marts.cov as select * from (values "
        "('A', 2, 2), ('B', 1, 0), ('C', 0, 0), (null, 3, 2)) "
        "t(region_code, expected, contributing)"
    )
    con.execute(
        "create table marts.people as select * from (values "
        "('2024-autumn', 'A', 'M'), ('2024-autumn', 'A', 'F'), ('2024-autumn', 'A', 'F'), "
        "('2023-autumn', 'B', 'M')) t(round_id, region_code, gender)"
    )
    con.execute(
        "create table marts.shares as select * from (values "
        "('A', 12.5::double, null, 4), ('KZ', null, 'suppressed', 7)) "
        "t(region_code, share, share__mark, count)"
    )
    return tmp_path, con


def _book(mini: tuple[Path, duckdb.DuckDBPyConnection]):  # noqa: ANN202
    folder, con = mini
    spec = load_spec(folder / "tables.yml", registry_file=folder / "indicators.yml")
    return extract_book(spec, con, "2024-2025")


def test_rows_follow_the_declared_order_with_the_total_first(mini) -> None:  # noqa: ANN001
    people = _book(mini).table("people")
    assert [r.key for r in people.rows] == ["KZ", "B", "A", "C"]
    assert people.rows[0].label.ru == "Республика"


def test_zero_not_reported_and_not_applicable_are_told_apart(mini) -> None:  # noqa: ANN001
    book = _book(mini)
    people = book.table("people")
    assert people.cell("A", "n").value == 3 and people.cell("A", "M").value == 1
    assert people.cell("KZ", "n").value == 3
    assert people.cell("B", "n").mark == "not_reported"  # expected, nothing received
    assert people.cell("C", "n").mark == "not_applicable"  # no college to report
    shares = book.table("shares")
    assert shares.cell("A", "share").value == 12.5
    assert shares.cell("KZ", "share").mark == "suppressed"
    assert shares.cell("KZ", "count").value == 7
    assert shares.cell("B", "share").mark == "not_applicable"  # column's when_absent
    assert shares.cell("B", "count").value == 0  # table default: a missing row is a true zero
    assert any("2/3" in f.ru for f in people.footnotes)  # coverage footnote
    assert any(f.ru.startswith("«…»") for f in people.footnotes)  # legend of the marks used


def test_figures_outside_every_row_fail_the_build(mini) -> None:  # noqa: ANN001
    _, con = mini
    con.execute("insert into marts.people values ('2024-autumn', 'Z', 'M')")
    with pytest.raises(BuildError, match=r"rows \['Z'\] are not in row set"):
        _book(mini)


def test_a_code_outside_the_dimension_fails_the_build(mini) -> None:  # noqa: ANN001
    _, con = mini
    con.execute("insert into marts.people values ('2024-autumn', 'A', 'X')")
    with pytest.raises(BuildError, match="M\\+F != n"):
        _book(mini)


def test_a_share_the_sql_forgot_to_round_fails_the_build(mini) -> None:  # noqa: ANN001
    _, con = mini
    con.execute("update marts.shares set share = 12.54 where region_code = 'A'")
    with pytest.raises(BuildError, match="not rounded"):
        _book(mini)


# --- releases and revisions -------------------------------------------------------------------


def test_release_numbers() -> None:
    assert rel.next_release(None) == "1a"
    assert rel.next_release("1a") == "2a"
    assert rel.next_release("9a") == "10a"


def test_releases_sort_numerically_and_ignore_staging(tmp_path: Path) -> None:
    for name in ("1a", "10a", "2a", ".staging-11a-123", "notes"):
        (tmp_path / name).mkdir()
    assert rel.releases(tmp_path) == ["1a", "2a", "10a"]


def _row(table: str, row: str, col: str, value: str = "", mark: str = "") -> dict[str, str]:
    return {
        "table_no": "1", "table_id": table, "row_key": row, "col_key": col, "value": value,
        "mark": mark, "row_label_kk": row, "row_label_ru": row, "col_label_kk": col,
        "col_label_ru": col,
    }  # fmt: skip


def test_diff_lists_changed_added_and_removed_cells_only() -> None:
    old = [_row("t", "A", "x", "1"), _row("t", "A", "y", "2"), _row("t", "B", "x", mark="n")]
    new = [_row("t", "A", "x", "1"), _row("t", "A", "y", "3"), _row("t", "C", "x", "0")]
    got = rel.diff_cells(old, new, {"n": "…"})
    assert [(r.row_key, r.col_key, r.old, r.new, r.change) for r in got] == [
        ("A", "y", "2", "3", "changed"),
        ("C", "x", "", "0", "added"),
        ("B", "x", "…", "", "removed"),
    ]


def test_the_digest_ignores_labels_but_not_values_or_marks() -> None:
    a = [_row("t", "A", "x", "1")]
    relabelled = [{**a[0], "row_label_ru": "другое"}]
    assert rel.cells_digest(a) == rel.cells_digest(relabelled)
    assert rel.cells_digest(a) != rel.cells_digest([_row("t", "A", "x", "2")])
    assert rel.cells_digest(a) != rel.cells_digest([_row("t", "A", "x", "1", mark="n")])


# --- formatting -------------------------------------------------------------------------------


def test_numbers_read_the_kazakh_and_russian_way() -> None:
    assert number(1234567, 0) == f"1{NBSP}234{NBSP}567"
    assert number(45.0, 1) == "45,0"
    assert number(-3.2, 1) == f"{MINUS}3,2"  # not «–», which means "not applicable"
    assert percent(21, 30) == "70,0"
    assert percent(0, 0) == "–"


# --- Dagster ----------------------------------------------------------------------------------


def test_the_schedule_builds_the_year_that_ended_in_the_summer() -> None:
    from dagster import build_schedule_context

    from pipelines.assets.yearbook import previous_academic_year, yearbook_schedule

    assert previous_academic_year(2025) == "2024-2025"
    context = build_schedule_context(scheduled_execution_time=datetime(2025, 12, 1, 6, 0))
    request = yearbook_schedule(context)
    assert request.partition_key == "2024-2025"  # type: ignore[union-attr]
    too_late = build_schedule_context(scheduled_execution_time=datetime(2040, 12, 1, 6, 0))
    assert type(yearbook_schedule(too_late)).__name__ == "SkipReason"


def test_edustat_run_builds_yearbooks_after_the_marts_for_years_with_passports(
    tmp_path: Path,
) -> None:
    from pipelines.assets.jobs import run_order

    (tmp_path / "passports" / "2024").mkdir(parents=True)
    (tmp_path / "passports" / "2024" / "passports_2024.xlsx").write_bytes(b"x")
    plan = run_order(tmp_path)
    labels = [p.label for p in plan]
    yearbook_runs = [p for p in plan if p.label.startswith("yearbook")]
    assert [p.partition_keys for p in yearbook_runs] == [("2024-2025",)]
    marts_run = next(i for i, p in enumerate(plan) if p.job_name == "warehouse")
    assert labels.index(yearbook_runs[0].label) > marts_run
    # published/current switches only after the yearbook is built: a failed yearbook publishes
    # nothing (edustat run stops at the first failed run).
    assert dedent(labels[-2]).startswith("yearbook")
    assert plan[-1].label == "publish" and not plan[-1].partition_keys
