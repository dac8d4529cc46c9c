"""`edustat sql` streams: memory does not grow with the rows; the file formats analysts open.

Peak RSS is the child's own (os.wait4), so the test process's memory never counts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from test_sql import EDUSTAT, T0, published_home

from pipelines.publish.snapshot import publish_snapshot
from pipelines.settings import Home

MANY = 5_000_000


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return published_home(tmp_path / "home")


def measured(home: Home, args: list[str], stdout: Path) -> tuple[int, float, float]:
    """(exit code, peak RSS in MB, seconds) of `edustat sql ARGS` with stdout to a file."""
    env = {**os.environ, "EDUSTAT_HOME": str(home.root)}
    started = time.perf_counter()
    with open(stdout, "wb") as fh:
        proc = subprocess.Popen([*EDUSTAT, "sql", *args], stdout=fh, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, time.perf_counter() - started


def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
    return n


def test_csv_of_millions_of_rows_takes_the_memory_of_a_hundred(home: Home, tmp_path: Path) -> None:
    small_out, big_out = tmp_path / "small.csv", tmp_path / "big.csv"
    code, small_mb, _ = measured(home, ["-f", "csv", "SELECT * FROM range(100)"], small_out)
    assert code == 0
    code, big_mb, seconds = measured(home, ["-f", "csv", f"SELECT * FROM range({MANY})"], big_out)
    assert code == 0
    assert count_lines(big_out) == MANY + 1  # header + every row
    print(f"peak RSS: 100 rows {small_mb:.0f} MB, {MANY:,} rows {big_mb:.0f} MB in {seconds:.1f} s")
    assert big_mb <= 1.2 * small_mb, (small_mb, big_mb)


def test_parquet_and_json_lines_hold_every_row(home: Home, tmp_path: Path) -> None:
    query = "SELECT i, i::VARCHAR || 'қ' AS s, i / 4 AS share FROM range(200000) t(i)"
    parquet = tmp_path / "out.parquet"
    code, _, _ = measured(home, ["-f", "parquet", "-o", str(parquet), query], tmp_path / "o")
    assert code == 0
    with duckdb.connect() as con:
        got = con.sql(f"SELECT count(*), max(i), count(DISTINCT s) FROM '{parquet}'").fetchall()
        assert got == [(200000, 199999, 200000)]
    jsonl = tmp_path / "out.jsonl"
    code, _, _ = measured(home, ["-f", "jsonl", query + " LIMIT 3"], jsonl)
    assert code == 0
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert rows == [
        {"i": 0, "s": "0қ", "share": 0.0},
        {"i": 1, "s": "1қ", "share": 0.25},
        {"i": 2, "s": "2қ", "share": 0.5},
    ]


def test_csv_quotes_only_what_needs_quotes(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    code, _, _ = measured(home, ["-f", "csv", "SELECT 'a' AS x, 'b,c' AS y, 1 AS n"], path)
    assert code == 0
    assert list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")))) == [
        ["x", "y", "n"],
        ["a", "b,c", "1"],
    ]
    code, _, _ = measured(home, ["-f", "csv", "SELECT 'a' AS x, 1 AS n"], path)
    assert path.read_text(encoding="utf-8") == "x,n\na,1\n"


def test_parquet_needs_a_file(home: Home, tmp_path: Path) -> None:
    env = {**os.environ, "EDUSTAT_HOME": str(home.root)}
    out = subprocess.run(
        [*EDUSTAT, "sql", "-f", "parquet", "SELECT 1"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 1 and "--output" in out.stderr and "Traceback" not in out.stderr


def test_excel_csv_keeps_cyrillic_and_decimal_commas(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    code, _, _ = measured(
        home, ["--excel", "SELECT 'Ақмола облысы' AS name_kk, 0.25::DOUBLE AS share"], path
    )
    assert code == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not cp1251
    assert data[3:].decode("utf-8").splitlines() == ["name_kk;share", "Ақмола облысы;0,25"]
    assert b"\r\n" in data


def test_wide_rows_turn_vertical_and_the_prompt_changes_mode_and_rows(home: Home) -> None:
    wide = "SELECT " + ", ".join(f"'{'x' * 30}' AS column_{i}" for i in range(8))
    env = {**os.environ, "EDUSTAT_HOME": str(home.root), "COLUMNS": "100"}
    out = subprocess.run([*EDUSTAT, "sql", wide], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "-[ 1 ]" in out.stdout and "column_7 │ " + "x" * 30 in out.stdout
    script = ".maxrows 2\nSELECT * FROM range(10);\n.mode csv\nSELECT 42 AS answer;\n"
    out = subprocess.run(
        [*EDUSTAT, "sql"], input=script, capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "2 rows shown, more exist" in out.stdout
    assert "answer\n42\n" in out.stdout


def test_tables_lists_the_marts_first_and_internal_on_request(home: Home) -> None:
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("CREATE TABLE raw.landing_files AS SELECT 1 AS x")
        con.execute("COMMENT ON COLUMN marts.fct_indicator_values.value IS 'The value, a share'")
    publish_snapshot(home, build_time=T0.replace(hour=11), docs=False)
    env = {**os.environ, "EDUSTAT_HOME": str(home.root), "COLUMNS": "200"}

    def prompt(script: str) -> str:
        out = subprocess.run(
            [*EDUSTAT, "sql"], input=script, capture_output=True, text=True, env=env, check=False
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    listed = prompt(".tables\n")
    assert "fct_indicator_values" in listed and "landing_files" not in listed
    assert ".tables all" in listed
    everything = prompt(".tables all\n")
    assert everything.index("fct_indicator_values") < everything.index("landing_files")
    described = prompt("DESCRIBE marts.fct_indicator_values;\n")
    assert "The value, a share" in described
