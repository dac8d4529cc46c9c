"""Run a command as a subprocess and measure it: wall time and the peak RSS of its process tree.

Peak RSS is sampled with psutil (every 50 ms: the RSS of the process and all its descendants,
summed, since `edustat run` starts dbt and yearbook workers). Summing counts pages shared between
a parent and a forked child twice, so it errs high, never low. `os.wait4` adds the kernel's own
figure, the largest RSS of any single process of the tree (ru_maxrss), as a cross-check the
sampler cannot miss between two samples.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

MB = 1_000_000  # decimal megabytes: the 2 GB target is 2,000 MB
SAMPLE_INTERVAL_S = 0.05


@dataclass
class Measured:
    """One subprocess: wall seconds, exit code, RSS samples (epoch seconds, bytes)."""

    wall_s: float
    returncode: int
    started_at: float  # epoch seconds, the clock Dagster's event timestamps use
    samples: list[tuple[float, int]] = field(default_factory=list)
    max_single_rss_bytes: int = 0  # ru_maxrss of the tree's largest process (wait4)
    timed_out: bool = False

    @property
    def peak_rss_bytes(self) -> int:
        sampled = max((rss for _, rss in self.samples), default=0)
        return max(sampled, self.max_single_rss_bytes)

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_bytes / MB

    def peak_between(self, start: float, end: float) -> float | None:
        """Peak sampled tree RSS (MB) within [start, end] (epoch seconds); None if no sample."""
        inside = [rss for t, rss in self.samples if start <= t <= end]
        return max(inside) / MB if inside else None


def tree_rss(proc: psutil.Process) -> int:
    """RSS of `proc` and every descendant, in bytes (processes that vanish count as 0)."""
    total = 0
    try:
        family = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in family:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


class _Sampler(threading.Thread):
    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.samples: list[tuple[float, int]] = []
        self._interval = interval
        self._stop_event = threading.Event()
        try:
            self._proc: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self._proc = None

    def run(self) -> None:
        while self._proc is not None and not self._stop_event.is_set():
            rss = tree_rss(self._proc)
            if rss:
                self.samples.append((time.time(), rss))
            self._stop_event.wait(self._interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_measured(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    timeout_s: float | None = None,
    interval_s: float = SAMPLE_INTERVAL_S,
) -> Measured:
    """Run `cmd` to completion (its own session, output to `log`), sampling tree RSS."""
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        started_at = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = _Sampler(proc.pid, interval_s)
        sampler.start()
        timed_out = False
        timer: threading.Timer | None = None
        if timeout_s is not None:

            def _kill() -> None:
                nonlocal timed_out
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # our child's own process group only

            timer = threading.Timer(timeout_s, _kill)
            timer.daemon = True
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: stop our child's process group, not just our wait
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            sampler.stop()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    finally:
        if log is not None and not isinstance(out, int):
            out.close()
    return Measured(
        wall_s=wall,
        returncode=proc.returncode,
        started_at=started_at,
        samples=sampler.samples,
        max_single_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
        timed_out=timed_out,
    )


def run_reporting(cmd: list[str], out: Path, **kwargs: Any) -> tuple[Measured, dict[str, Any]]:
    """Run, measured, a tool that writes its result as JSON to `out` (its `--out` option); an
    empty result when it wrote none (it failed: `Measured.returncode` says how)."""
    out.unlink(missing_ok=True)
    m = run_measured([*cmd, "--out", str(out)], **kwargs)
    return m, json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
