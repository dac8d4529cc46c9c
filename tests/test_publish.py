"""Publishing on a small stand-in warehouse: layout, atomic swap, rotation, failure paths, and the
Dagster wiring (the asset runs only when everything upstream succeeded).

The same properties on the real pipeline are in test_publish_pipeline.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckResult, AssetKey, asset, asset_check, materialize

from pipelines.assets.resources import default_resources
from pipelines.publish import snapshot as snap
from pipelines.publish.snapshot import (
    CURRENT,
    DB_FILE,
    KEEP_ENV,
    current_dir,
    list_snapshots,
    publish_snapshot,
)
from pipelines.settings import REPO_ROOT, Home
from pipelines.warehouse_storage import STORAGE_VERSION, create_if_missing, in_storage_version

T0 = datetime(2024, 6, 1, 10, 15, 0, tzinfo=UTC)


def make_warehouse(home: Home, rows: int = 100) -> None:
    """A few schemas like the real one: raw tables, a staging view, marts tables and a view."""
    home.ensure()
    with duckdb.connect(str(home.warehouse)) as con:
        for schema in ("raw", "staging", "marts"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(
            "CREATE OR REPLACE TABLE raw.nobd_header AS SELECT i AS id, 'r' || (i % 17) AS region "
            f"FROM range({rows}) t(i)"
        )
        con.execute("CREATE OR REPLACE VIEW staging.stg_header AS SELECT * FROM raw.nobd_header")
        con.execute(
            "CREATE OR REPLACE TABLE marts.fct_indicator_values AS SELECT 'dual_training_share' AS "
            "indicator_id, '2023-autumn' AS period, i::DOUBLE / 10 AS value "
            f"FROM range({rows}) t(i)"
        )
        con.execute("CREATE OR REPLACE VIEW marts.v_national AS FROM marts.fct_indicator_values")


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage: str) -> Home:
    monkeypatch.setenv("EDUSTAT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(KEEP_ENV, raising=False)
    h = Home.from_env()
    if storage == STORAGE_VERSION:  # as a run creates it (pipelines/assets/resources.py)
        h.ensure()
        create_if_missing(h.warehouse)
    make_warehouse(h)
    with duckdb.connect(str(h.warehouse)) as con:
        assert in_storage_version(con) == (storage == STORAGE_VERSION)
    return h


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    return _home(tmp_path, monkeypatch, STORAGE_VERSION)


@pytest.fixture(params=[STORAGE_VERSION, "default"], ids=["file-copied", "tables-rewritten"])
def any_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Home:
    """A warehouse in the storage format publishing copies as a file, and one in DuckDB's default
    format (made before pipelines/warehouse_storage.py, or by dbt by hand), rewritten table by
    table."""
    return _home(tmp_path, monkeypatch, request.param)


def test_layout_pointer_and_read_only_copy(any_home: Home) -> None:
    home = any_home
    res = publish_snapshot(home, build_time=T0, run_id="run-1", docs=False)

    assert res.name == "20240601T101500Z"
    link = home.published / CURRENT
    assert link.is_symlink() and os.readlink(link) == res.name  # relative: the folder can move
    assert current_dir(home) == res.path

    files = sorted(p.relative_to(res.path).as_posix() for p in res.path.rglob("*") if p.is_file())
    assert files == [
        "parquet/fct_indicator_values.parquet",
        "parquet/v_national.parquet",
        "snapshot.json",
        DB_FILE,
    ]
    # Immutable: every file 0444; no WAL left beside the DuckDB file (read-only openers need that).
    for f in files:
        assert stat.S_IMODE((res.path / f).stat().st_mode) == 0o444, f
    assert not (res.path / f"{DB_FILE}.wal").exists()

    meta = json.loads((res.path / "snapshot.json").read_text())
    assert meta["run_id"] == "run-1"
    assert meta["storage_compatibility_version"] == snap.STORAGE_VERSION
    assert meta["tables"] == {"marts.fct_indicator_values": 100, "raw.nobd_header": 100}

    with duckdb.connect(str(res.path / DB_FILE), read_only=True) as con:
        # Views came along as views and still resolve in the copy.
        assert con.sql("SELECT count(*) FROM staging.stg_header").fetchall() == [(100,)]
        assert con.sql("SELECT count(*) FROM marts.v_national").fetchall() == [(100,)]
    pq = res.path / "parquet" / "fct_indicator_values.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM '{pq}'").fetchall() == [(100,)]


def test_copy_holds_every_row_of_every_table(any_home: Home) -> None:
    """The rows go in over several connections at once (snapshot._copy_rows): more tables than
    lanes, of unequal sizes, with keys, NULLs and nested types, come out exactly as they went in
    (and so does the file when it is copied as it is)."""
    home = any_home
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "CREATE TABLE raw.keyed (id INTEGER PRIMARY KEY, born DATE, amount DECIMAL(12, 2), "
            "tags VARCHAR[], note VARCHAR NOT NULL DEFAULT 'none')"
        )
        con.execute(
            "INSERT INTO raw.keyed SELECT i, DATE '2000-01-01' + i::INTEGER, i * 1.25, "
            "CASE WHEN i % 3 = 0 THEN NULL ELSE ['a', 'b' || i] END, 'n' || i FROM range(5000) t(i)"
        )
        for n in range(6):
            con.execute(
                f"CREATE TABLE marts.t{n} AS SELECT i, i % 7 AS k FROM range({n * 900}) t(i)"
            )
    res = publish_snapshot(home, build_time=T0, run_id="run-1", docs=False)

    with duckdb.connect() as con:
        con.execute(f"ATTACH '{home.warehouse}' AS src (READ_ONLY)")
        con.execute(f"ATTACH '{res.path / DB_FILE}' AS cp (READ_ONLY)")
        tables = con.sql(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'src'"
        ).fetchall()
        assert len(tables) == 9
        for schema, table in tables:
            for a, b in (("src", "cp"), ("cp", "src")):
                diff = con.sql(
                    f"SELECT count(*) FROM (FROM {a}.{schema}.{table} EXCEPT ALL "
                    f"FROM {b}.{schema}.{table})"
                ).fetchall()
                assert diff == [(0,)], f"{schema}.{table}: rows of {a} missing in {b}"
        constraints = "SELECT constraint_type FROM duckdb_constraints() WHERE database_name = ? "
        constraints += "AND table_name = 'keyed' ORDER BY 1"
        assert (
            con.execute(constraints, ["cp"]).fetchall()
            == con.execute(constraints, ["src"]).fetchall()
        )


def test_rotation_keeps_the_newest_n(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEEP_ENV, "2")
    names = [
        publish_snapshot(home, build_time=T0 + timedelta(hours=i), docs=False).name
        for i in range(4)
    ]
    assert list_snapshots(home) == names[-2:]
    assert os.readlink(home.published / CURRENT) == names[-1]


def test_two_builds_in_one_second_get_distinct_folders(home: Home) -> None:
    a = publish_snapshot(home, build_time=T0, docs=False)
    b = publish_snapshot(home, build_time=T0, docs=False)
    assert (a.name, b.name) == ("20240601T101500Z", "20240601T101500Z_1")
    assert list_snapshots(home)[-1] == b.name == os.readlink(home.published / CURRENT)


class InjectedFailure(RuntimeError):
    pass


class FailingConnection:
    """The warehouse connection, raising right after the first statement that starts with
    `prefix` has run (what a full disk or a kill would leave)."""

    def __init__(self, path: Path, prefix: str) -> None:
        self._con = duckdb.connect(str(path))
        self._prefix = prefix

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        result = self._con.execute(sql, *args)
        if sql.startswith(self._prefix):
            raise InjectedFailure(sql)
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)

    def __enter__(self) -> FailingConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()


def _raise(*args: object, **kwargs: object) -> None:
    raise InjectedFailure()


def _then_raise(real: Callable[..., object]) -> Callable[..., object]:
    def wrapper(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)
        raise InjectedFailure()

    return wrapper


# Where a publish can die: once the warehouse is copied (the statement that makes the copy of a
# file in the storage format copied as it is, or of one rewritten table by table), once the Parquet
# files are written, in the dbt docs (after both), and when the finished snapshot's pointer is
# swapped.
COPY_STATEMENT = {STORAGE_VERSION: "CHECKPOINT", "default": "COPY FROM DATABASE"}
STAGES = ("copy", "parquet", "docs", "swap")
PATCHED = {
    "parquet": ("pipelines.publish.snapshot._export_parquet", _then_raise(snap._export_parquet)),
    "docs": ("pipelines.publish.docs.generate_docs", _raise),
    "swap": ("pipelines.publish.snapshot._swap_current", _raise),
}


@pytest.mark.parametrize("stage", STAGES)
def test_failure_at_any_stage_leaves_current_untouched(
    any_home: Home, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    home = any_home
    first = publish_snapshot(home, build_time=T0, docs=False)
    before = sorted(p.name for p in home.published.iterdir())

    # The warehouse changes, then the next publish dies half-way.
    make_warehouse(home, rows=7)
    connect = None
    if stage in PATCHED:
        monkeypatch.setattr(*PATCHED[stage])
    else:
        with duckdb.connect(str(home.warehouse)) as con:
            statement = COPY_STATEMENT[STORAGE_VERSION if in_storage_version(con) else "default"]
        connect = lambda: FailingConnection(home.warehouse, statement)  # noqa: E731
    with pytest.raises(InjectedFailure):
        publish_snapshot(
            home, build_time=T0 + timedelta(hours=1), docs=stage == "docs", connect=connect
        )

    assert os.readlink(home.published / CURRENT) == first.name
    assert sorted(p.name for p in home.published.iterdir()) == before  # no partial folder left


def test_keep_env_must_be_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEEP_ENV, "lots")
    with pytest.raises(ValueError, match=KEEP_ENV):
        snap.keep_count()
    monkeypatch.setenv(KEEP_ENV, "0")
    assert snap.keep_count() == 1  # never delete the one `current` points at


# ---- dbt docs beside the copy (stand-in dbt project: independent of the real models) ----------

STANDIN_DBT = {
    "dbt_project.yml": """
        name: standin
        profile: standin
        version: "1.0"
        models:
          standin:
            +schema: marts
            +materialized: table
    """,
    "macros/generate_schema_name.sql": """
        {% macro generate_schema_name(custom_schema_name, node) -%}
        {{ custom_schema_name or target.schema }}
        {%- endmacro %}
    """,
    "models/fct_indicator_values.sql": "select 1 as indicator_id",
    "models/schema.yml": """
        version: 2
        models:
          - name: fct_indicator_values
            description: Indicator values per period and level.
    """,
}


def test_dbt_docs_describe_the_snapshot(home: Home, tmp_path: Path) -> None:
    project = tmp_path / "dbt"
    for rel, text in STANDIN_DBT.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(textwrap.dedent(text).strip() + "\n")
    res = publish_snapshot(home, build_time=T0, dbt_project_dir=project)

    docs = res.path / "docs"
    assert {"index.html", "manifest.json", "catalog.json", "static_index.html"} <= {
        p.name for p in docs.iterdir()
    }
    catalog = json.loads((docs / "catalog.json").read_text())
    node = catalog["nodes"]["model.standin.fct_indicator_values"]
    # The catalog was read from the snapshot itself: it sees the snapshot's 100 rows.
    assert node["metadata"]["schema"] == "marts"
    assert node["stats"]["has_stats"]["value"] in (True, False)
    manifest = json.loads((docs / "manifest.json").read_text())
    assert (
        "Indicator values" in manifest["nodes"]["model.standin.fct_indicator_values"]["description"]
    )
    # Documenting opened the copy read-only: no WAL was left beside it.
    assert not (res.path / f"{DB_FILE}.wal").exists()


def test_dbt_docs_are_reused_only_for_the_same_project_and_schema(
    home: Home, tmp_path: Path
) -> None:
    project = tmp_path / "dbt"
    for rel, text in STANDIN_DBT.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(textwrap.dedent(text).strip() + "\n")

    def catalog(when: datetime, in_home: Home = home) -> bytes:
        res = publish_snapshot(in_home, build_time=when, dbt_project_dir=project)
        return (res.path / "docs" / "catalog.json").read_bytes()

    first = catalog(T0)
    make_warehouse(home, rows=7)  # other data, same schema: dbt is not started again
    assert catalog(T0 + timedelta(minutes=1)) == first  # byte-equal: even its generated_at
    other = Home(tmp_path / "other-home")  # another home on the machine shares the cache
    make_warehouse(other, rows=3)
    assert catalog(T0, other) == first

    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("ALTER TABLE marts.fct_indicator_values ADD COLUMN note VARCHAR")
    changed = json.loads(catalog(T0 + timedelta(minutes=2)))
    assert "note" in changed["nodes"]["model.standin.fct_indicator_values"]["columns"]

    (project / "models" / "extra.sql").write_text("select 1 as one\n")  # the project changed
    again = json.loads(catalog(T0 + timedelta(minutes=3)))
    assert again["metadata"]["generated_at"] != changed["metadata"]["generated_at"]


# ---- Dagster: the asset runs last and only after everything upstream succeeded ---------------


def _standin_defs(home: Home, fail: str | None):  # type: ignore[no-untyped-def]
    from pipelines.assets.publish import build_published_snapshot_asset

    @asset(group_name="warehouse")
    def fct_indicator_values() -> None:
        if fail == "asset":
            raise RuntimeError("injected upstream failure")
        make_warehouse(home, rows=42)

    @asset_check(asset=fct_indicator_values, blocking=True)
    def fct_indicator_values_complete() -> AssetCheckResult:
        return AssetCheckResult(passed=fail != "check")

    publish = build_published_snapshot_asset([fct_indicator_values], docs=False)
    return [fct_indicator_values, publish], [fct_indicator_values_complete]


@pytest.mark.parametrize("fail", ["asset", "check"])
def test_failed_build_does_not_publish(home: Home, fail: str) -> None:
    first = publish_snapshot(home, build_time=T0, docs=False)
    assets, checks = _standin_defs(home, fail)
    result = materialize(
        [*assets, *checks], resources=default_resources(home), raise_on_error=False
    )

    assert not result.success
    assert AssetKey("published_snapshot") not in {
        m.asset_key for m in result.asset_materializations_for_node("published_snapshot")
    }
    assert os.readlink(home.published / CURRENT) == first.name
    assert list_snapshots(home) == [first.name]


def test_successful_build_publishes(home: Home) -> None:
    from pipelines.assets.publish import ASSET_NAME, GROUP

    assets, checks = _standin_defs(home, None)
    publish = assets[-1]
    assert publish.group_names_by_key[publish.key] == GROUP and publish.key.path == [ASSET_NAME]
    result = materialize([*assets, *checks], resources=default_resources(home))

    assert result.success
    meta = result.asset_materializations_for_node(ASSET_NAME)[0].metadata
    assert meta["tables"].value == 2
    with duckdb.connect(str(current_dir(home) / DB_FILE), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM marts.fct_indicator_values").fetchall() == [(42,)]


# ---- a DuckDB 1.x client opens the published copy ---------------------------------------------

DUCKDB1_CACHE = REPO_ROOT / ".venv-duckdb1"  # gitignored; one venv per client version
# The newest 1.x, and an older line that BI tools still bundle (a "v1.5.0" copy fails there).
DUCKDB1_CLIENTS = ("duckdb<2", "duckdb==1.1.3")


def duckdb1_python(spec: str = "duckdb<2") -> Path:
    """A cached venv with DuckDB `spec`, made with uv from the project venv.

    Created under a file lock so parallel pytest workers do not build it twice at once.
    """
    venv = DUCKDB1_CACHE / spec.replace("==", "-").replace("<", "-lt-")  # duckdb-lt-2
    py = venv / "bin" / "python"
    ready = venv / ".ready"  # written last: a half-built venv is never taken as done
    if ready.exists():
        return py
    uv = REPO_ROOT / ".venv" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("uv is not in .venv/bin (run `make install`)")
    DUCKDB1_CACHE.mkdir(parents=True, exist_ok=True)
    with open(DUCKDB1_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():
            return py
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run(
            [str(uv), "venv", "-q", "--python", sys.executable, str(venv)],
            check=True,
            timeout=120,
        )
        proc = subprocess.run(
            [str(uv), "pip", "install", "-q", "--python", str(py), spec],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            err = proc.stderr.lower()
            if any(s in err for s in ("connect", "network", "dns", "resolve", "timed out")):
                pytest.skip(f"package registry unreachable, cannot install {spec}: {proc.stderr}")
            raise RuntimeError(proc.stderr)
        ready.write_text(spec + "\n")
    return py


def query_with_duckdb1(
    db: Path, sql: str, spec: str = "duckdb<2"
) -> tuple[str, list[list[object]]]:
    code = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "rows = con.sql(sys.argv[2]).fetchall()\n"
        "print(json.dumps([duckdb.__version__, rows], default=str))\n"
    )
    out = subprocess.run(
        [str(duckdb1_python(spec)), "-c", code, str(db), sql],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    version, rows = json.loads(out)
    return version, rows


@pytest.mark.parametrize("client", DUCKDB1_CLIENTS)
def test_duckdb1_client_opens_the_copy(any_home: Home, client: str) -> None:
    home = any_home
    res = publish_snapshot(home, build_time=T0, docs=False)
    version, rows = query_with_duckdb1(
        res.path / DB_FILE, "SELECT count(*) FROM marts.v_national WHERE value >= 5", client
    )
    assert version.startswith("1."), version
    assert rows == [[50]]


def test_real_definitions_publish_after_every_asset() -> None:
    """Every asset of the code location is upstream of published_snapshot, so a failure anywhere
    skips publishing (guards against a new asset module that the snapshot would not wait for)."""
    from pipelines.assets.publish import ASSET_NAME, GROUP
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey(ASSET_NAME))
    assert node.group_name == GROUP
    ancestors: set[AssetKey] = set()
    todo = [node.key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in ancestors:
                ancestors.add(parent)
                todo.append(parent)
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert materializable - {node.key} <= ancestors
    assert not node.child_keys  # nothing runs after it
