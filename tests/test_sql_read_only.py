"""`edustat sql` is read-only by construction: every statement class that could reach a file
outside the snapshot, or change anything, is refused, and the files stay as they were.

A stand-in home (warehouse, published snapshot, pseudonym key, a landing file holding an IIN);
statements run through the same connection and error mapping as the CLI, plus one CLI run for
the message a person sees and the `-o FILE` export.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.cli.sql import SqlError, connect, resolve_snapshot, run_query
from pipelines.publish.reader import REFUSED_FILE_ACCESS, REFUSED_SETTING, REFUSED_WRITE
from pipelines.publish.snapshot import publish_snapshot
from pipelines.settings import Home

RAW_IIN = "900101300017"  # valid check digit; must never be readable through a query


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    # A key of its own: the session's shared key (tests/conftest.py) must stay what it is.
    key = tmp_path.with_name(f"{tmp_path.name}.pseudonym.key")  # outside what the tests list
    monkeypatch.setenv("EDUSTAT_PSEUDONYM_KEY_FILE", str(key))
    h = Home(tmp_path / "home").ensure()
    with duckdb.connect(str(h.warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.t AS SELECT range AS i FROM range(5)")
        con.execute("CREATE VIEW marts.v AS SELECT i * 2 AS j FROM marts.t")
    publish_snapshot(h, build_time=datetime(2024, 6, 1, tzinfo=UTC), docs=False)
    h.pseudonym_key_file.write_text("secret-key\n")
    h.pseudonym_key_file.chmod(0o600)
    landing = h.landing / "nobd" / "2024-autumn"
    landing.mkdir(parents=True)
    (landing / "students.csv").write_text(f"iin,sex\n{RAW_IIN},M\n", encoding="utf-8")
    return h


def _state(home: Home) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file the sessions must not touch."""
    files = [home.warehouse, home.pseudonym_key_file, *home.landing.rglob("*.csv")]
    files += [p for p in home.published.rglob("*") if p.is_file()]
    return {
        str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in files
    }


def _statements(home: Home, tmp: Path) -> dict[str, tuple[str, str]]:
    """class -> (statement, expected refusal)."""
    key, wh = home.pseudonym_key_file, home.warehouse
    csv_file = next(home.landing.rglob("*.csv"))
    parquet = next(home.published.rglob("*.parquet"), tmp / "x.parquet")
    out = tmp / "out"
    return {
        "attach warehouse": (f"ATTACH '{wh}' AS w", REFUSED_FILE_ACCESS),
        "attach read-only": (f"ATTACH '{wh}' AS w (READ_ONLY)", REFUSED_FILE_ACCESS),
        "attach new file": (f"ATTACH '{tmp / 'new.duckdb'}' AS n", REFUSED_FILE_ACCESS),
        "attach memory": ("ATTACH ':memory:' AS m", REFUSED_WRITE),
        "copy to": (f"COPY (SELECT 1) TO '{out}.csv'", REFUSED_FILE_ACCESS),
        "copy table to": (f"COPY marts.t TO '{out}.parquet' (FORMAT parquet)", REFUSED_FILE_ACCESS),
        "copy from": (f"CREATE TEMP TABLE c(a VARCHAR); COPY c FROM '{key}'", REFUSED_FILE_ACCESS),
        "export database": (f"EXPORT DATABASE '{out}'", REFUSED_FILE_ACCESS),
        "import database": (f"IMPORT DATABASE '{home.published}'", REFUSED_FILE_ACCESS),
        "install": ("INSTALL httpfs", REFUSED_FILE_ACCESS),
        "load": ("LOAD httpfs", REFUSED_FILE_ACCESS),
        "read_text key": (f"SELECT * FROM read_text('{key}')", REFUSED_FILE_ACCESS),
        "read_blob key": (f"SELECT * FROM read_blob('{key}')", REFUSED_FILE_ACCESS),
        "read_csv landing": (f"SELECT * FROM read_csv('{csv_file}')", REFUSED_FILE_ACCESS),
        "read_csv_auto": (f"SELECT * FROM read_csv_auto('{csv_file}')", REFUSED_FILE_ACCESS),
        "replacement scan": (f"SELECT * FROM '{csv_file}'", REFUSED_FILE_ACCESS),
        "read_json": (f"SELECT * FROM read_json('{csv_file}')", REFUSED_FILE_ACCESS),
        "read_parquet": (f"SELECT * FROM read_parquet('{parquet}')", REFUSED_FILE_ACCESS),
        "sniff_csv": (f"SELECT * FROM sniff_csv('{csv_file}')", REFUSED_FILE_ACCESS),
        "glob": (f"SELECT * FROM glob('{home.root}/*')", REFUSED_FILE_ACCESS),
        "re-enable access": ("SET enable_external_access = true", REFUSED_SETTING),
        "reset access": ("RESET enable_external_access", REFUSED_SETTING),
        "temp directory": (f"SET temp_directory = '{tmp}'", REFUSED_SETTING),
        "unlock": ("SET lock_configuration = false", REFUSED_SETTING),
        "create table": ("CREATE TABLE marts.x AS SELECT 1", REFUSED_WRITE),
        "insert": ("INSERT INTO marts.t VALUES (9)", REFUSED_WRITE),
        "update": ("UPDATE marts.t SET i = 0", REFUSED_WRITE),
        "delete": ("DELETE FROM marts.t", REFUSED_WRITE),
        "drop": ("DROP VIEW marts.v", REFUSED_WRITE),
        "alter": ("ALTER TABLE marts.t ADD COLUMN z INT", REFUSED_WRITE),
        "create schema": ("CREATE SCHEMA s", REFUSED_WRITE),
    }


