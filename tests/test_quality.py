"""Data quality end to end on generated data (tests/conftest.py `pipeline_home`): the findings,
statuses and reporting rates the pipeline produces equal the generator's ground truth."""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.quality import runner

FINDING_COLUMNS = (
    "round_id, year, college_bin, region_code, source, file_id, file_path, sheet, row_number, "
    "field, rule_id, severity, offending_value, message_kk, message_ru"
)


@contextmanager
def warehouse(home: Path, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    rel = con.sql(sql)
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


@pytest.fixture(scope="module")
def manifest(pipeline_home: Path) -> dict[str, Any]:
    return json.loads((pipeline_home / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def findings(pipeline_home: Path) -> list[dict[str, Any]]:
    with warehouse(pipeline_home) as con:
        return rows(con, f"select {FINDING_COLUMNS} from marts.fct_dq_findings")


def _matches(defect: dict[str, Any], finding: dict[str, Any]) -> bool:
    """Same rule and severity; same sheet, row and field wherever the manifest names them."""
    return (
        finding["rule_id"] == defect["rule"]
        and finding["severity"] == defect["severity"]
        and all(
            defect[k] is None or finding[f] == defect[k]
            for k, f in (("sheet", "sheet"), ("row", "row_number"), ("field", "field"))
        )
    )


def test_every_manifest_defect_is_a_finding(manifest: dict, findings: list[dict]) -> None:
    by_file: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        by_file[f["file_path"]].append(f)
    defects = [(f["path"], d) for f in manifest["files"] for d in f["defects"]]
    missed = [(p, d) for p, d in defects if not any(_matches(d, f) for f in by_file[p])]
    # Every rule family occurs in the sample (the generator deals every variant at least once).
    assert {d["rule"].split(".")[0] for _, d in defects} >= {
        "structure", "identifiers", "domain", "logic", "cross", "temporal"
    }  # fmt: skip
    assert len(defects) >= 40
    assert not missed, f"recall {1 - len(missed) / len(defects):.1%}; missed: {missed[:10]}"


def test_no_finding_outside_the_manifest(manifest: dict, findings: list[dict]) -> None:
    """Precision: the generator records every defect it injects, so any other finding is false.
    Above all, no file the manifest calls clean carries a hold or quarantine finding."""
    expected = {(f["path"], d["rule"]) for f in manifest["files"] for d in f["defects"]}
    extra = [f for f in findings if (f["file_path"], f["rule_id"]) not in expected]
    assert not extra, extra[:10]
    clean = {
        f["path"]
        for f in manifest["files"]
        if f["fate"] == "loaded" and all(d["severity"] == "warning" for d in f["defects"])
    }
    false_costly = [
        f for f in findings if f["file_path"] in clean and f["severity"] in ("hold", "quarantine")
    ]
    assert clean and not false_costly


def test_registry_status_equals_the_manifest_fate(pipeline_home: Path, manifest: dict) -> None:
    with warehouse(pipeline_home) as con:
        status = dict(con.sql("select path, status from raw.landing_files").fetchall())
        reasons = dict(
            con.sql(
                "select path, reason from raw.landing_files where status = 'held_back'"
            ).fetchall()
        )
    wrong = [(f["path"], f["fate"], status.get(f["path"])) for f in manifest["files"]
             if status.get(f["path"]) != f["fate"]]  # fmt: skip
    assert not wrong
    assert Counter(f["fate"] for f in manifest["files"])["held_back"] == len(reasons) > 0
    # A held-back submission's reason names its hold rules.
    for f in manifest["files"]:
        if f["fate"] == "held_back":
            holds = {d["rule"] for d in f["defects"] if d["severity"] == "hold"}
            assert set(reasons[f["path"]].split(", ")) == holds


def test_statuses_equal_the_manifest_submissions(pipeline_home: Path, manifest: dict) -> None:
    with warehouse(pipeline_home) as con:
        got = {
            (r["round_id"], r["college_bin"]): (r["region_code"], r["status"])
            for r in rows(
                con,
                "select round_id, college_bin, region_code, status "
                "from marts.fct_dq_submission_status where status <> 'superseded'",
            )
        }
        superseded = con.sql(
            "select count(*) from marts.fct_dq_submission_status where status = 'superseded'"
        ).fetchall()[0][0]
    want = {
        (s["round_id"], s["college_bin"]): (s["region_code"], s["status"])
        for s in manifest["submissions"]
    }
    assert got == want
    assert {s for _, s in want.values()} == {"on_time", "late", "missing"}
    assert superseded == Counter(f["fate"] for f in manifest["files"])["superseded"]


def test_reporting_rates_equal_the_manifest(pipeline_home: Path, manifest: dict) -> None:
    counts: dict[tuple, Counter] = defaultdict(Counter)
    for s in manifest["submissions"]:
        for key in ((s["round_id"], "national", None), (s["round_id"], "region", s["region_code"])):
            counts[key]["expected"] += 1
            counts[key]["actual"] += s["status"] in ("on_time", "late")
            counts[key]["actual_on_time"] += s["status"] == "on_time"
    with warehouse(pipeline_home) as con:
        got = {
            (r["round_id"], r["level"], r["region_code"]): r
            for r in rows(con, "select * from marts.rpt_reporting_rates")
        }
    assert set(got) == set(counts)
    for key, c in counts.items():
        r = got[key]
        assert (r["expected"], r["actual"], r["actual_on_time"]) == (
            c["expected"], c["actual"], c["actual_on_time"]
        ), key  # fmt: skip
        assert r["reporting_rate"] == pytest.approx(c["actual"] / c["expected"])
        assert r["reporting_rate_on_time"] == pytest.approx(c["actual_on_time"] / c["expected"])
        assert 0 <= r["reporting_rate_on_time"] <= r["reporting_rate"] <= 1


def test_findings_are_placed_and_never_show_an_iin(manifest: dict, findings: list[dict]) -> None:
    region = {(s["round_id"], s["college_bin"]): s["region_code"] for s in manifest["submissions"]}
    iins = set(manifest["iins"])
    for f in findings:
        assert f["offending_value"] not in iins
        if f["field"] in ("iin", "competitor_iin"):
            assert f["offending_value"] == runner.MASK
        assert f["message_kk"] and f["message_ru"]
        if f["source"] == "nobd_submission":
            # The region the college is expected in at that round, as the status mart says.
            assert f["region_code"] == region[(f["round_id"], f["college_bin"])], f
            assert f["year"] == int(f["round_id"][:4]) - f["round_id"].endswith("spring")


def test_asset_checks_report_per_suite(
    pipeline_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One check per suite on `dq_findings`: WARN where the data has findings, none errored."""
    from dagster import AssetCheckKey, AssetCheckSeverity, DagsterInstance

    from pipelines.assets.quality import DQ_FINDINGS, SUITES, check_name

    monkeypatch.setenv("DAGSTER_HOME", str(pipeline_home / "dagster"))
    with DagsterInstance.get() as instance:
        checks = {}
        for suite in SUITES:
            key = AssetCheckKey(asset_key=DQ_FINDINGS, name=check_name(suite))
            records = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
            assert records and records[0].event, suite
            evaluation = records[0].event.dagster_event.event_specific_data
            checks[suite] = (evaluation.passed, evaluation.severity)
        materialized = instance.get_latest_materialization_event(DQ_FINDINGS)
    assert len(checks) == len(SUITES) == 19
    assert checks["nobd_submission.logic"] == (False, AssetCheckSeverity.WARN)
    assert checks["worldskills_export.structure"][0] is True
    assert all(severity == AssetCheckSeverity.WARN for _, severity in checks.values())
    metadata = materialized.asset_materialization.metadata
    assert metadata["findings"].value > 0 and metadata["held_back_submissions"].value > 0


@pytest.fixture
def own_copy(pipeline_home: Path, tmp_path: Path) -> Path:
    """A folder with a copy of the shared warehouse, for a test that runs the DQ step again: the
    shared one stays byte for byte as the build left it (its build stamp vouches for that)."""
    shutil.copy2(pipeline_home / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    return tmp_path


def test_chunked_validation_finds_the_same(own_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every expectation is row-wise, so small chunks give exactly the findings of big ones."""
    from pipelines.quality import frames, reuse

    query = f"select {FINDING_COLUMNS.replace('region_code, ', '')} from dq.findings order by all"
    with warehouse(own_copy, read_only=False) as con:
        before = con.sql(query).fetchall()
        reuse.forget(con)  # validate every row again, not only the changed files
        students = con.execute("select count(*) from dq_prep.dq_frame_nobd_students").fetchall()[0][
            0
        ]
    monkeypatch.setattr(frames, "CHUNK_ROWS", 2048)
    assert students > 3 * frames.CHUNK_ROWS  # several chunks, and a partial last one

    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse(own_copy, read_only=False) as con:
            yield con

    runner.run(connect)
    with warehouse(own_copy) as con:
        assert con.sql(query).fetchall() == before


def test_rerun_is_idempotent(own_copy: Path) -> None:
    """Validating the same data again changes nothing: same findings, same statuses and times."""
    query = f"select {FINDING_COLUMNS.replace('region_code, ', '')} from dq.findings order by all"
    registry = "select file_id, status, reason, status_changed_at from raw.landing_files order by 1"
    with warehouse(own_copy) as con:
        before = (con.sql(query).fetchall(), con.sql(registry).fetchall())

    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse(own_copy, read_only=False) as con:
            yield con

    outcome = runner.run(connect)
    with warehouse(own_copy) as con:
        after = (con.sql(query).fetchall(), con.sql(registry).fetchall())
    assert after == before
    # Nothing changed, so only the submission frame (validated in every run) is validated again;
    # the row- and file-level findings are the last run's (pipelines/quality/reuse.py).
    with warehouse(own_copy) as con:
        submissions = con.sql("select count(*) from dq_prep.dq_frame_nobd_submissions").fetchall()
    assert outcome.rows_validated == submissions[0][0] and outcome.rows_reused > 0
    assert outcome.newly_held_back == 0 and outcome.released == 0
    assert all(not s.errors for s in outcome.suites.values())


@pytest.mark.parametrize("operator_cap", [None, "300MB"])
def test_the_step_connects_under_its_own_memory_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operator_cap: str | None
) -> None:
    """The DQ step's connections get settings.DQ_MEMORY_LIMIT, not the resource's cap, unless the
    operator set one cap for all."""
    from dagster_duckdb import DuckDBResource

    from pipelines.assets.quality import _capped_connection
    from pipelines.settings import DQ_MEMORY_LIMIT, DUCKDB_MEMORY_LIMIT_ENV

    if operator_cap:
        monkeypatch.setenv(DUCKDB_MEMORY_LIMIT_ENV, operator_cap)
    else:
        monkeypatch.delenv(DUCKDB_MEMORY_LIMIT_ENV, raising=False)
    resource = DuckDBResource(
        database=str(tmp_path / "warehouse.duckdb"), connection_config={"memory_limit": "512MB"}
    )
    query = "select current_setting('memory_limit')"
    with _capped_connection(resource) as con:
        capped = con.execute(query).fetchone()
    with duckdb.connect(config={"memory_limit": operator_cap or DQ_MEMORY_LIMIT}) as con:
        assert capped == con.execute(query).fetchone()
    with resource.get_connection() as con:  # the cap is the step's, not the warehouse's
        assert con.execute(query).fetchone() != capped
