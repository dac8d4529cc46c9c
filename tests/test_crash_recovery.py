"""A kill -9 in the middle of `edustat run`, then the next run: nothing stalls.

Dagster only learns that a run ended from the run itself (STACK.md trap 14): the killed run stays
STARTED in the instance's storage, and the daemon's one-run queue would wait for it forever. The
next `edustat run` marks it failed (pipelines/orphaned_runs.py), removes its temporary folders
and completes. Starts from the landing files of the session's `pipeline_home`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

_IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "EDUSTAT_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return env


def _runs(home: Path, statuses: list[DagsterRunStatus] | None = None) -> list[object]:
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        return [r.dagster_run for r in instance.get_run_records(RunsFilter(statuses=statuses))]


def test_killed_run_does_not_stall_the_next(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("crash") / "home"
    home.mkdir()
    shutil.copytree(pipeline_home / "landing", home / "landing")
    exe = str(Path(sys.executable).with_name("edustat"))
    first = subprocess.Popen(
        [exe, "run", "--quiet"], env=_env(home), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # Kill it inside the long unpartitioned run (the ingest runs and the checks run come first).
    deadline = time.monotonic() + 600
    killed_run = None
    while time.monotonic() < deadline and first.poll() is None:
        time.sleep(1)
        if not (home / "dagster" / "dagster.yaml").exists():
            continue
        try:
            started = _runs(home, _IN_PROGRESS)
            done = _runs(home, [DagsterRunStatus.SUCCESS])
        except Exception:  # storage being created
            continue
        if started and len(done) >= 3:
            time.sleep(3)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            # The run in progress when the process died (the one seen 3 s earlier may have
            # finished meanwhile and the next one started).
            in_progress = _runs(home, _IN_PROGRESS)
            killed_run = in_progress[0] if in_progress else None
            break
    assert killed_run is not None, "the first run ended before it could be killed"
    still = [r.run_id for r in _runs(home, _IN_PROGRESS)]
    assert killed_run.run_id in still  # what the trap is: STARTED after the process is gone

    started = time.perf_counter()
    second = subprocess.run(
        [exe, "run"], env=_env(home), capture_output=True, text=True, timeout=1800, check=False
    )
    seconds = time.perf_counter() - started
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "of a killed process marked failed" in second.stdout
    print(f"\nrun after kill -9: {seconds:.1f} s")
    assert _runs(home, _IN_PROGRESS) == []
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        assert instance.get_run_by_id(killed_run.run_id).status == DagsterRunStatus.FAILURE
    assert not list(Path(tempfile.gettempdir()).glob(f"edustat-*-{first.pid}-*"))
