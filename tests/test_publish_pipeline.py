"""Publishing on the real pipeline (the shared `pipeline_home` fixture: demo data + `edustat run`).

- the build published a complete snapshot: DuckDB copy, Parquet of every public mart, dbt docs;
- a DuckDB 1.x client opens it;
- a run that fails (a broken dbt model, in a copy of the repo and of the home) leaves `current`
  where it was, and `edustat sql` keeps answering while that run holds the warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from test_publish import DUCKDB1_CLIENTS, query_with_duckdb1  # cached DuckDB 1.x venvs

from pipelines.publish.snapshot import (
    CURRENT,
    DB_FILE,
    PUBLIC_SCHEMA,
    STORAGE_VERSION,
    list_snapshots,
)
from pipelines.settings import REPO_ROOT, Home


@pytest.fixture(scope="module")
def home(pipeline_home: Path) -> Home:
    return Home(pipeline_home)


def snapshot_counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = con.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            f"'{PUBLIC_SCHEMA}' ORDER BY 1"
        ).fetchall()
        return {
            n: con.sql(f'SELECT count(*) FROM {PUBLIC_SCHEMA}."{n}"').fetchall()[0][0]
            for (n,) in names
        }


def test_build_published_a_complete_snapshot(home: Home) -> None:
    link = home.published / CURRENT
    assert link.is_symlink(), "edustat run did not publish"
    snap = link.resolve()
    assert snap.name in list_snapshots(home)

    counts = snapshot_counts(snap / DB_FILE)
    # The public marts the query guide relies on are there and not empty.
    for table in ("fct_indicator_values", "dim_region", "dim_college", "dim_round"):
        assert counts.get(table, 0) > 0, (table, counts)
    for table in ("fct_dq_submission_status", "rpt_reporting_rates"):
        assert table in counts, counts

    # One Parquet file per public mart, with the same rows as the DuckDB copy.
    parquet = {p.stem: p for p in (snap / "parquet").glob("*.parquet")}
    assert set(parquet) == set(counts)
    for table, n in counts.items():
        assert duckdb.sql(f"SELECT count(*) FROM '{parquet[table]}'").fetchall()[0][0] == n

    # The data dictionary of this very build sits beside it.
    docs = snap / "docs"
    for f in ("index.html", "manifest.json", "catalog.json", "static_index.html"):
        assert (docs / f).is_file(), f
    catalog = json.loads((docs / "catalog.json").read_text())
    assert "model.edustat.fct_indicator_values" in catalog["nodes"]
    columns = catalog["nodes"]["model.edustat.fct_indicator_values"]["columns"]
    assert {"indicator_id", "period", "value", "target", "coverage"} <= set(columns)

    meta = json.loads((snap / "snapshot.json").read_text())
    assert meta["storage_compatibility_version"] == STORAGE_VERSION
    assert meta["tables"][f"{PUBLIC_SCHEMA}.fct_indicator_values"] == counts["fct_indicator_values"]


def test_snapshot_equals_the_warehouse(home: Home) -> None:
    snap = snapshot_counts(home.published / CURRENT / DB_FILE)
    live = snapshot_counts(home.warehouse)
    assert snap == live


@pytest.mark.parametrize("client", DUCKDB1_CLIENTS)
def test_duckdb1_client_opens_the_published_copy(home: Home, client: str) -> None:
    db = (home.published / CURRENT).resolve() / DB_FILE
    sql = (
        "SELECT count(*), count(DISTINCT indicator_id), round(sum(numerator), 3) "
        "FROM marts.fct_indicator_values"
    )
    version, rows = query_with_duckdb1(db, sql, client)
    assert version.startswith("1."), version
    with duckdb.connect(str(db), read_only=True) as con:
        expected = [list(r) for r in con.sql(sql).fetchall()]
    assert json.loads(json.dumps(rows)) == json.loads(json.dumps(expected, default=str))


# ---- a failed run ------------------------------------------------------------------------------

REPO_PARTS = ("pipelines", "dbt_project", "sources", "expectations", "workspace.yaml")
IGNORE = shutil.ignore_patterns("target", "logs", "__pycache__", "*.pyc")


def repo_copy(dest: Path) -> Path:
    """The repo's code and dbt project in `dest`, to break without touching the real one.

    settings.REPO_ROOT follows the imported package, so a run started with the copy first on
    sys.path uses the copy's dbt project, expectations and reference data throughout.
    """
    for part in REPO_PARTS:
        src = REPO_ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=IGNORE)
        elif src.exists():
            shutil.copy2(src, dest / part)
    return dest


def home_copy(src: Home, dest: Path) -> Home:
    # symlinks=True keeps `published/current` a (relative) symlink into the copy.
    shutil.copytree(src.root, dest, symlinks=True)
    return Home(dest)


def test_failed_run_leaves_current_in_place(home: Home, tmp_path: Path) -> None:
    repo = repo_copy(tmp_path / "repo")
    h = home_copy(home, tmp_path / "home")
    before = os.readlink(h.published / CURRENT)
    snapshots_before = list_snapshots(h)
    expected = snapshot_counts(h.published / CURRENT / DB_FILE)["fct_indicator_values"]

    # A broken model in the first dbt step: dbt fails the step, Dagster skips everything
    # downstream of it (the checks, the marts, the packs, the yearbook and publishing).
    model = repo / "dbt_project" / "models" / "staging" / "reference" / "stg_ref__regions.sql"
    model.write_text(model.read_text() + "\nTHIS IS NOT SQL\n")

    env = {
        **os.environ,
        "EDUSTAT_HOME": str(h.root),
        "PYTHONPATH": str(repo),
        "COLUMNS": "200",
        "EDUSTAT_LANG": "ru",
    }
    env.pop("DAGSTER_HOME", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli.main", "run", "--quiet"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Meanwhile a statistician keeps querying: the published copy answers throughout.
    answers = 0
    sql_env = {**env, "PYTHONPATH": str(REPO_ROOT)}
    try:
        while run.poll() is None:
            q = subprocess.run(
                [*[sys.executable, "-m", "pipelines.cli.main"], "sql", "-f", "csv",
                 "SELECT count(*) FROM marts.fct_indicator_values"],
                cwd=REPO_ROOT, env=sql_env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert q.returncode == 0, q.stderr
            assert q.stdout.splitlines()[1] == str(expected)
            answers += 1
            time.sleep(5)  # a statistician's pace; each query is a process of its own
        out, _ = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode != 0, f"the run should have failed:\n{out[-3000:]}"
    assert "stg_ref__regions" in out, out[-3000:]
    # The summary names the step in the user's words and shows dbt's lines without colour codes.
    # dbt's failed node and the database's cause, in the step's line (dbt runs in the run's
    # process: pipelines/dbt_runner.py).
    step_line = (
        "шаг Подготовка данных (dbt) (dbt_staging): model stg_ref__regions "
        "(models/staging/reference/stg_ref__regions.sql): Parser Error: syntax error"
    )
    assert step_line in out, out[-3000:]
    assert "\x1b[" not in out, out[-3000:]
    assert answers >= 1

    assert os.readlink(h.published / CURRENT) == before
    assert list_snapshots(h) == snapshots_before
    assert not [p for p in h.published.iterdir() if p.name.startswith(".staging-")]
