"""Runs left STARTED by a process that died (kill -9, power loss) are marked failed.

Dagster only learns that a run ended from the run itself (docs/STACK.md trap 14). An `edustat run`
executes in its own process, so when that process dies its runs stay STARTED in the instance's
storage, and the daemon's queue (max_concurrent_runs: 1) then waits for them forever. Each run
`edustat run` starts carries the pid, the start time of that process and the host; a run whose
process is gone is an orphan. `edustat run` clears orphans at start, and the landing sensor on
every tick, so the daemon is never stalled for longer than a sensor interval.

Runs the daemon launched itself have no such tags: Dagster's run monitoring (`run_monitoring:`
in dagster.yaml, pipelines/cli/run.py) times them out.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance

PID_TAG = "edustat/pid"
PROCESS_START_TAG = "edustat/process_start"
HOST_TAG = "edustat/host"


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat): with
    the pid it names one process, even after the pid is reused. None when there is no such
    process (or no /proc: then only liveness by signal 0 is known)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return stat.rsplit(")", 1)[-1].split()[19]


def owner_tags() -> dict[str, str]:
    """Tags naming this process, for every run it executes in-process."""
    pid = os.getpid()
    return {
        PID_TAG: str(pid),
        PROCESS_START_TAG: _process_start(pid) or "",
        HOST_TAG: socket.gethostname(),
    }


def _alive(pid: int, started: str) -> bool:
    if started:
        return _process_start(pid) == started
    return pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """A process with this pid exists (signal 0; one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_orphaned_runs_failed(instance: DagsterInstance) -> list[str]:
    """Mark failed every in-progress run whose owning process (on this host) is gone."""
    from dagster import DagsterRunStatus, RunsFilter

    statuses = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
    host = socket.gethostname()
    marked: list[str] = []
    for record in instance.get_run_records(filters=RunsFilter(statuses=statuses)):
        run = record.dagster_run
        pid = run.tags.get(PID_TAG)
        if not pid or run.tags.get(HOST_TAG) != host:
            continue
        if _alive(int(pid), run.tags.get(PROCESS_START_TAG, "")):
            continue
        instance.report_run_failed(
            run,
            f"edustat: the process that ran this run (pid {pid}) is gone (killed or crashed); "
            "marked failed so that later runs are not kept waiting",
        )
        marked.append(run.run_id)
    return marked
