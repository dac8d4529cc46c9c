"""`edustat run`: materialise every asset of the code location, headless and in-process.

Runs are planned by pipelines.assets.plan (ingest per round/year range with landing files, then
every unpartitioned asset once) and executed one after another against a DagsterInstance in
$EDUSTAT_HOME/dagster, so `edustat ui` shows them afterwards. The first failed run stops the
pipeline and the command exits 1.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from pipelines.cli import build_stamp
from pipelines.settings import Home

if TYPE_CHECKING:
    from dagster import DagsterInstance, Definitions, ExecuteInProcessResult
    from rich.table import Table

    from pipelines.assets.plan import PlannedRun

EXIT_FAILED = 1
STATUSES = ("loaded", "held_back", "rejected", "superseded")
# No instance settings of our own beyond these: the UI and the daemon share this folder.
DAGSTER_YAML = """\
# Written by `edustat run` when missing. Runs launched by the landing sensor queue one at a
# time: the warehouse has a single writer.
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""
# Dagster's console logger would interleave with the progress bars; the event log keeps it all.
_QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
_MAX_REASONS_SHOWN = 15
TOOL_LOG = "dbt-console.log"  # dbt's own output during the last `edustat run`
_TOOL_ERROR_MARKS = ("Error", "ERROR", "Failure in", "FAIL ")
_MAX_TOOL_ERRORS_SHOWN = 20


def prepare_dagster_home(home: Home) -> Path:
    """DAGSTER_HOME = $EDUSTAT_HOME/dagster, with a dagster.yaml (set in os.environ too)."""
    home.ensure()
    config = home.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    os.environ["EDUSTAT_HOME"] = str(home.root)
    return home.dagster_home


def _file_log(home: Home) -> logging.Handler:
    handler = logging.FileHandler(home.logs / "edustat-run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("edustat")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return handler


@dataclass
class RunOutcome:
    run: PlannedRun
    seconds: float
    success: bool
    errors: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)  # step key -> seconds (succeeded)


def _step_seconds(result: ExecuteInProcessResult) -> dict[str, float]:
    out: dict[str, float] = {}
    for event in result.all_events:
        if event.is_step_success and event.step_key:
            ms = getattr(event.event_specific_data, "duration_ms", None) or 0.0
            out[event.step_key] = round(ms / 1000, 3)
    return out


def _errors(result: ExecuteInProcessResult) -> list[str]:
    out = []
    for event in result.all_events:
        if event.is_step_failure and event.step_key:
            error = getattr(event.event_specific_data, "error", None)
            first = (error.message if error else "failed").strip().splitlines()[0]
            out.append(f"{event.step_key}: {first}")
    return out or ["run failed"]


def execute(
    defs: Definitions,
    planned: PlannedRun,
    instance: DagsterInstance,
    tool_log: TextIO | None = None,
) -> RunOutcome:
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    # An explicit subset: these assets and exactly these checks (see plan.py on checks).
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(planned.asset_keys), asset_check_selection=set(planned.check_keys)
    )
    tags = {"edustat/trigger": "edustat run"}
    partition_key = None
    if planned.is_range:
        tags[ASSET_PARTITION_RANGE_START_TAG] = planned.partition_keys[0]
        tags[ASSET_PARTITION_RANGE_END_TAG] = planned.partition_keys[-1]
    elif planned.partition_keys:
        partition_key = planned.partition_keys[0]
    start = time.perf_counter()
    # dbt's console lines (dagster-dbt echoes them to stdout) go to the tool log, not the screen.
    with contextlib.redirect_stdout(tool_log or sys.stdout):
        result = job.execute_in_process(
            run_config=_QUIET_LOGGERS,
            instance=instance,
            partition_key=partition_key,
            tags=tags,
            raise_on_error=False,
        )
    seconds = time.perf_counter() - start
    errors = [] if result.success else _errors(result)
    return RunOutcome(planned, seconds, result.success, errors, _step_seconds(result))


