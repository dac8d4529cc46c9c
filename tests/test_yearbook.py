"""The yearbook end to end, on the shared generated sample (conftest.pipeline_home).

`edustat run` builds release 1a of every academic year with data (the Dagster asset `yearbook`).
These tests read that release and prove: every cell equals the query that defines it, both
languages are everywhere, the PDFs hold every table and figure, an unchanged warehouse changes
nothing, and one corrected submission makes release 2a listing exactly the cells that changed
while every mart equals a build from scratch of the same files (the incremental-equals-full test).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from conftest import VOLATILE
from conftest import edustat as run_edustat
from pypdf import PdfReader

from pipelines.contracts import all_contracts, normalise_label
from pipelines.indicators import load_registry
from pipelines.reports.build import build_packs
from pipelines.settings import Home
from pipelines.yearbook import build
from pipelines.yearbook.build import build_yearbook
from pipelines.yearbook.spec import default_spec
from pipelines.yearbook.xlsx import CONTENTS_SHEET

YEAR = "2024-2025"
AUTUMN = "2024-autumn"
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
MARK_SYMBOLS = {"…", "–"}
PARAM_LINE = re.compile(r"^--\s+\$(\w+) = '(.*)'$")


# --- helpers ----------------------------------------------------------------------------------


def edustat(home: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("edustat")
    env = {**os.environ, "EDUSTAT_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"edustat {args}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result


def connect(home: Path) -> duckdb.DuckDBPyConnection:
    """Short-lived and read-only: other tests share this warehouse."""
    return duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)


def rows_of(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict]:
    cur = con.execute(sql, params) if params else con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def run_saved_query(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, dict[str, Any]]:
    """Execute a release's queries/NN_<table>.sql with the parameter values in its header."""
    text = path.read_text(encoding="utf-8")
    params = {m.group(1): m.group(2) for line in text.splitlines() if (m := PARAM_LINE.match(line))}
    if "reference_date" in params:
        params["reference_date"] = datetime.fromisoformat(params["reference_date"]).date()
    return {str(r["row_key"]): r for r in rows_of(con, text.rstrip().rstrip(";"), params)}


