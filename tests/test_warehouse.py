"""The dbt warehouse on the real pipeline (shared `pipeline_home`: demo data + `edustat run`).

- marts.fct_indicator_values equals the generator's ground truth (manifest.json `indicators`) for
  every national and region row, with no extra or missing rows;
- `dbt build` passes its tests and `dbt docs generate` works (on a copy of the warehouse);
- a warehouse from before the marts' rename keeps its findings history under the new name;
- every public mart and column is documented with kk/ru labels;
- a held-back submission changes no indicator, and a resubmission replaces the earlier figures;
- the Dagster wiring: dbt sources map to the ingest's assets and to `dq_findings`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import edustat

from pipelines import reference
from pipelines.contracts import common, load_contract, normalise_label
from pipelines.identifiers import complete
from pipelines.indicators import load_registry
from pipelines.settings import DBT_PROJECT_DIR

KEY = ("indicator_id", "period", "level", "region_code")


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rel = con.execute(sql, params or [])
        names = [d[0] for d in rel.description]
        return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def manifest(home: Path) -> dict[str, Any]:
    return json.loads((home / "manifest.json").read_text(encoding="utf-8"))


# --- indicators against the generator's truth ---------------------------------------------------


def test_indicator_values_equal_the_generator_truth(pipeline_home: Path) -> None:
    truth = {tuple(e[k] for k in KEY): e for e in manifest(pipeline_home)["indicators"]}
    rows = query(
        pipeline_home / "warehouse.duckdb",
        "select * from marts.fct_indicator_values where level in ('national', 'region')",
    )
    got = {tuple(r[k] for k in KEY): r for r in rows}
    assert len(got) == len(rows), "duplicate national/region rows"

    assert sorted(set(truth) - set(got), key=str) == [], (
        "rows missing from marts.fct_indicator_values"
    )
    assert sorted(set(got) - set(truth), key=str) == [], "rows the generator does not expect"
    wrong = {
        key: (
            (truth[key]["numerator"], truth[key]["denominator"]),
            (r["numerator"], r["denominator"]),
        )
        for key, r in got.items()
        if (r["numerator"], r["denominator"])
        != (truth[key]["numerator"], truth[key]["denominator"])
    }
    assert wrong == {}, "numerator/denominator (truth, warehouse) differ"
    # The sample covers every indicator of the registry, both levels and every period.
    assert {k[0] for k in truth} == {i.id for i in load_registry().indicators}
    assert {k[2] for k in truth} == {"national", "region"}


def test_indicator_values_follow_the_registry(pipeline_home: Path) -> None:
    db = pipeline_home / "warehouse.duckdb"
    reg = load_registry()
    ids = {i.id for i in reg.indicators}
    assert {
        r["indicator_id"] for r in query(db, "select indicator_id from marts.dim_indicator")
    } == ids
    for ind in reg.indicators:
        rows = query(
            db, "select * from marts.fct_indicator_values where indicator_id = ?", [ind.id]
        )
        assert {r["grain"] for r in rows} == {ind.grain}
        threshold = ind.coverage_threshold
        for r in rows:
            assert r["coverage_threshold"] == pytest.approx(threshold)
            complementary = r["suppression_reason"] == "complementary"
            assert r["suppressed"] == (r["coverage"] < threshold or complementary)
            if r["suppressed"]:
                assert r["value"] is None
                assert r["suppression_reason"] == (
                    "complementary" if complementary else "coverage_below_threshold"
                )
            elif r["denominator"]:
                assert r["value"] == pytest.approx(r["numerator"] / r["denominator"])
        groups = query(
            db,
            "select distinct disaggregation from marts.fct_indicator_values_by_group"
            " where indicator_id = ?",
            [ind.id],
        )
        wanted = {d for d in ind.disaggregations if d != "region"}
        assert {g["disaggregation"] for g in groups} == wanted


def test_targets_come_from_the_reference_file(pipeline_home: Path) -> None:
    targets = {
        (r["indicator_id"], r["year"]): r["target_pct"] / 100
        for r in reference.load("indicator_targets").iter_rows(named=True)
    }
    rows = query(
        pipeline_home / "warehouse.duckdb",
        "select indicator_id, period, grain, target, target_year from marts.fct_indicator_values"
        " where level = 'national'",
    )
    for r in rows:
        year = int(r["period"][:4])  # 2025-spring -> 2025; 2024-2025 -> 2024
        assert r["target_year"] == year
        expected = targets.get((r["indicator_id"], year))
        assert r["target"] == (pytest.approx(expected) if expected is not None else None), r


# --- dbt build, docs, documentation -------------------------------------------------------------


def dbt(*args: str, warehouse: Path, target: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "EDUSTAT_WAREHOUSE": str(warehouse)}
    cmd = [
        str(exe),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)


def test_dbt_build_passes_with_its_unit_tests(pipeline_home: Path, tmp_path: Path) -> None:
    """`dbt build` of the whole project as a developer runs it, on a copy of the session's
    warehouse (tests must not write to the shared one): every model and data test, and the dbt
    unit tests (dbt_project/models/**/*unit_tests.yml) that the pipeline's build leaves out. These
    check the submission status and the indicators on hand-made rows (on time, late, missing,
    held back, rejected, previous version current, corrected after the due date, extensions;
    ratios of sums, suppression, declared measures) and the students frame's cross-row columns
    (repeats in a file, colleges per IIN and round); dbt reads the columns a fixture leaves out
    from the built warehouse. The docs are generated and checked with the published snapshot
    (tests/test_publish.py)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(pipeline_home / "warehouse.duckdb", warehouse)
    target = tmp_path / "target"

    build = dbt("build", warehouse=warehouse, target=target)
    assert build.returncode == 0, build.stdout[-6000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    assert failed == []
    assert sum(r["unique_id"].startswith("test.") for r in results) > 50
    # The unit tests ran (a project that selected none would pass too).
    assert sum(r["unique_id"].startswith("unit_test.") for r in results) >= 9


def test_a_warehouse_from_before_the_rename_keeps_its_findings_history(
    pipeline_home: Path, tmp_path: Path
) -> None:
    """The marts' old names (pipelines/warehouse_migrations.py): on a copy made to look like a
    warehouse built before the rename, the migration drops the old tables and renames the
    history, and dbt's next build merges into that history instead of starting a new one."""
    from pipelines.warehouse_migrations import migrate_marts

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(pipeline_home / "warehouse.duckdb", warehouse)
    earlier = datetime(2020, 1, 1)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table marts.fct_dq_finding_history rename to dq_finding_history")
        con.execute("update marts.dq_finding_history set first_issued_at = ?", [earlier])
        # A finding an earlier build issued that this build no longer raises.
        con.execute(
            "insert into marts.dq_finding_history select * replace ('gone' as finding_id) "
            "from marts.dq_finding_history limit 1"
        )
        issued = {
            r[0] for r in con.sql("select finding_id from marts.dq_finding_history").fetchall()
        }
        con.execute("create table marts.indicator_values as from marts.fct_indicator_values")
        con.execute("create table marts.labels as from marts.dim_label")
        assert "marts.dq_finding_history renamed to marts.fct_dq_finding_history" in (
            migrate_marts(con)
        )

    build = dbt(
        "build", "--select", "fct_dq_finding_history", warehouse=warehouse, target=tmp_path / "t"
    )
    assert build.returncode == 0, build.stdout[-6000:]
    old = {"dq_finding_history", "indicator_values", "labels"}
    assert not old & {r["table_name"] for r in query(warehouse, "from duckdb_tables()")}
    history = {
        r["finding_id"]: r for r in query(warehouse, "select * from marts.fct_dq_finding_history")
    }
    assert set(history) == issued
    assert {r["first_issued_at"] for r in history.values()} == {earlier}
    assert (history["gone"]["is_current"], history["gone"]["state"]) == (False, "corrected")


def public_marts() -> list[dict[str, Any]]:
    """Models under models/marts/ except the DQ marts (models/marts/dq/, documented by DQ)."""
    from pipelines.assets.dbt_project import prepare_manifest

    nodes = json.loads(prepare_manifest().read_text())["nodes"].values()
    return [
        n
        for n in nodes
        if n["resource_type"] == "model"
        and n["original_file_path"].startswith("models/marts/")
        and not n["original_file_path"].startswith("models/marts/dq/")
    ]


def test_every_public_mart_and_column_is_documented(pipeline_home: Path) -> None:
    marts = public_marts()
    names = {m["name"] for m in marts}
    assert {
        "fct_indicator_values",
        "fct_indicator_values_by_group",
        "dim_region",
        "dim_college",
        "dim_round",
        "dim_specialty",
        "fct_enrolment",
        "fct_library_fund",
        "fct_college_year",
        "fct_worldskills_results",
        "fct_demo_exams",
        "fct_expected_colleges",
    } <= names
    actual = {}
    for r in query(
        pipeline_home / "warehouse.duckdb",
        "select table_name, column_name from duckdb_columns() where schema_name = 'marts'",
    ):
        actual.setdefault(r["table_name"], []).append(r["column_name"])
    problems = []
    for m in marts:
        assert m["schema"] == "marts"
        if not m["description"].strip():
            problems.append(f"{m['name']}: no description")
        if not {"label_kk", "label_ru"} <= set(m["meta"]):
            problems.append(f"{m['name']}: no kk/ru label")
        documented = set(m["columns"])
        if documented != set(actual[m["name"]]):
            problems.append(
                f"{m['name']}: documented {sorted(documented ^ set(actual[m['name']]))}"
            )
        for name, col in m["columns"].items():
            if not col["description"].strip() or not {"label_kk", "label_ru"} <= set(col["meta"]):
                problems.append(f"{m['name']}.{name}: description or kk/ru label missing")
    assert problems == []


# --- held back and resubmitted ------------------------------------------------------------------


class CsvSubmission:
    """A generated NOBD CSV submission, read and written back in its own encoding and separator.

    Sections are `#<sheet title>`, a header row, data rows (docs/ARCHITECTURE.md); headers are
    mapped to contract column names so that cells can be changed by name in any language."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.encoding = "cp1251" if "cp1251" in fmt else "utf-8"
        self.sep = ";" if "semicolon" in fmt else ","
        contract = load_contract("nobd_submission")
        # sheet name -> (title as written, header row, column names, data rows)
        self.sections: dict[str, tuple[str, list[str], list[str], list[list[str]]]] = {}
        rows: list[list[str]] = []
        for line in path.read_bytes().decode(self.encoding).splitlines():
            if line.startswith("#"):
                sheet = next(
                    s for s in contract.sheets if normalise_label(line[1:]) in s.spellings()
                )
                rows = []
                self.sections[sheet.name] = (line[1:], [], [], rows)
            elif line.strip():
                rows.append(next(csv.reader([line], delimiter=self.sep)))
        for name, (title, _, _, rows) in self.sections.items():
            header_map = contract.sheet(name).header_map()
            columns = [header_map[normalise_label(h)] for h in rows[0]]
            self.sections[name] = (title, rows[0], columns, rows[1:])

    def rows(self, sheet: str) -> list[dict[str, str]]:
        _, _, columns, rows = self.sections[sheet]
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def set(self, sheet: str, index: int, column: str, value: str) -> None:
        _, _, columns, rows = self.sections[sheet]
        rows[index][columns.index(column)] = value

    def write(self, path: Path) -> None:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.sep, lineterminator="\r\n")
        for title, header, _, rows in self.sections.values():
            out.write(f"#{title}\r\n")
            writer.writerow(header)
            writer.writerows(rows)
        path.write_bytes(out.getvalue().encode(self.encoding))


def parse_datetime(text: str) -> datetime:
    for fmt in common()["datetime_formats"]:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    return datetime.fromisoformat(text)


def fresh_iins(originals: list[str], taken: set[str], rng: random.Random) -> list[str]:
    """Valid IINs with the same birth dates as `originals`, none of them already used."""
    out = []
    for iin in originals:
        while True:
            candidate = complete(iin[:7] + f"{rng.randrange(10_000):04d}")
            if candidate and candidate not in taken:
                taken.add(candidate)
                out.append(candidate)
                break
    return out


def indicator_rows(db: Path) -> dict[tuple, dict[str, Any]]:
    rows = query(db, "select * from marts.fct_indicator_values")
    return {(*(r[k] for k in KEY), r["college_bin"]): r for r in rows}


def test_held_back_submission_changes_nothing_and_resubmission_replaces(
    pipeline_home: Path, tmp_path: Path
) -> None:
    truth = manifest(pipeline_home)
    home = tmp_path / "home"
    shutil.copytree(pipeline_home, home, symlinks=True)
    before_db = pipeline_home / "warehouse.duckdb"

    # C: a college with one clean, accepted CSV submission in the latest round.
    files = [f for f in truth["files"] if f["source"] == "nobd_submission"]
    round_id = max(
        {f["round_id"] for f in files}, key=lambda r: reference.calendar()[r].reference_date
    )
    in_round = [f for f in files if f["round_id"] == round_id]
    per_college: dict[str, list[dict]] = {}
    for f in in_round:
        per_college.setdefault(f["college_bin"], []).append(f)
    accepted = {
        r["college_bin"]
        for r in query(
            before_db,
            "select college_bin from marts.fct_expected_colleges"
            " where round_id = ? and has_accepted_submission",
            [round_id],
        )
    }
    c_file = next(
        f
        for f in in_round
        if f["format"].startswith("csv")
        and not f["defects"]
        and f["college_bin"] in accepted
        and len(per_college[f["college_bin"]]) == 1
    )
    c_bin = c_file["college_bin"]
    # D: an expected college that sent nothing at all in that round.
    d_bin = next(
        s["college_bin"]
        for s in truth["submissions"]
        if s["round_id"] == round_id
        and s["status"] == "missing"
        and s["college_bin"] not in per_college
    )

    landing = home / "landing"
    original = CsvSubmission(landing / c_file["path"], c_file["format"])
    signed = parse_datetime(original.rows("header")[0]["signed_at"])

    # v9 of C: signed later, 100 more Kazakh copies (and 100 more copies in all) in row 1.
    delta = 100
    lib = original.rows("library")[0]
    resubmission = CsvSubmission(landing / c_file["path"], c_file["format"])
    resubmission.set(
        "header", 0, "signed_at", (signed + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    )
    resubmission.set("library", 0, "copies_kk", str(int(lib["copies_kk"]) + delta))
    resubmission.set("library", 0, "copies_total", str(int(lib["copies_total"]) + delta))
    v9 = landing / "nobd" / round_id / f"{c_bin}_{round_id}_v9.csv"
    resubmission.write(v9)

    # D's first submission: well-formed, but its header speaks of the previous round (last round's
    # file re-sent under this round's name): it cannot be trusted as a whole, so it is held back.
    held = CsvSubmission(landing / c_file["path"], c_file["format"])
    d_college = next(c for c in truth["colleges"] if c["college_bin"] == d_bin)
    held.set("header", 0, "college_bin", d_bin)
    held.set("header", 0, "college_name", d_college["name_ru"])
    held.set("header", 0, "region", reference.regions()[d_college["region_code"]].name_ru)
    iins = fresh_iins(
        [s["iin"] for s in held.rows("students")], set(truth["iins"]), random.Random(5)
    )
    for i, iin in enumerate(iins):
        held.set("students", i, "iin", iin)
    previous = reference.previous_round(round_id)
    assert previous is not None
    held.set("header", 0, "round_id", previous.round_id)
    held_path = landing / "nobd" / round_id / f"{d_bin}_{round_id}_v1.csv"
    held.write(held_path)

    edustat("run", "--quiet", home=home, via="warehouse_only")
    after_db = home / "warehouse.duckdb"

    status = {
        r["path"]: r["status"]
        for r in query(after_db, "select path, status from raw.landing_files")
    }
    assert status[c_file["path"]] == "superseded"
    assert status[str(v9.relative_to(landing))] == "loaded"
    assert status[str(held_path.relative_to(landing))] == "held_back", (
        "the DQ step did not hold back a submission whose header round is not its folder's"
    )

    # C's library figures in the facts are the resubmission's, and only those.
    c_lib = query(
        after_db,
        "select file_path, copies_kk, copies_total from marts.fct_library_fund"
        " where college_bin = ? and round_id = ?",
        [c_bin, round_id],
    )
    assert {r["file_path"] for r in c_lib} == {str(v9.relative_to(landing))}
    assert not query(
        after_db,
        "select 1 from marts.fct_enrolment where college_bin = ? and round_id = ?",
        [d_bin, round_id],
    )

    # Indicators: only the rows that contain C's library in that round move, by exactly delta.
    c_region = query(
        before_db,
        "select region_code from marts.fct_expected_colleges"
        " where round_id = ? and college_bin = ?",
        [round_id, c_bin],
    )[0]["region_code"]
    # Every indicator of Kazakh copies over all copies moves (the resubmission adds to both).
    library = [
        i.id
        for i in load_registry().indicators
        if (i.numerator.counts.sum, i.denominator.counts.sum) == ("copies_kk", "copies_total")
    ]
    assert library
    moved = {
        (iid, round_id, level, region, college)
        for iid in library
        for level, region, college in (
            ("national", None, None),
            ("region", c_region, None),
            ("college", c_region, c_bin),
        )
    }
    before, after = indicator_rows(before_db), indicator_rows(after_db)
    assert set(before) == set(after)
    fields = (
        "numerator",
        "denominator",
        "expected_colleges",
        "contributing_colleges",
        "suppressed",
    )
    for key in before:
        b, a = before[key], after[key]
        if key in moved:
            assert (a["numerator"], a["denominator"]) == (
                b["numerator"] + delta,
                b["denominator"] + delta,
            )
            assert (a["expected_colleges"], a["contributing_colleges"]) == (
                b["expected_colleges"],
                b["contributing_colleges"],
            )
        else:
            assert {f: a[f] for f in fields} == {f: b[f] for f in fields}, key


# --- Dagster wiring -----------------------------------------------------------------------------


def test_dagster_wiring() -> None:
    from dagster import AssetKey

    from pipelines.assets import warehouse

    staging, marts = warehouse.dbt_staging, warehouse.dbt_marts
    raw_deps = {k for k in staging.dependency_keys if k not in staging.keys}
    assert AssetKey(["raw", "nobd_students"]) in raw_deps
    assert AssetKey(["raw", "landing_files"]) in raw_deps
    # Model tests are asset checks on the staging models; source tests run inside the staging
    # build, never as checks on the ingest's raw assets (docs/ARCHITECTURE.md).
    checked = {c.asset_key.path[0] for c in staging.check_keys}
    assert "staging" in checked and "raw" not in checked, checked
    # The marts wait for the data-quality step.
    assert AssetKey(["dq_findings"]) in marts.dependency_keys
    assert AssetKey(["marts", "fct_indicator_values"]) in marts.keys
    assert not (staging.keys & marts.keys)


def test_manifest_is_reparsed_when_a_model_changes_and_swapped_in_whole(tmp_path: Path) -> None:
    """A stale manifest is prepared again, and a reader meanwhile (a run importing the assets
    while `edustat ui` re-prepares) sees the old manifest or the new one, never part of one."""
    import threading

    from dagster_dbt import DbtProject

    from pipelines.assets.dbt_project import manifest_is_stale, prepare_manifest

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    project = DbtProject(project_dir=copy, profiles_dir=copy)
    assert manifest_is_stale(project)
    manifest_path = prepare_manifest(project)
    assert not manifest_is_stale(project)
    model = copy / "models" / "marts" / "core" / "dim_region.sql"
    model.write_text(model.read_text() + "\n-- changed\n", encoding="utf-8")
    stamp = manifest_path.stat().st_mtime + 5
    os.utime(model, (stamp, stamp))
    assert manifest_is_stale(project)

    before = manifest_path.stat().st_ino
    reads: list[str] = []
    broken: list[Exception] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            try:
                reads.append(json.loads(manifest_path.read_bytes())["nodes"][model_id]["raw_code"])
            except ValueError as e:  # half a file
                broken.append(e)

    model_id = "model.edustat.dim_region"
    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        prepare_manifest(project)
    finally:
        done.set()
        reader.join()
    assert not manifest_is_stale(project)
    assert reads and not broken, broken[:1]
    assert "-- changed" in json.loads(manifest_path.read_bytes())["nodes"][model_id]["raw_code"]
    # A new file moved into place, not the old one rewritten (the reader's window is small).
    assert manifest_path.stat().st_ino != before
    assert not list(manifest_path.parent.glob(".parse-*"))  # the parse's own folder is gone
