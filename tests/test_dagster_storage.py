"""The Dagster instance `edustat run` prepares: Dagster's SQLite layout, with the event log's
engines kept open (pipelines/dagster_storage.py)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._core.events.log import EventLogEntry

from pipelines import dagster_storage
from pipelines.cli.run import prepare_dagster_home
from pipelines.dagster_storage import PooledSqliteEventLogStorage, PooledSqliteStorage
from pipelines.settings import Home


def _entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message=message,
        run_id=run_id,
        timestamp=time.time(),
        step_key="step",
        job_name="job",
        dagster_event=None,
    )


def test_events_of_many_runs_are_stored_with_a_bounded_set_of_engines(tmp_path: Path) -> None:
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    runs = [f"run{i}" for i in range(dagster_storage.KEEP_ENGINES + 3)]
    for run_id in runs:
        for n in range(3):
            storage.store_event(_entry(run_id, f"{run_id}/{n}"))
    assert len(storage._engines) == dagster_storage.KEEP_ENGINES
    # an evicted run's database is opened again when it is read
    assert [e.user_message for e in storage.get_logs_for_run(runs[0])] == [
        f"{runs[0]}/{n}" for n in range(3)
    ]
    storage.wipe()  # deletes the run databases: their engines go first
    assert storage.get_logs_for_run(runs[-1]) == []
    assert set(storage._engines) <= {"index", runs[-1]}
    storage.dispose()


def test_event_log_commits_sync_at_checkpoints_in_wal_mode(tmp_path: Path) -> None:
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    storage.store_event(_entry("run0", "stored"))
    with storage._connect("run0") as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (mode, sync) == ("wal", 1)  # 1 = NORMAL (FULL, SQLite's default, is 2)
    assert [e.user_message for e in storage.get_logs_for_run("run0")] == ["stored"]
    storage.dispose()


def test_prepared_home_uses_the_pooled_storage_in_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DAGSTER_HOME", "EDUSTAT_HOME"):  # set by prepare_dagster_home, restored after
        monkeypatch.setenv(name, str(tmp_path / "elsewhere"))
    home = Home(tmp_path / "home")
    prepare_dagster_home(home)
    with DagsterInstance.from_config(str(home.dagster_home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert instance.get_ref().storage_data.class_name == PooledSqliteStorage.__name__
    assert (home.dagster_home / "history" / "runs" / "index.db").is_file()

    # A copied home points at its own folder once prepared again, not at the original's.
    copy = Home(tmp_path / "copy")
    shutil.copytree(home.root, copy.root)
    prepare_dagster_home(copy)
    text = (copy.dagster_home / "dagster.yaml").read_text(encoding="utf-8")
    assert str(copy.dagster_home.resolve()) in text and str(home.dagster_home) not in text
