"""`edustat run` as the operator runs it: a subprocess on a fresh EDUSTAT_HOME, measured.

The fresh home's `landing/` is a hard-linked copy of the cached dataset (a symlink where hard
links are impossible), so every run reads the same bytes and none pays for copying them. Per-step
seconds come from the run's own report (`logs/latest/edustat-run.json`, by `edustat run`); the
step windows (start/end timestamps) come from the Dagster event log of the run's instance, and
give each step its peak RSS out of the sampled RSS series. The NOBD ingest loads both rounds in one
step; its log line per round ("nobd_submission <round>: … loaded") splits that step per round.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.bench.measure import MB, Measured, run_measured
from pipelines.bench.source import Code
from pipelines.contracts import all_contracts

# Ingest step (a source's asset) -> its phase, named like its job (`ingest_<group>`).
INGEST_STEPS = {c.asset_name: f"ingest_{c.group}" for c in all_contracts().values()}
# Phase of a step key (dbt's steps may be split: dbt_staging, dbt_staging_2, dbt_marts_3 …).
_PHASES: tuple[tuple[str, str], ...] = (
    ("dbt_", "dbt"),
    ("dq_findings", "expectations"),
    ("dq_report_packs", "reports"),
    ("yearbook", "yearbook"),
    ("published_snapshot", "publish"),
    ("reference", "reference"),
    ("raw__landing_files", "landing_sweep"),
)
PHASES = (
    *INGEST_STEPS.values(),
    "reference",
    "landing_sweep",
    "dbt",
    "expectations",
    "reports",
    "yearbook",
    "publish",
)
_ROUND_LOG = re.compile(r"^(\w+) (\S+): \d+ loaded, ")


def phase_of(step_key: str) -> str:
    if step_key in INGEST_STEPS:
        return INGEST_STEPS[step_key]
    for prefix, phase in _PHASES:
        if step_key.startswith(prefix):
            return phase
    return "other"


@dataclass
class StepWindow:
    key: str
    start: float
    end: float
    status: str  # STEP_SUCCESS | STEP_FAILURE


@dataclass
class RunResult:
    """One `edustat run` process."""

    measured: Measured
    report: dict[str, Any] | None  # logs/latest/edustat-run.json
    steps: dict[str, float] = field(default_factory=dict)  # step key -> seconds
    windows: list[StepWindow] = field(default_factory=list)
    partitions: dict[str, tuple[float, float]] = field(default_factory=dict)  # source/key -> t
    errors: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.measured.returncode == 0 and bool(self.report and self.report.get("success"))

    def phase_seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, s in self.steps.items():
            out[phase_of(key)] = out.get(phase_of(key), 0.0) + s
        return out

    def phase_peaks(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for w in self.windows:
            peak = self.measured.peak_between(w.start, w.end)
            if peak is not None:
                phase = phase_of(w.key)
                out[phase] = max(out.get(phase, 0.0), peak)
        return out

    def partition_stats(self) -> dict[str, dict[str, float | None]]:
        return {
            k: {"seconds": end - start, "peak_rss_mb": self.measured.peak_between(start, end)}
            for k, (start, end) in self.partitions.items()
        }

    def ingest_seconds(self) -> float:
        """Every source into raw: the ingest steps (the unit of the loader ratio)."""
        return sum(s for k, s in self.steps.items() if k in INGEST_STEPS)

    def summary(self) -> dict[str, Any]:
        pipeline_s = (self.report or {}).get("pipeline_seconds")
        return {
            "success": self.success,
            "returncode": self.measured.returncode,
            "timed_out": self.measured.timed_out,
            "wall_seconds": round(self.measured.wall_s, 3),
            "pipeline_seconds": pipeline_s,
            "peak_rss_mb": round(self.measured.peak_rss_mb, 1),
            "max_single_process_rss_mb": round(self.measured.max_single_rss_bytes / MB, 1),
            "rss_samples": len(self.measured.samples),
            "steps": self.steps,
            "phases": {k: round(v, 3) for k, v in self.phase_seconds().items()},
            "phase_peak_rss_mb": {k: round(v, 1) for k, v in self.phase_peaks().items()},
            "partitions": self.partition_stats(),
            "errors": self.errors,
        }


def fresh_home(root: Path, landing: Path) -> Path:
    """An empty EDUSTAT_HOME at `root` whose landing/ holds the dataset's files (hard links)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    try:
        shutil.copytree(landing, root / "landing", copy_function=os.link)
    except OSError:
        shutil.rmtree(root / "landing", ignore_errors=True)
        (root / "landing").symlink_to(landing.resolve(), target_is_directory=True)
    return root


