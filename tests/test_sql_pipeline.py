"""`edustat sql` on the real pipeline's snapshot while another process holds the warehouse (of a
copy of the session's home: the other worker reads the shared one)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from test_sql import assert_warehouse_locked, edustat, hold_writer_lock, release

from pipelines.publish.snapshot import CURRENT, DB_FILE
from pipelines.settings import Home

QUERY = (
    "SELECT indicator_id, count(*) AS n, round(sum(numerator), 3) AS num "
    "FROM marts.fct_indicator_values GROUP BY 1 ORDER BY 1"
)


def test_queries_while_a_writer_holds_the_warehouse(pipeline_home: Path, tmp_path: Path) -> None:
    # symlinks=True keeps `published/current` a (relative) symlink into the copy
    home = Home(shutil.copytree(pipeline_home, tmp_path / "home", symlinks=True))
    with duckdb.connect(str(home.published / CURRENT / DB_FILE), read_only=True) as con:
        expected = [",".join(str(v) for v in row) for row in con.sql(QUERY).fetchall()]
    assert expected, "the snapshot has no indicator values"

    writer = hold_writer_lock(home.warehouse)
    try:
        assert_warehouse_locked(home.warehouse)
        for _ in range(5):
            out = edustat(home, "sql", QUERY, "--format", "csv")
            assert out.returncode == 0, out.stderr
            assert "lock" not in out.stderr.lower()
            assert out.stdout.splitlines()[1:] == expected
    finally:
        held = release(writer)
    assert held, "the writer let go before the queries finished"
