"""The pseudonym key (pipelines/ingest/pseudonym_key.py) and the run's guards (run lock).

The refusals run the real CLI: each must stop `edustat run` before anything runs, with exit 2
(key) or 3 (another run) and one line on stderr.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.cli.home_check import mark_home
from pipelines.ingest.pseudonym_key import (
    KeyRefused,
    create_key,
    fingerprint,
    load_key,
    verify_or_record,
)
from pipelines.run_lock import hold
from pipelines.settings import Home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A home with the default key place (beside it), not the tests' shared key."""
    monkeypatch.delenv("EDUSTAT_PSEUDONYM_KEY_FILE", raising=False)
    monkeypatch.delenv("EDUSTAT_PSEUDONYM_KEY", raising=False)
    return Home(tmp_path / "home").ensure()


def _built_with(home: Home, key: bytes) -> None:
    """A warehouse that holds pseudonyms made with `key` (what a run leaves, in small)."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.landing_files AS SELECT 'f1' AS file_id")
        verify_or_record(con, key)


def _edustat_run(home: Home) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUSTAT_PSEUDONYM_KEY")}
    env["EDUSTAT_HOME"] = str(home.root)
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli.main", "run", "--quiet"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_key_is_created_beside_the_home_private_and_stable(home: Home) -> None:
    key = load_key(home)
    path = home.pseudonym_key_file
    assert path == home.root.parent / "home.pseudonym.key"
    assert home.root not in path.parents  # never inside what is copied or published
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(home) == key


def test_key_left_in_the_home_is_moved_out(home: Home) -> None:
    legacy = home.root / "pseudonym.key"
    fd = os.open(legacy, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"old-key\n")
    os.close(fd)
    assert load_key(home) == b"old-key"
    assert not legacy.exists() and home.pseudonym_key_file.read_text() == "old-key\n"


def test_key_from_environment_and_named_file(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDUSTAT_PSEUDONYM_KEY", "from-env")
    assert load_key(home) == b"from-env"
    monkeypatch.delenv("EDUSTAT_PSEUDONYM_KEY")
    named = tmp_path / "secrets" / "edustat.key"
    monkeypatch.setenv("EDUSTAT_PSEUDONYM_KEY_FILE", str(named))
    key = load_key(home)
    assert named.read_text().strip().encode() == key


def test_fingerprint_is_recorded_once_and_a_other_key_is_refused(home: Home) -> None:
    _built_with(home, b"k1")
    with duckdb.connect(str(home.warehouse)) as con:
        verify_or_record(con, b"k1")  # same key: fine, nothing added
        assert con.execute("SELECT fingerprint FROM raw.pseudonym_key").fetchall() == [
            (fingerprint(b"k1"),)
        ]
        with pytest.raises(KeyRefused, match="edustat rekey"):
            verify_or_record(con, b"k2")
    assert b"k1" not in home.warehouse.read_bytes()


def test_run_refuses_a_key_the_warehouse_was_not_built_with(home: Home) -> None:
    _built_with(home, b"the-original-key")
    create_key(home.pseudonym_key_file)
    result = _edustat_run(home)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert "Ключ не совпадает" in line and "edustat rekey" in line
    assert fingerprint(b"the-original-key") in line


def test_run_refuses_a_missing_key_when_the_warehouse_holds_pseudonyms(home: Home) -> None:
    _built_with(home, b"lost-key")
    result = _edustat_run(home)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert "Ключ не найден" in line and str(home.pseudonym_key_file) in line
    assert not home.pseudonym_key_file.exists()  # no new key made behind the operator's back


def test_run_refuses_a_key_file_others_may_read(home: Home) -> None:
    key = create_key(home.pseudonym_key_file)
    _built_with(home, key)
    home.pseudonym_key_file.chmod(0o644)
    result = _edustat_run(home)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert "0644" in line and "chmod 600" in line


def test_second_run_on_the_same_home_is_refused_while_one_runs(home: Home) -> None:
    mark_home(home.root, "test")  # a real home: the home check comes first
    with hold(home, "edustat run"):
        result = _edustat_run(home)
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.splitlines()
    assert "Another run is in progress" in line and f"pid {os.getpid()}" in line
    assert "since" in line
