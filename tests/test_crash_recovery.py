"""A kill -9 in the middle of `edustat run`, inside an ingest transaction, then the next run.

The first run is the real CLI with the ingest writer paused inside an open transaction once 7
batches are committed (tests/harness/pause_in_transaction.py), and killed there with -9. Then:
- the warehouse holds the committed files whole and nothing of the one being written
  (pipelines/ingest/writer.py: a file and its registry row are one transaction);
- Dagster still has the killed run STARTED (docs/STACK.md trap 14: it only learns that a run
  ended from the run itself, and the daemon's one-run queue would wait for it forever);
- the next `edustat run` marks it failed (pipelines/orphaned_runs.py), leaves no temporary
  folder of the dead process, completes, and its raw layer equals that of a clean run (the
  session's `pipeline_home`, whose landing files this home starts from).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb
import pytest
from conftest import edustat, raw_snapshot
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from harness import command
from harness import env as harness_env

from pipelines.contracts import load_contract

_IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
_BATCHES = 7


def _runs(home: Path, statuses: list[DagsterRunStatus]) -> list[str]:
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        records = instance.get_run_records(RunsFilter(statuses=statuses))
    return [r.dagster_run.run_id for r in records]


def test_kill_9_mid_transaction_then_the_next_run_recovers(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("crash") / "home"
    home.mkdir()
    shutil.copytree(pipeline_home / "landing", home / "landing")
    marker = home.parent / "paused"
    env = {**os.environ, "EDUSTAT_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    first = subprocess.Popen(
        command("pause_in_transaction", str(_BATCHES), str(marker), "run", "--quiet"),
        env=harness_env(env), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 900
        while not marker.exists():
            if first.poll() is not None:
                pytest.fail(f"edustat run ended before the pause point:\n{first.stderr.read()}")
            assert time.monotonic() < deadline, "pause point not reached"
            time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):  # ended already: the failure above says why
            os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=60)
        first.stderr.close()
    assert marker.read_text() == str(first.pid)  # the CLI's own process was paused and killed

    # The committed batches' files are in, the batch being written (its first sheet table
    # inserted) left nothing behind.
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        committed = con.execute("SELECT count(*) FROM raw.landing_files").fetchall()[0][0]
        orphans = {
            t.raw_table: con.execute(
                f"SELECT count(*) FROM raw.{t.raw_table} "
                "WHERE _file_id NOT IN (SELECT file_id FROM raw.landing_files)"
            ).fetchall()[0][0]
            for c in ("nobd_submission", "college_passport", "worldskills_export")
            for t in load_contract(c).sheets
        }
    assert committed >= _BATCHES
    assert set(orphans.values()) == {0}, orphans
    [killed] = _runs(home, _IN_PROGRESS)  # what the trap is: STARTED after the process is gone

    started = time.perf_counter()
    second = edustat("run", home=home, timeout=1800, via="warehouse_only")
    print(f"\nrun after kill -9: {time.perf_counter() - started:.1f} s")
    assert "of a killed process marked failed" in second.stdout
    assert _runs(home, _IN_PROGRESS) == []
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        assert instance.get_run_by_id(killed).status == DagsterRunStatus.FAILURE
    assert not list(Path(tempfile.gettempdir()).glob(f"edustat-*-{first.pid}-*"))
    assert raw_snapshot(home) == raw_snapshot(pipeline_home)
