"""A warehouse built before the marts' rename (pipelines/warehouse_migrations.py).

On a small hand-made warehouse file: the incremental findings history is renamed with its rows,
every other old-named relation in `marts` is dropped (table or view), nothing else is touched,
and a second run changes nothing. The dbt step runs the migration before dbt starts. The real
dbt build on a migrated warehouse is in tests/test_warehouse.py.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.warehouse_migrations import DROPPED, RENAMED, migrate_marts


def _tables(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name, table_type from information_schema.tables"
        ).fetchall()
    return dict(rows)


def _old_warehouse(db: Path) -> None:
    """`marts` as a build before the rename left it, plus relations that must stay."""
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute("create schema dq")
        con.execute(
            "create table marts.dq_finding_history as select * from (values "
            "('f1', 'open', timestamp '2024-10-02 10:00:00'), "
            "('f2', 'corrected', timestamp '2024-10-02 10:00:00')) t(finding_id, state, first_at)"
        )
        con.execute("comment on table marts.dq_finding_history is 'history'")
        for old in DROPPED:
            con.execute(f"create table marts.{old} as select 1 as x")
        # A view under an old name (a hand-made one, or an older materialisation) goes too.
        con.execute("drop table marts.dq_pack_findings")
        con.execute("create view marts.dq_pack_findings as select 1 as x")
        # Not marts: the data-quality step's table and an unrelated mart stay as they are.
        con.execute("create table dq.findings as select 1 as x")
        con.execute("create table marts.dim_region as select 1 as x")


def test_old_names_are_dropped_and_the_history_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    _old_warehouse(db)

    with duckdb.connect(str(db)) as con:
        done = migrate_marts(con)
    assert "marts.dq_finding_history renamed to marts.fct_dq_finding_history" in done
    assert len(done) == 1 + len(DROPPED), done

    tables = _tables(db)
    assert not {f"marts.{old}" for old in [*DROPPED, *RENAMED]} & set(tables), tables
    assert "marts.fct_dq_finding_history" in tables
    assert {"dq.findings", "marts.dim_region"} <= set(tables)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select finding_id, state from marts.fct_dq_finding_history order by 1"
        ).fetchall()
        comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'fct_dq_finding_history'"
        ).fetchone()
    assert rows == [("f1", "open"), ("f2", "corrected")]
    assert comment == ("history",)

    # Idempotent: a migrated (or new) warehouse is left as it is.
    with duckdb.connect(str(db)) as con:
        assert migrate_marts(con) == []
    assert _tables(db) == tables


def test_a_new_or_empty_warehouse_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        assert migrate_marts(con) == []  # no schema marts yet: the first build
        con.execute("create schema marts")
        con.execute("create table marts.fct_dq_finding_history as select 'f1' as finding_id")
        assert migrate_marts(con) == []
    assert _tables(db) == {"marts.fct_dq_finding_history": "BASE TABLE"}


def test_two_histories_are_never_merged_or_dropped(tmp_path: Path) -> None:
    """Both names exist only after dbt ran by hand on the new code: the old rows stay."""
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dq_finding_history as select 'old' as finding_id")
        con.execute("create table marts.fct_dq_finding_history as select 'new' as finding_id")
        done = migrate_marts(con)
        assert done == [
            "marts.dq_finding_history kept: marts.fct_dq_finding_history exists too (merge by hand)"
        ]
        assert con.execute("from marts.dq_finding_history").fetchall() == [("old",)]
        assert con.execute("from marts.fct_dq_finding_history").fetchall() == [("new",)]


def test_the_dbt_step_migrates_before_dbt_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.assets import warehouse

    db = tmp_path / "warehouse.duckdb"
    _old_warehouse(db)
    seen: dict[str, Any] = {}

    def fake_dbt(project_dir: Path, target: Path, args: list[str]) -> Any:
        # What dbt would find when it starts (and caches the schema's relations).
        seen["tables"] = _tables(db)
        return iter(())

    context = SimpleNamespace(
        op_execution_context=SimpleNamespace(op=SimpleNamespace(name="dbt_marts")),
        run=SimpleNamespace(run_id="0123456789abcdef"),
        log=SimpleNamespace(info=lambda msg: seen.setdefault("log", []).append(msg)),
    )
    monkeypatch.setattr(warehouse, "write_dbt_registry", lambda _: None)
    monkeypatch.setattr(warehouse, "_selection", lambda *_: [])
    monkeypatch.setattr(warehouse.dbt_runner, "stream", fake_dbt)
    resource = DuckDBResource(database=str(db))
    steps = ("tag:marts", "")
    list(warehouse._build(context, resource, steps, "512MB"))  # type: ignore[arg-type]

    assert "marts.fct_dq_finding_history" in seen["tables"]
    assert not {f"marts.{old}" for old in [*DROPPED, *RENAMED]} & set(seen["tables"])
    assert any("renamed to marts.fct_dq_finding_history" in m for m in seen["log"])
