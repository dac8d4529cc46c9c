"""Privacy on the real pipeline: `edustat rekey` gives every person one new pseudonym, and
refuses when it could not re-read every loaded file.

Both start from a copy of `pipeline_home`, warehouse included. IINs typed into every kind of place
are the chaos test's (tests/chaos/privacy.py, tests/test_chaos.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.ingest.pseudonym_key import fingerprint


def _edustat(
    home: Path, *args: str, key_file: Path | None = None
) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("edustat")
    env = {**os.environ, "EDUSTAT_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    if key_file is not None:
        env["EDUSTAT_PSEUDONYM_KEY_FILE"] = str(key_file)
    return subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=1800, check=False
    )


def _own_key(tmp: Path) -> Path:
    """A copy of the tests' shared key for a test that changes the key."""
    src = Path(os.environ["EDUSTAT_PSEUDONYM_KEY_FILE"])
    dst = tmp / "own.pseudonym.key"
    shutil.copy2(src, dst)
    dst.chmod(0o600)
    return dst


# --- re-keying --------------------------------------------------------------------------------


def _links(con: duckdb.DuckDBPyConnection) -> tuple[set[frozenset[Any]], dict[str, set[str]]]:
    """How rows are linked into persons (sets of rows sharing a pseudonym), and the rounds or
    years of each pseudonym."""
    rows = con.execute(
        "SELECT iin_hash, 'nobd', _file_path, _row_number, _partition FROM raw.nobd_students "
        "WHERE iin_hash IS NOT NULL UNION ALL "
        "SELECT competitor_iin_hash, 'cis', _file_path, _row_number, _partition "
        "FROM raw.worldskills_results WHERE competitor_iin_hash IS NOT NULL"
    ).fetchall()
    people: dict[str, set[tuple[str, str, int]]] = {}
    periods: dict[str, set[str]] = {}
    for pseudonym, source, path, row, partition in rows:
        people.setdefault(pseudonym, set()).add((source, path, row))
        periods.setdefault(pseudonym, set()).add(partition)
    return {frozenset(r) for r in people.values()}, periods


def _state(home: Path) -> tuple[set[frozenset[Any]], dict[str, set[str]], str, list[Any]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        persons, periods = _links(con)
        recorded = con.execute("SELECT fingerprint FROM raw.pseudonym_key").fetchall()[0][0]
        columns = [  # every column but build timestamps
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'marts' "
                "AND table_name = 'fct_indicator_values' AND data_type NOT LIKE 'TIMESTAMP%'"
            ).fetchall()
        ]
        indicators = con.execute(
            f"SELECT {', '.join(columns)} FROM marts.fct_indicator_values ORDER BY ALL"
        ).fetchall()
    return persons, periods, recorded, indicators


def test_rekey_keeps_every_person_linked_under_a_new_pseudonym(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("rekey")
    home = tmp / "home"
    shutil.copytree(pipeline_home, home, symlinks=True)
    key_file = _own_key(tmp)
    old_key = key_file.read_bytes().strip()
    persons, periods, recorded, indicators = _state(home)
    assert recorded == fingerprint(old_key)
    assert any(len(p) > 1 for p in periods.values())  # someone seen in two rounds or years

    result = _edustat(home, "rekey", "--quiet", key_file=key_file)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    new_key = key_file.read_bytes().strip()
    assert new_key != old_key and oct(key_file.stat().st_mode & 0o777) == "0o600"
    after_persons, after_periods, after_recorded, after_indicators = _state(home)
    assert after_recorded == fingerprint(new_key)
    assert after_persons == persons  # the same rows belong to the same person
    assert not set(after_periods) & set(periods)  # and no old pseudonym is left
    assert sorted(map(len, after_periods.values())) == sorted(map(len, periods.values()))
    assert after_indicators == indicators
    assert not list(home.parent.glob("*.before-rekey")) and not list(home.glob("*.before-rekey"))


def test_rekey_refuses_when_a_loaded_file_is_gone(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("rekey-refused")
    home = tmp / "home"
    shutil.copytree(pipeline_home, home, symlinks=True)
    key_file = _own_key(tmp)
    gone = sorted((home / "landing" / "nobd").rglob("*.xlsx"))[0]
    gone.unlink()
    before = hashlib.sha256((home / "warehouse.duckdb").read_bytes()).hexdigest()
    key = key_file.read_bytes()

    result = _edustat(home, "rekey", "--quiet", key_file=key_file)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert "no longer under" in line and gone.name in line
    assert hashlib.sha256((home / "warehouse.duckdb").read_bytes()).hexdigest() == before
    assert key_file.read_bytes() == key