def edustat_command() -> list[str]:
    script = Path(sys.executable).with_name("edustat")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "pipelines.cli.main"]


def run_env(home: Path, code: Code) -> dict[str, str]:
    env = code.env()
    env["EDUSTAT_HOME"] = str(home)
    env.pop("DAGSTER_HOME", None)  # `edustat run` sets its own under EDUSTAT_HOME
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")  # dbt next to this python
    return env


def run_edustat(home: Path, log: Path, timeout_s: float | None, code: Code) -> RunResult:
    """One `edustat run --quiet` of `code` on `home`, measured, with its step timings."""
    # Each run writes its own log folder and points logs/latest at it (pipelines/cli/run_logs.py).
    latest = home / "logs" / "latest"
    before = latest.resolve() if latest.is_symlink() else None
    measured = run_measured(
        [*edustat_command(), "run", "--quiet"],
        env=run_env(home, code),
        cwd=code.root,
        log=log,
        timeout_s=timeout_s,
    )
    report: dict[str, Any] | None = None
    report_path = latest / "edustat-run.json"
    if latest.is_symlink() and latest.resolve() != before and report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
    result = RunResult(measured, report)
    windows, partitions = read_event_log(home / "dagster", since=measured.started_at)
    result.windows, result.partitions = windows, partitions
    if report is not None:
        for run in report.get("runs", []):
            for key, seconds in run.get("steps", {}).items():
                result.steps[key] = result.steps.get(key, 0.0) + float(seconds)
            result.errors += list(run.get("errors", []))
    else:  # an older `edustat run` without the report: the event log has the same figures
        for w in windows:
            if w.status == "STEP_SUCCESS":
                result.steps[w.key] = result.steps.get(w.key, 0.0) + (w.end - w.start)
        result.errors.append("logs/latest/edustat-run.json missing: step times from the event log")
    if measured.timed_out:
        result.errors.append("timed out")
    elif measured.returncode != 0 and not result.errors:
        result.errors.append(f"exit code {measured.returncode} (see {log})")
    return result


def read_event_log(
    dagster_home: Path, since: float
) -> tuple[list[StepWindow], dict[str, tuple[float, float]]]:
    """Step windows and per-partition ingest windows of the runs started after `since`."""
    if not (dagster_home / "dagster.yaml").exists():
        return [], {}
    import warnings

    warnings.filterwarnings("ignore", module=r"dagster.*")
    from dagster import DagsterInstance

    windows: list[StepWindow] = []
    partitions: dict[str, tuple[float, float]] = {}
    instance = DagsterInstance.from_config(str(dagster_home))
    try:
        for run in instance.get_runs():
            starts: dict[str, float] = {}
            marks: dict[str, float] = {}  # step key -> start of its next partition
            for entry in instance.all_logs(run.run_id):
                if entry.timestamp < since or not entry.step_key:
                    continue
                key = entry.step_key
                event = entry.dagster_event
                if event is None:
                    m = _ROUND_LOG.match(entry.user_message or "")
                    if m and key in starts:
                        begin = marks.get(key, starts[key])
                        partitions[f"{m.group(1)}/{m.group(2)}"] = (begin, entry.timestamp)
                        marks[key] = entry.timestamp
                    continue
                kind = event.event_type_value
                if kind == "STEP_START":
                    starts[key] = entry.timestamp
                elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and key in starts:
                    windows.append(StepWindow(key, starts[key], entry.timestamp, kind))
    finally:
        instance.dispose()
    windows.sort(key=lambda w: w.start)
    return windows, partitions
