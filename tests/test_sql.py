"""`edustat sql` on a stand-in snapshot: formats, errors, the prompt, and reads during a write lock.

Runs the real CLI in a subprocess: exit codes, stderr and "no traceback" are what a user sees.
The same lock property against the real pipeline is in test_sql_pipeline.py.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.publish.snapshot import publish_snapshot
from pipelines.settings import Home

EDUSTAT = [sys.executable, "-m", "pipelines.cli.main"]
T0 = datetime(2024, 6, 1, 10, 15, 0, tzinfo=UTC)


def make_warehouse(home: Home, rows: int) -> None:
    home.ensure()
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(
            "CREATE OR REPLACE TABLE marts.fct_indicator_values AS SELECT 'dual_training_share' AS "
            "indicator_id, 'r' || (i % 3) AS region_code, i / 4 AS value, "
            "CASE WHEN i % 2 = 0 THEN NULL ELSE DATE '2024-01-01' + i::INT END AS d "
            f"FROM range({rows}) t(i)"
        )


def published_home(root: Path) -> Home:
    """A home at `root` whose 10-row warehouse is published at T0 (no dbt docs)."""
    h = Home(root)
    make_warehouse(h, rows=10)
    publish_snapshot(h, build_time=T0, docs=False)
    return h


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return published_home(tmp_path / "home")


def edustat(
    home: Home, *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDUSTAT_HOME": str(home.root), "COLUMNS": "200"}
    return subprocess.run(
        [*EDUSTAT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_formats(home: Home) -> None:
    q = (
        "SELECT region_code, count(*) AS n, max(d) AS last FROM marts.fct_indicator_values"
        " GROUP BY 1"
    )
    table = edustat(home, "sql", q + " ORDER BY 1")
    assert table.returncode == 0, table.stderr
    assert "region_code" in table.stdout and "3 rows" in table.stdout

    out = edustat(home, "sql", q + " ORDER BY 1", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert list(csv.reader(io.StringIO(out.stdout))) == [
        ["region_code", "n", "last"],
        ["r0", "4", "2024-01-10"],
        ["r1", "3", "2024-01-08"],
        ["r2", "3", "2024-01-06"],
    ]

    out = edustat(home, "sql", q + " ORDER BY 1 LIMIT 1", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"region_code": "r0", "n": 4, "last": "2024-01-10"}]


def test_table_output_is_capped(home: Home) -> None:
    out = edustat(home, "sql", "SELECT * FROM range(50)", "--max-rows", "5")
    assert out.returncode == 0, out.stderr
    assert "5 rows shown, more exist" in out.stdout


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * FROM marts.fct_indicator_value", 'Did you mean "fct_indicator_values"'),
        ("SELEC 1", "syntax error"),
        ("CREATE TABLE marts.x (i INT)", "read-only"),
        ("DELETE FROM marts.fct_indicator_values", "read-only"),
    ],
)
def test_errors_are_one_line(home: Home, query: str, expected: str) -> None:
    out = edustat(home, "sql", query)
    assert out.returncode == 1
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), out.stderr
    assert expected in lines[0]
    assert "Traceback" not in out.stderr


def test_nothing_published(tmp_path: Path) -> None:
    out = edustat(Home(tmp_path / "empty"), "sql", "SELECT 1")
    assert out.returncode == 2
    assert "Әлі ештеңе жарияланбаған" in out.stderr
    assert "Ещё ничего не опубликовано" in out.stderr
    assert "edustat run" in out.stderr
    assert "Traceback" not in out.stderr


def test_older_snapshot_by_name(home: Home) -> None:
    make_warehouse(home, rows=3)
    publish_snapshot(home, build_time=T0 + timedelta(hours=1), docs=False)
    q = "SELECT count(*) FROM marts.fct_indicator_values"
    assert edustat(home, "sql", q, "-f", "csv").stdout.splitlines()[1] == "3"
    old = edustat(home, "sql", q, "-f", "csv", "--snapshot", "20240601T101500Z")
    assert old.stdout.splitlines()[1] == "10"
    bad = edustat(home, "sql", q, "--snapshot", "nope")
    assert bad.returncode == 2 and "available: 20240601T101500Z" in bad.stderr


def test_prompt_from_a_pipe(home: Home) -> None:
    script = (
        "SELECT count(*) AS n\n  FROM marts.fct_indicator_values;\n"
        "SELEC 1;\n"  # an error does not end the session
        ".format csv\n"
        "SELECT 40 + 2 AS answer;\n"
        ".quit\n"
        "SELECT 'not reached';\n"
    )
    out = edustat(home, "sql", stdin=script)
    assert out.returncode == 0, out.stderr
    assert "10" in out.stdout and "answer\n42\n" in out.stdout
    assert "not reached" not in out.stdout
    assert "syntax error" in out.stderr and "Traceback" not in out.stderr


def test_interactive_prompt_with_history(home: Home) -> None:
    """A real terminal: readline is on, Ctrl-D leaves, history is saved for the next session."""
    history = home.root / "hist"
    env = {**os.environ, "EDUSTAT_HOME": str(home.root), "EDUSTAT_SQL_HISTORY": str(history)}
    pid, fd = pty.fork()
    if pid == 0:  # child: becomes `edustat sql` on the pty
        os.execvpe(EDUSTAT[0], [*EDUSTAT, "sql"], env)
    seen = b""

    def read_until(token: bytes, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (not token or token not in seen):
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
        assert token in seen, seen.decode(errors="replace")

    try:
        read_until(b"sql> ")
        os.write(fd, b"SELECT 6 * 7 AS answer;\n")
        read_until(b"42")
        seen = seen[seen.index(b"42") :]
        # Wait for the next prompt: readline is reading again, so Ctrl-D is its end of input.
        read_until(b"sql> ")
        os.write(fd, b"\x04")
        deadline = time.monotonic() + 30
        while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
            read_until(b"", timeout=0.2)  # keep draining the pty so the child never blocks
        assert done[0] == pid, "Ctrl-D did not end the prompt"
    finally:
        with contextlib.suppress(ChildProcessError):  # already reaped on the normal path
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(done[1]) == 0
    assert "SELECT 6 * 7 AS answer;" in history.read_text()


# ---- reading while another process holds the warehouse's writer lock ---------------------------

HOLD_LOCK = """
import signal, sys, duckdb
signal.alarm(int(sys.argv[2]))             # never outlive a broken test
con = duckdb.connect(sys.argv[1])          # read-write: takes the file's exclusive lock
con.execute("BEGIN TRANSACTION")
con.execute("CREATE TABLE main.lock_probe AS SELECT 1 AS x")  # rolled back below
print("locked", flush=True)
sys.stdin.readline()                       # hold the lock until the test says so
con.execute("ROLLBACK")
con.close()
print("released", flush=True)
"""


def hold_writer_lock(warehouse: Path, max_seconds: int = 300) -> subprocess.Popen[str]:
    """A process holding the warehouse's writer lock inside an open transaction, until
    `release(proc)`."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse), str(max_seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def release(proc: subprocess.Popen[str]) -> bool:
    """Let the writer go; True when it still held the lock up to now."""
    held = proc.poll() is None
    if held:
        out, _ = proc.communicate("\n", timeout=60)
        held = "released" in out
    proc.kill()
    proc.wait()
    return held