def read_trace(release: Path) -> list[dict[str, str]]:
    with open(release / "cells.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def xlsx_cells(path: Path) -> dict[tuple[str, str], Any]:
    """(sheet, A1 address) -> value, for every non-empty cell of every table sheet."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out: dict[tuple[str, str], Any] = {}
    for ws in wb.worksheets:
        if ws.title == CONTENTS_SHEET:
            continue
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    out[(ws.title, c.coordinate)] = c.value
    return out


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def release_names(year: Path) -> list[str]:
    """Release folders of a year (not `latest`, which is a symlink, nor hidden staging)."""
    return sorted(
        p.name
        for p in year.iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    )


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(pipeline_home: Path) -> Path:
    return pipeline_home / "yearbook" / YEAR / "1a"


@pytest.fixture(scope="module")
def trace(release: Path) -> list[dict[str, str]]:
    return read_trace(release)


# --- what `edustat run` built -----------------------------------------------------------------


def test_edustat_run_builds_release_1a_of_each_year_with_data(pipeline_home: Path) -> None:
    root = pipeline_home / "yearbook"
    assert sorted(p.name for p in root.iterdir()) == ["2023-2024", "2024-2025"]
    for year in root.iterdir():
        assert release_names(year) == ["1a"]
        assert os.readlink(year / "latest") == "1a"
        files = {p.name for p in (year / "1a").iterdir()}
        assert {
            "yearbook.xlsx",
            "yearbook_kk.pdf",
            "yearbook_ru.pdf",
            "yearbook_kk.html",
            "yearbook_ru.html",
            "cells.csv",
            "release.json",
            "queries",
        } <= files
        assert not any(f.startswith("revisions_") for f in files)  # a first release revises nothing


# --- every cell traces back to its query ------------------------------------------------------


def test_every_numeric_cell_equals_the_query_that_defines_it(
    pipeline_home: Path, release: Path, trace: list[dict[str, str]]
) -> None:
    cells = xlsx_cells(release / "yearbook.xlsx")
    by_address = {(t["sheet"], t["cell"]): t for t in trace}
    numeric = {k: v for k, v in cells.items() if is_number(v)}
    assert len(numeric) > 1000
    untraced = sorted(set(numeric) - set(by_address))
    assert not untraced, f"numbers in the XLSX no query defines: {untraced[:10]}"

    spec = default_spec()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with connect(pipeline_home) as con:
        for query_file in sorted({t["query"] for t in trace}):
            table_id = trace[[t["query"] for t in trace].index(query_file)]["table_id"]
            saved = (release / query_file).read_text(encoding="utf-8")
            # the saved query is the definition in tables.yml, not a copy that could drift
            assert spec.table(table_id).sql.strip() in saved
            results[table_id] = run_saved_query(con, release / query_file)

    checked = 0
    for (sheet, address), value in numeric.items():
        t = by_address[(sheet, address)]
        row = results[t["table_id"]].get(t["row_key"])
        if row is None:  # the query has no such row: the spec calls that a true zero
            assert value == 0, f"{t['table_id']} {t['row_key']}/{t['col_key']}: {value}"
        else:
            assert row.get(f"{t['col_key']}__mark") is None
            assert value == row[t["col_key"]], (
                f"{t['table_id']} {t['row_key']}/{t['col_key']}: xlsx {value}, "
                f"query {row[t['col_key']]}"
            )
        assert repr(value) == t["value"] or float(t["value"]) == value
        checked += 1
    assert checked == len(numeric)


def test_table_bodies_have_no_blank_cell_and_marks_are_the_documented_ones(
    release: Path, trace: list[dict[str, str]]
) -> None:
    cells = xlsx_cells(release / "yearbook.xlsx")
    symbols = {"not_reported": "…", "suppressed": "…", "not_applicable": "–"}
    for t in trace:
        value = cells.get((t["sheet"], t["cell"]))
        assert value is not None, f"blank cell {t['sheet']}!{t['cell']} ({t['table_id']})"
        if t["mark"]:
            assert value == symbols[t["mark"]]
        else:
            assert is_number(value)
    # the sample has colleges that never reported and indicators below the coverage threshold
    assert {t["mark"] for t in trace} >= {"", "not_reported", "suppressed", "not_applicable"}


def test_cells_agree_with_hand_written_queries_on_the_facts(
    pipeline_home: Path, trace: list[dict[str, str]]
) -> None:
    """Independent of tables.yml: a few figures recomputed straight from the facts."""
    cell = {(t["table_id"], t["row_key"], t["col_key"]): t for t in trace}

    def value(table: str, row: str, col: str) -> float:
        t = cell[(table, row, col)]
        assert not t["mark"], f"{table} {row}/{col} is marked {t['mark']}"
        return float(t["value"])

    with connect(pipeline_home) as con:
        students = con.execute(
            "select count(*) from marts.fct_enrolment where round_id = ? and college_expected",
            [AUTUMN],
        ).fetchall()[0][0]
        women = con.execute(
            "select count(*) from marts.fct_enrolment "
            "where round_id = ? and college_expected and gender = 'F'",
            [AUTUMN],
        ).fetchall()[0][0]
        all_four = con.execute(
            "select count(*) from marts.fct_college_year where academic_year = ? and expected "
            "and barrier_free_all",
            [YEAR],
        ).fetchall()[0][0]
        # every indicator of the registry, for the period its yearbook table shows
        national = {
            ind.id: con.execute(
                "select value, target from marts.fct_indicator_values where level = 'national' "
                "and indicator_id = ? and period = ?",
                [ind.id, AUTUMN if ind.grain == "round" else YEAR],
            ).fetchall()[0]
            for ind in load_registry().indicators
        }
        silent = {
            r[0]
            for r in con.execute(
                "select region_code from marts.fct_dq_submission_status "
                "where round_id = ? and status <> 'superseded' group by region_code "
                "having count(*) filter (where status in ('on_time', 'late')) = 0",
                [AUTUMN],
            ).fetchall()
        }
    assert value("contingent_language", "KZ", "students") == students
    assert value("contingent_gender", "KZ", "F") == women
    assert value("barrier_free", "KZ", "all_four") == all_four
    for iid, figures in national.items():
        for col, share in zip(("value_pct", "target_pct"), figures, strict=True):
            t = cell[(f"indicator_{iid}", "KZ", col)]
            assert (share is None) == bool(t["mark"]), (iid, col)
            if share is not None:
                assert float(t["value"]) == round(100 * share, 1), (iid, col)
    # a region whose expected colleges all failed to report shows «…», not 0
    for region in silent:
        assert cell[("contingent_language", region, "students")]["mark"] == "not_reported"


# --- both languages ---------------------------------------------------------------------------


def test_titles_headings_and_footnotes_are_in_kazakh_and_russian(release: Path) -> None:
    spec = default_spec()
    wb = openpyxl.load_workbook(release / "yearbook.xlsx")
    sheets = [ws for ws in wb.worksheets if ws.title != CONTENTS_SHEET]
    assert len(sheets) == len(spec.tables)
    for ws in sheets:
        n = ws.title.rsplit(" ", 1)[-1]  # «Кесте – Таблица 7»
        kk_title, ru_title = ws["A1"].value, ws["A2"].value
        assert kk_title.startswith(f"Кесте {n}. ") and ru_title.startswith(f"Таблица {n}. ")
        assert KAZAKH_LETTERS & set(kk_title), kk_title
        assert not KAZAKH_LETTERS & set(ru_title), ru_title
        assert "Өлшем бірлігі" in ws["A3"].value and "Единица измерения" in ws["A3"].value
        headers = [
            c.value
            for row in ws.iter_rows(min_row=5, max_row=6)
            for c in row[3:]
            if isinstance(c.value, str) and c.value not in MARK_SYMBOLS
        ]
        assert headers and all("\n" in h for h in headers), headers  # "kk\nru" in every heading
        assert ws["A5"].value and ws["B5"].value and ws["A5"].value != ws["B5"].value
        notes = [
            c.value
            for row in ws.iter_rows(min_row=7)
            for c in row[:1]
            if isinstance(c.value, str) and re.match(r"^\d+\. ", c.value)
        ]
        assert notes and len(notes) % 2 == 0  # each note: a Kazakh line then a Russian line
        assert any(ch in KAZAKH_LETTERS for ch in "".join(notes[0::2]))
        sources = [c.value for row in ws.iter_rows(min_row=7) for c in row[:1] if c.value]
        assert any(s.startswith("Дереккөз: ") for s in sources)
        assert any(s.startswith("Источник: ") for s in sources)


# --- the PDF books ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "table_word", "figure_word", "other_table_word"),
    [("kk", "Кесте", "Сурет", "Таблица"), ("ru", "Таблица", "Рисунок", "Кесте")],
)
def test_pdf_has_every_table_and_figure(
    release: Path, lang: str, table_word: str, figure_word: str, other_table_word: str
) -> None:
    spec = default_spec()
    n_tables = len(spec.tables)
    n_figures = 2 * sum(1 for t in spec.tables if t.indicator is not None)
    assert (n_tables, n_figures) == (16, 8)
    reader = PdfReader(release / f"yearbook_{lang}.pdf")
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    tables = {int(n) for n in re.findall(rf"{table_word} (\d+)\. ", text)}
    figures = {int(n) for n in re.findall(rf"{figure_word} (\d+)\. ", text)}
    assert tables == set(range(1, n_tables + 1))
    assert figures == set(range(1, n_figures + 1))
    assert f"{other_table_word} 1. " not in text  # one language per book
    # WeasyPrint shares one resource dictionary between pages: count distinct pictures
    images = {hashlib.sha256(img.data).hexdigest() for page in reader.pages for img in page.images}
    assert len(images) == n_figures
    for t in spec.tables:
        if t.indicator is None:  # indicator titles come from the registry
            assert " ".join(t.title[lang].split()) in " ".join(text.split())
    fonts = {
        str(f.get_object()["/BaseFont"])
        for page in reader.pages
        for f in (page["/Resources"].get_object().get("/Font") or {}).values()
    }
    assert fonts and all("DejaVu" in f for f in fonts), fonts


# --- determinism and releases -----------------------------------------------------------------


@pytest.fixture(scope="module")
def copied_home(pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline home as it is after the shared run, minus Dagster's instance and logs."""
    home = tmp_path_factory.mktemp("yearbook_home")
    shutil.copytree(
        pipeline_home,
        home,
        dirs_exist_ok=True,
        symlinks=True,
        # not Dagster's instance, logs or the read-only published snapshots: `edustat run`
        # starts a fresh instance and publishes anew
        ignore=shutil.ignore_patterns("dagster", "logs", "dbt", "published", "bench"),
    )
    return home


def test_identical_warehouse_gives_identical_xlsx_and_pdf_text(
    pipeline_home: Path, release: Path, tmp_path: Path
) -> None:
    result = build_yearbook(YEAR, home=Home(tmp_path), warehouse=pipeline_home / "warehouse.duckdb")
    assert result.release == "1a" and result.status == "new"
    again = result.directory
    assert (again / "yearbook.xlsx").read_bytes() == (release / "yearbook.xlsx").read_bytes()
    assert xlsx_cells(again / "yearbook.xlsx") == xlsx_cells(release / "yearbook.xlsx")
    for lang in ("kk", "ru"):
        assert pdf_text(again / f"yearbook_{lang}.pdf") == pdf_text(
            release / f"yearbook_{lang}.pdf"
        )
    assert (again / "cells.csv").read_bytes() == (release / "cells.csv").read_bytes()


def test_rebuild_without_changes_makes_no_new_release(copied_home: Path) -> None:
    out = edustat(copied_home, "yearbook", "--year", YEAR).stdout
    assert "no changes since release 1a" in out
    assert release_names(copied_home / "yearbook" / YEAR) == ["1a"]


def _sheet_of(wb: Any, contract_sheet: str) -> Any:
    names = all_contracts()["nobd_submission"].sheet(contract_sheet).spellings()
    return next(ws for ws in wb.worksheets if normalise_label(ws.title) in names)


def _column_index(ws: Any, contract_sheet: str, column: str) -> int:
    spellings = (
        all_contracts()["nobd_submission"].sheet(contract_sheet).column(column).header_spellings()
    )
    for i, c in enumerate(ws[1]):
        if c.value is not None and normalise_label(c.value) in spellings:
            return i + 1
    raise AssertionError(f"no {column} column in {ws.title}")


def resubmit_with_fewer_students(home: Path, drop: int = 3) -> tuple[str, str]:
    """Write v9 of one accepted, on-time autumn submission with its last `drop` students
    removed and signed one second later. Returns (college_bin, region_code)."""
    with connect(home) as con:
        college_bin, region, path, signed_at = con.execute(
            """
            select s.college_bin, s.region_code, f.path, f.signed_at
            from marts.fct_dq_submission_status as s
            join raw.landing_files as f on f.file_id = s.file_id
            where s.round_id = ? and s.status = 'on_time'
              and s.hold_findings = 0 and s.quarantine_findings = 0
              and f.path like '%.xlsx'
              and s.signed_at < s.deadline_at - interval 1 hour
            order by s.college_bin limit 1
            """,
            [AUTUMN],
        ).fetchall()[0]
    src = home / "landing" / path
    wb = openpyxl.load_workbook(src)
    students = _sheet_of(wb, "students")
    assert students.max_row > drop + 5
    students.delete_rows(students.max_row - drop + 1, drop)
    header = _sheet_of(wb, "header")
    col = _column_index(header, "header", "signed_at")
    old = header.cell(row=2, column=col).value
    assert isinstance(old, datetime)
    header.cell(row=2, column=col).value = old + timedelta(seconds=1)
    wb.save(src.with_name(f"{college_bin}_{AUTUMN}_v9.xlsx"))
    return str(college_bin), str(region)


def xlsx_body(path: Path, trace: list[dict[str, str]]) -> dict[tuple[str, str, str], Any]:
    """(table id, row key, column key) -> what the XLSX shows, read through the trace."""
    cells = xlsx_cells(path)
    return {
        (t["table_id"], t["row_key"], t["col_key"]): cells[(t["sheet"], t["cell"])] for t in trace
    }


@pytest.fixture(scope="module")
def resubmitted(copied_home: Path) -> Iterator[tuple[Path, str, str]]:
    college_bin, region = resubmit_with_fewer_students(copied_home)
    edustat(copied_home, "run", "--quiet")
    yield copied_home, college_bin, region


def test_a_corrected_submission_makes_release_2a_listing_exactly_the_changed_cells(
    resubmitted: tuple[Path, str, str],
) -> None:
    home, _, region = resubmitted
    year = home / "yearbook" / YEAR
    assert release_names(year) == ["1a", "2a"]
    assert os.readlink(year / "latest") == "2a"
    old_trace, new_trace = read_trace(year / "1a"), read_trace(year / "2a")
    before = xlsx_body(year / "1a" / "yearbook.xlsx", old_trace)
    after = xlsx_body(year / "2a" / "yearbook.xlsx", new_trace)
    assert before.keys() == after.keys()
    changed = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
    assert changed

    with open(year / "2a" / "revisions_2a.csv", encoding="utf-8", newline="") as fh:
        report = list(csv.DictReader(fh))
    listed = {(r["table_id"], r["row_key"], r["col_key"]): (r["old"], r["new"]) for r in report}
    assert len(listed) == len(report)  # no cell twice
    assert listed.keys() == changed.keys()
    for key, (old, new) in changed.items():
        assert _same(listed[key][0], old) and _same(listed[key][1], new), (key, listed[key])
    assert all(r["change"] == "changed" for r in report)
    assert all(r["row_label_kk"] and r["row_label_ru"] and r["col_label_ru"] for r in report)

    # Only the college's region and the republic move, and the region lost exactly 3 students.
    assert {k[1] for k in changed} <= {region, "KZ"}
    students = {  # indicators that count the students sheet
        f"indicator_{i.id}"
        for i in load_registry().indicators
        if "students" in (i.numerator.counts.sheet, i.denominator.counts.sheet)
    }
    assert {k[0] for k in changed} <= {
        "contingent_language", "contingent_funding", "contingent_study_form",
        "contingent_gender", "dual_training", *students,
    }  # fmt: skip
    old_n, new_n = changed[("contingent_language", region, "students")]
    assert old_n - new_n == 3

    wb = openpyxl.load_workbook(year / "2a" / "revisions_2a.xlsx")
    assert wb.active.max_row - 3 == len(report)  # title, blank, header, then one row per cell


def test_other_years_and_unchanged_cells_keep_their_release(
    resubmitted: tuple[Path, str, str],
) -> None:
    home, _, _ = resubmitted
    other = home / "yearbook" / "2023-2024"
    assert release_names(other) == ["1a"]


# The finding history keeps what earlier runs issued: the times a finding was issued are the build
# times of the runs that issued it, and a finding the resubmission resolved stays as `corrected`.
HISTORY = "fct_dq_finding_history"
ISSUE_TIMES = {"first_issued_at", "last_issued_at"}


def marts_differences(built: Path, scratch: Path) -> dict[str, str]:
    """Mart -> how it differs between two warehouses (rows as multisets, VOLATILE columns and the
    history's issue times left out; the history compared on its current findings)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{built}' AS built (READ_ONLY)")
    con.execute(f"ATTACH '{scratch}' AS scratch (READ_ONLY)")

    def columns(db: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = 'marts' ORDER BY table_name, column_index",
            [db],
        ).fetchall():
            out.setdefault(table, []).append(column)
        return out

    mine, theirs = columns("built"), columns("scratch")
    differences = {t: "missing in one warehouse" for t in mine.keys() ^ theirs.keys()}
    for table in sorted(mine.keys() & theirs.keys()):
        if mine[table] != theirs[table]:
            differences[table] = f"columns {mine[table]} vs {theirs[table]}"
            continue
        left_out = VOLATILE | (ISSUE_TIMES if table == HISTORY else set())
        cols = ", ".join(f'"{c}"' for c in mine[table] if c not in left_out)
        where = "WHERE is_current" if table == HISTORY else ""
        a, b = (f"SELECT {cols} FROM {db}.marts.{table} {where}" for db in ("built", "scratch"))
        extra = con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchall()[0][0]
        missing = con.execute(f"SELECT count(*) FROM ({b} EXCEPT ALL {a})").fetchall()[0][0]
        if extra or missing:
            differences[table] = f"{extra} rows only in the first, {missing} only in the second"
    con.close()
    return differences


def test_the_resubmitted_warehouse_equals_a_build_from_scratch(
    resubmitted: tuple[Path, str, str], tmp_path: Path
) -> None:
    """Every mart after (full build, one resubmission, the pipeline's own rebuild) equals a build
    from scratch of the same landing files."""
    home, college_bin, _ = resubmitted
    shutil.copytree(home / "landing", tmp_path / "landing", symlinks=True)
    run_edustat("run", "--quiet", home=tmp_path, via="warehouse_only")
    assert marts_differences(home / "warehouse.duckdb", tmp_path / "warehouse.duckdb") == {}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        resolved = con.execute(
            f"SELECT DISTINCT college_bin, state FROM marts.{HISTORY} WHERE NOT is_current"
        ).fetchall()
    assert set(resolved) <= {(college_bin, "corrected")}


def test_packs_after_the_resubmission_are_a_fresh_builds_and_untouched_rounds_are_kept(
    pipeline_home: Path, resubmitted: tuple[Path, str, str], tmp_path: Path
) -> None:
    """The packs the run left equal packs rendered afresh from its warehouse, and the packs of
    the rounds before the resubmission were linked, not rendered: they keep the file times the
    copy took from the shared home."""
    home, _, _ = resubmitted
    shutil.copy2(home / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    build_packs(Home(tmp_path))

    def packs(root: Path) -> dict[str, Path]:
        dq = root / "reports" / "dq"
        return {str(f.relative_to(dq)): f for f in dq.rglob("report_*")}

    kept, fresh = packs(home), packs(tmp_path)
    assert kept.keys() == fresh.keys()
    assert [name for name in kept if kept[name].read_bytes() != fresh[name].read_bytes()] == []
    shared = packs(pipeline_home)
    assert shared.keys() == kept.keys()
    rendered = {
        name for name in kept if kept[name].stat().st_mtime_ns != shared[name].stat().st_mtime_ns
    }
    untouched = [name for name in kept if name.split("/")[0] in ("2023-autumn", "2024-spring")]
    assert untouched and not rendered & set(untouched)


def _same(reported: str, shown: Any) -> bool:
    """A revisions-report value against what the XLSX shows (Excel reads 20.0 back as 20)."""
    if shown in MARK_SYMBOLS or reported in MARK_SYMBOLS:
        return reported == shown
    return float(reported) == float(shown)


def test_render_workers_import_this_package_whatever_the_current_folder(
    pipeline_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `pipelines/` folder in the current directory (another checkout) is not what the render
    processes import: they would draw this book with someone else's renderer."""
    decoy = tmp_path / "elsewhere" / "pipelines" / "yearbook"
    decoy.mkdir(parents=True)
    for init in (decoy.parent / "__init__.py", decoy / "__init__.py"):
        init.write_text("", encoding="utf-8")
    (decoy / "worker.py").write_text("raise SystemExit('decoy worker')\n", encoding="utf-8")
    monkeypatch.chdir(decoy.parent.parent)
    book = build.extract(YEAR, warehouse=pipeline_home / "warehouse.duckdb")
    folder = tmp_path / "out"
    folder.mkdir()
    seconds = build._finish_workers(build._start_workers(book, "1a", folder), folder)
    assert len(seconds) == 2 and all(s > 0 for s in seconds)
    for lang in ("kk", "ru"):
        assert (folder / f"yearbook_{lang}.pdf").stat().st_size > 0