def test_every_statement_class_is_refused_and_nothing_changes(home: Home, tmp_path: Path) -> None:
    before = _state(home)
    con = connect(resolve_snapshot(home, None))
    try:
        # What a statistician needs still works: tables, views, temporary objects in memory.
        assert run_query(con, "SELECT sum(j) FROM marts.v", None)[1] == [(20,)]
        run_query(con, "CREATE TEMP TABLE mine AS SELECT * FROM marts.t WHERE i > 2", None)
        assert run_query(con, "SELECT count(*) FROM mine", None)[1] == [(2,)]
        wrong: dict[str, str] = {}
        for name, (statement, refusal) in _statements(home, tmp_path).items():
            try:
                result = run_query(con, statement, None)
            except SqlError as exc:
                if str(exc) != refusal:
                    wrong[name] = str(exc)
            else:
                wrong[name] = f"not refused: {result}"
        assert not wrong, wrong
        # The session is still usable and still locked after all that.
        assert run_query(con, "SELECT current_setting('enable_external_access')", None)[1] == [
            (False,)
        ]
    finally:
        con.close()
    assert _state(home) == before
    assert not list(tmp_path.glob("out*")) and not (tmp_path / "new.duckdb").exists()


def test_cli_refusal_message_and_export_to_file(home: Home, tmp_path: Path) -> None:
    env = {**os.environ, "EDUSTAT_HOME": str(home.root)}
    cli = [sys.executable, "-m", "pipelines.cli.main", "sql"]
    refused = subprocess.run(
        [*cli, f"SELECT * FROM read_text('{home.pseudonym_key_file}')"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "secret-key" not in refused.stdout + refused.stderr
    assert "Доступ к файлам закрыт" in refused.stderr and "-o FILE" in refused.stderr
    assert "Traceback" not in refused.stderr

    target = tmp_path / "result.csv"
    done = subprocess.run(
        [*cli, "SELECT i FROM marts.t ORDER BY i", "-f", "csv", "-o", str(target)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8") == "i\n0\n1\n2\n3\n4\n"
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "result.csv"]