def assert_warehouse_locked(warehouse: Path) -> None:
    """The setup is meaningful: opening the live warehouse, even read-only, fails right now."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import duckdb; duckdb.connect({str(warehouse)!r}, read_only=True)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode != 0 and "lock" in probe.stderr.lower(), probe.stderr


def test_queries_while_the_warehouse_is_locked(home: Home) -> None:
    writer = hold_writer_lock(home.warehouse)
    try:
        assert_warehouse_locked(home.warehouse)
        for _ in range(4):
            out = edustat(
                home, "sql", "SELECT count(*) FROM marts.fct_indicator_values", "-f", "csv"
            )
            assert out.returncode == 0, out.stderr
            assert out.stdout.splitlines() == ["count_star()", "10"]
            assert "lock" not in out.stderr.lower()
    finally:
        held = release(writer)
    assert held, "the writer let go before the queries finished"


def test_prompt_follows_a_newer_build_and_survives_rotation(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prompt left open across builds: the next query runs on the new `current`, and the
    folder it had open may be rotated away meanwhile without breaking anything."""
    from rich.console import Console

    from pipelines.cli.sql import OutputFormat, Repl

    monkeypatch.setenv("EDUSTAT_KEEP_SNAPSHOTS", "1")
    lines = iter(
        [
            "SELECT count(*) AS n FROM marts.fct_indicator_values;",
            "__publish__",
            "SELECT count(*) AS n FROM marts.fct_indicator_values;",
        ]
    )

    def read(_prompt: str) -> str:
        line = next(lines, None)
        if line is None:
            raise EOFError
        if line == "__publish__":  # a build finishes while the prompt is open
            make_warehouse(home, rows=3)
            publish_snapshot(home, build_time=T0 + timedelta(hours=1), docs=False)
            return ""
        return line

    out, err = io.StringIO(), io.StringIO()
    repl = Repl(
        home,
        None,
        OutputFormat.csv,
        100,
        Console(file=out),
        Console(file=err),
        read=read,
    )
    repl.loop()
    assert out.getvalue().split() == ["n", "10", "n", "3"]
    assert "now on snapshot 20240601T111500Z" in err.getvalue()
    assert not (home.published / "20240601T101500Z").exists()  # rotated away
