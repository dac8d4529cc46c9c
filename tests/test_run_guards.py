"""What a killed run leaves is cleared at the next start: runs still STARTED in Dagster's
storage (the daemon's one-run queue would wait for them forever) and temporary folders."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.test_utils import create_run_for_test

from pipelines.cli.run import _tool_errors
from pipelines.leftovers import remove_leftovers, temp_prefix
from pipelines.orphaned_runs import HOST_TAG, PID_TAG, PROCESS_START_TAG, owner_tags
from pipelines.orphaned_runs import mark_orphaned_runs_failed as mark
from pipelines.settings import Home


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_runs_of_a_dead_process_are_marked_failed_live_ones_kept(tmp_path: Path) -> None:
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        mine = owner_tags()
        dead = {**mine, PID_TAG: str(_dead_pid()), PROCESS_START_TAG: "1"}
        reused = {**mine, PROCESS_START_TAG: "1"}  # our pid, but another process's start time
        elsewhere = {**dead, HOST_TAG: "another-host"}
        runs = {
            name: create_run_for_test(instance, status=DagsterRunStatus.STARTED, tags=tags)
            for name, tags in {
                "alive": mine,
                "dead": dead,
                "reused": reused,
                "elsewhere": elsewhere,
                "daemon": {},
            }.items()
        }
        marked = set(mark(instance))
        assert marked == {runs["dead"].run_id, runs["reused"].run_id}
        status = {n: instance.get_run_by_id(r.run_id).status for n, r in runs.items()}
        assert status["dead"] == status["reused"] == DagsterRunStatus.FAILURE
        assert (
            status["alive"] == status["elsewhere"] == status["daemon"] == DagsterRunStatus.STARTED
        )
        assert mark(instance) == []


def test_temporary_folders_of_dead_processes_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    home = Home(tmp_path / "home").ensure()
    dead = _dead_pid()
    leftovers = [
        tmp_path / "tmp" / f"edustat-dq-{dead}-abc123",
        home.published / f".staging-20240601T101500Z-{dead}",
        home.root / "yearbook" / "2024-2025" / f".staging-r2-{dead}",
    ]
    in_use = [
        tmp_path / "tmp" / f"{temp_prefix('dq')}xyz",
        home.published / f".staging-20240601T101500Z-{os.getppid()}",
        tmp_path / "tmp" / "edustat-docs-newname",  # no pid, recent: may be in use
    ]
    for p in leftovers + in_use:
        p.mkdir(parents=True)
    assert sorted(remove_leftovers(home)) == sorted(leftovers)
    assert all(p.exists() for p in in_use) and not any(p.exists() for p in leftovers)


def test_dbt_summary_without_errors_is_not_an_error(tmp_path: Path) -> None:
    log = tmp_path / "dbt.log"
    log.write_text(
        "10:00:01  Done. PASS=12 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=12\n"
        "10:00:02  Failure in model fct_x (models/marts/fct_x.sql)\n"
        "10:00:03  Done. PASS=11 WARN=0 ERROR=1 SKIP=0 TOTAL=12\n",
        encoding="utf-8",
    )
    assert _tool_errors(log) == [
        "10:00:02  Failure in model fct_x (models/marts/fct_x.sql)",
        "10:00:03  Done. PASS=11 WARN=0 ERROR=1 SKIP=0 TOTAL=12",
    ]


def test_landing_sensor_marks_runs_of_dead_processes_failed(tmp_path: Path) -> None:
    from dagster import build_sensor_context

    from pipelines.assets.resources import HomeResource
    from pipelines.assets.sensors import landing_sensor

    (tmp_path / "landing").mkdir()
    (tmp_path / "dagster").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        tags = {**owner_tags(), PID_TAG: str(_dead_pid()), PROCESS_START_TAG: "1"}
        run = create_run_for_test(instance, status=DagsterRunStatus.STARTED, tags=tags)
        context = build_sensor_context(
            instance=instance, resources={"home": HomeResource(root=str(tmp_path))}
        )
        landing_sensor(context)
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