def registry_counts(home: Home) -> dict[str, Counter[str]]:
    """source -> status -> files, from raw.landing_files (read-only: the runs are over)."""
    import duckdb

    if not home.warehouse.exists():
        return {}
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'raw' AND table_name = 'landing_files'"
        ).fetchall()[0][0]
        if not exists:
            return {}
        rows = con.execute(
            "SELECT coalesce(source, '(unknown)'), status, count(*) "
            "FROM raw.landing_files GROUP BY ALL"
        ).fetchall()
    out: dict[str, Counter[str]] = {}
    for source, status, n in rows:
        out.setdefault(source, Counter())[status] = n
    return out


def _summary_table(counts: dict[str, Counter[str]], this_run: dict[str, Counter[str]]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(
        title="Files per source: registry status after this run",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("source", no_wrap=True)
    for col in (*STATUSES, "new", "unchanged"):
        table.add_column(col.replace("_", " "), justify="right")
    for source in sorted(set(counts) | set(this_run)):
        c, r = counts.get(source, Counter()), this_run.get(source, Counter())
        table.add_row(
            source,
            *(str(c[s]) for s in STATUSES),
            str(r["loaded"] + r["rejected"]),
            str(r["skipped"]),
        )
    return table


def _write_report(
    home: Home, outcomes: list[RunOutcome], this_run: dict[str, Counter[str]], wall_s: float
) -> Path:
    """logs/edustat-run.json: the last run, for scripts, tests and the benchmark."""
    report = {
        "success": all(o.success for o in outcomes),
        "pipeline_seconds": round(sum(o.seconds for o in outcomes), 3),
        "wall_seconds": round(wall_s, 3),
        "runs": [
            {
                "label": o.run.label,
                "partitions": list(o.run.partition_keys),
                "seconds": round(o.seconds, 3),
                "success": o.success,
                "steps": o.steps,
                "errors": o.errors,
            }
            for o in outcomes
        ],
        "files": {source: dict(c) for source, c in sorted(this_run.items())},
    }
    path = home.logs / "edustat-run.json"
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _tool_errors(path: Path) -> list[str]:
    """dbt's error lines from the tool log: why a dbt step failed, named by model and file."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    hits = [line.strip() for line in lines if any(m in line for m in _TOOL_ERROR_MARKS)]
    return list(dict.fromkeys(hits))[:_MAX_TOOL_ERRORS_SHOWN]


def run_pipeline(home: Home, quiet: bool = False, force: bool = False) -> int:
    """Plan and execute every run; print progress and the summary. Returns the exit code.

    The ingest runs always execute (an unchanged file costs a checksum). The rest (dbt, checks,
    reports, publish, yearbook) is skipped when build_stamp says the warehouse was already built
    from exactly these inputs, unless `force`."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    # Bound to the real stdout: dbt's output is redirected away from it during each run.
    console = Console(file=sys.stdout, quiet=quiet)
    wall_start = time.perf_counter()
    prepare_dagster_home(home)
    handler = _file_log(home)
    tool_log_path = home.logs / TOOL_LOG
    tool_log_path.write_text("", encoding="utf-8")  # this run's dbt output only
    warnings.filterwarnings(
        "ignore", module=r"dagster.*"
    )  # beta/preview notices, not for operators

    import dagster

    from pipelines.assets.partitions import source_partition_keys
    from pipelines.assets.plan import plan_runs
    from pipelines.definitions import defs
    from pipelines.ingest import progress, workers
    from pipelines.ingest.discovery import all_files, owner

    warnings.filterwarnings("ignore", category=dagster.BetaWarning)
    warnings.filterwarnings("ignore", category=dagster.PreviewWarning)
    instance = dagster.DagsterInstance.get()
    plan = plan_runs(defs, home.landing)
    partitions = source_partition_keys()
    n_files = sum(1 for f in all_files(home.landing) if owner(f.path, partitions))
    this_run: dict[str, Counter[str]] = {}
    reasons: list[str] = []
    outcomes: list[RunOutcome] = []

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        files_task = bar.add_task("files", total=n_files)
        runs_task = bar.add_task("runs", total=len(plan))

        def on_file(event: progress.FileEvent) -> None:
            this_run.setdefault(event.source or "(unknown)", Counter())[event.outcome] += 1
            if event.reason:
                reasons.append(event.reason)
            bar.advance(files_task)

        unsubscribe = progress.subscribe(on_file)
        up_to_date: bool | None = None  # decided when the ingest runs are over
        try:
            for planned in plan:
                if up_to_date is None and not planned.partition_keys:
                    workers.stop_pool()  # the ingest runs are over: give their memory back
                    up_to_date = not force and build_stamp.is_up_to_date(home)
                    if not up_to_date:
                        build_stamp.clear(home)
                if up_to_date:
                    bar.advance(runs_task)
                    continue
                if not planned.asset_keys and not any(c["loaded"] for c in this_run.values()):
                    # A checks-only run tests the raw tables, which only the ingest writes: with
                    # no file loaded in this run their results cannot have changed.
                    bar.advance(runs_task)
                    bar.console.print(f"[dim]skipped {planned.label} (raw tables unchanged)[/dim]")
                    continue
                bar.update(runs_task, description=f"run: {planned.label}")
                with tool_log_path.open("a", encoding="utf-8") as tool_log:
                    outcome = execute(defs, planned, instance, tool_log)
                outcomes.append(outcome)
                bar.advance(runs_task)
                mark = "[green]ok[/green]" if outcome.success else "[red]FAILED[/red]"
                bar.console.print(f"{mark} {planned.label}  {outcome.seconds:.1f} s")
                if not outcome.success:
                    break
        finally:
            unsubscribe()
            bar.update(runs_task, description="runs")
    if up_to_date:
        console.print(
            "Warehouse up to date: no landing file, code or setting changed since the last "
            "complete build, so dbt, checks, reports, publish and the yearbook were not re-run "
            "(edustat run --force rebuilds)."
        )

    pipeline_s = sum(o.seconds for o in outcomes)
    console.print(_summary_table(registry_counts(home), this_run))
    if reasons:
        console.print(f"Rejected in this run ({len(reasons)}):")
        for reason in reasons[:_MAX_REASONS_SHOWN]:
            console.print(f"  {reason}", markup=False, highlight=False, soft_wrap=True)
        if len(reasons) > _MAX_REASONS_SHOWN:
            console.print(f"  … {len(reasons) - _MAX_REASONS_SHOWN} more: see raw.landing_files")
    console.print(
        f"pipeline {pipeline_s:.1f} s in {len(outcomes)} run(s); "
        f"total {time.perf_counter() - wall_start:.1f} s including start-up"
    )
    logging.getLogger("edustat").info(
        "edustat run: pipeline %.1f s, %d runs", pipeline_s, len(outcomes)
    )
    _write_report(home, outcomes, this_run, time.perf_counter() - wall_start)
    logging.getLogger("edustat").removeHandler(handler)
    failed = [o for o in outcomes if not o.success]
    if failed:
        for o in failed:
            for err in o.errors:
                console.print(f"[red]error[/red] in {o.run.label}: {err}")
        tool_errors = _tool_errors(tool_log_path)
        if tool_errors:
            console.print(f"dbt reported ({tool_log_path}):")
            for line in tool_errors:
                console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_FAILED
    if not up_to_date:
        build_stamp.write(home)
    return 0


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        quiet: Annotated[
            bool, typer.Option("--quiet", "-q", help="No progress or summary.")
        ] = False,
        force: Annotated[
            bool,
            typer.Option("--force", help="Rebuild the warehouse even if nothing has changed."),
        ] = False,
    ) -> None:
        """Materialise everything: ingest each round/year with landing files, then the rest."""
        code = run_pipeline(Home.from_env(), quiet=quiet, force=force)
        if code:
            raise typer.Exit(code)
