"""`edustat run`: materialise every asset of the code location, headless and in-process.

Runs are planned by pipelines.assets.plan (ingest per round/year range with landing files, then
every unpartitioned asset once) and executed one after another against a DagsterInstance in
$EDUSTAT_HOME/dagster, so `edustat ui` shows them afterwards. The first failed run stops the
pipeline and the command exits 1.

The command never shows a Python traceback: a failure ends with a summary (files by status, the
failed step, the underlying error, where the full log is), and the tracebacks go to
logs/edustat-run.log. Bad input never fails a step (docs/ARCHITECTURE.md "Acceptance policy"), so
a failed step or an error of the command itself is a fault of the code or the machine: exit 1.

Before anything runs: exit 2 when the pseudonym key is refused (pipelines/ingest/pseudonym_key.py:
another key than the warehouse's, none while the warehouse holds pseudonyms, a file others may
read), exit 3 when another run holds this home (pipelines/run_lock.py). Runs left STARTED by a
killed process are marked failed and their temporary folders removed (pipelines/orphaned_runs.py,
pipelines/leftovers.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from pipelines.cli import build_stamp
from pipelines.orphaned_runs import owner_tags
from pipelines.settings import Home

if TYPE_CHECKING:
    import duckdb
    from dagster import DagsterInstance, Definitions, ExecuteInProcessResult
    from dagster_shared.error import SerializableErrorInfo
    from rich.console import Console
    from rich.table import Table

    from pipelines.assets.plan import PlannedRun

EXIT_FAILED = 1
EXIT_REFUSED = 2  # the pseudonym key is refused: nothing ran
EXIT_BUSY = 3  # another run holds this home: nothing ran
STATUSES = ("loaded", "held_back", "rejected", "superseded")
# No instance settings of our own beyond these: the UI and the daemon share this folder.
_DAGSTER_YAML_MARK = "# Written by `edustat run`"
DAGSTER_YAML = f"""\
{_DAGSTER_YAML_MARK} (rewritten while this line is first). Runs launched by the landing
# sensor queue one at a time: the warehouse has a single writer. Run monitoring fails a run
# stuck STARTING for 3 minutes or running for 6 hours (a national build takes ~2 minutes), so a
# run whose worker died never holds the queue for good; runs of `edustat run` are also marked
# failed as soon as their process is gone (pipelines/orphaned_runs.py).
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_runtime_seconds: 21600
  poll_interval_seconds: 60
"""
# Dagster's console logger would interleave with the progress bars and prints step failures with
# their stack traces; the event log (edustat ui) and logs/edustat-run.log keep it all.
_QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RUN_LOG = "edustat-run.log"
_MAX_REASONS_SHOWN = 15
TOOL_LOG = "dbt-console.log"  # dbt's own output during the last `edustat run`
_TOOL_ERROR_MARKS = ("Error", "ERROR", "Failure in", "FAIL ")
# dbt's summary "Done. PASS=12 WARN=0 ERROR=0 SKIP=0" says there was no error.
_NO_ERRORS = re.compile(r"\b(?:ERROR|FAIL)=0\b")
_MAX_TOOL_ERRORS_SHOWN = 20


def prepare_dagster_home(home: Home) -> Path:
    """DAGSTER_HOME = $EDUSTAT_HOME/dagster, with a dagster.yaml (set in os.environ too)."""
    home.ensure()
    config = home.dagster_home / "dagster.yaml"
    # Ours (first line) but older: brought up to date; an operator's own file is left alone.
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current.startswith(_DAGSTER_YAML_MARK) and current != DAGSTER_YAML):
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    os.environ["EDUSTAT_HOME"] = str(home.root)
    return home.dagster_home


def _file_log(home: Home) -> logging.Handler:
    handler = logging.FileHandler(home.logs / RUN_LOG, encoding="utf-8")
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


def underlying_message(error: SerializableErrorInfo | None) -> str:
    """The first line of the innermost cause: what went wrong, not Dagster's wrapper around it
    ("Error occurred while executing op ...")."""
    if error is None:
        return "failed"
    while error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[0] if lines else (error.cls_name or "failed")


def _errors(result: ExecuteInProcessResult) -> list[str]:
    out = []
    log = logging.getLogger("edustat")
    for event in result.all_events:
        if event.is_step_failure and event.step_key:
            error = getattr(event.event_specific_data, "error", None)
            out.append(f"{event.step_key}: {underlying_message(error)}")
            # The whole error, stack traces included, for whoever fixes it.
            log.error("step %s failed:\n%s", event.step_key, error.to_string() if error else "")
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
    # The owner tags let the next start (or the daemon) tell a killed run from a live one.
    tags = {"edustat/trigger": "edustat run", **owner_tags()}
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

    if not home.warehouse.exists():
        return {}
    with _read_connection(home.warehouse) as con:
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


def _read_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection for the summary. An asset that failed inside `DuckDBResource.get_connection()`
    leaves the run's connection open in this process (dagster-duckdb closes it only on success,
    and the failure's traceback keeps it alive); DuckDB then accepts only that configuration."""
    import duckdb

    from pipelines.settings import duckdb_memory_limit

    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        config = {"custom_user_agent": "dagster", "memory_limit": duckdb_memory_limit()}
        return duckdb.connect(str(path), read_only=False, config=config)


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
    hits = [
        line.strip()
        for line in lines
        if any(m in _NO_ERRORS.sub("", line) for m in _TOOL_ERROR_MARKS)
    ]
    return list(dict.fromkeys(hits))[:_MAX_TOOL_ERRORS_SHOWN]


def _clear_after_crash(home: Home, instance: DagsterInstance, console: Console) -> None:
    """What a killed run left: runs still STARTED, temporary folders (we hold the run lock)."""
    from pipelines.leftovers import remove_leftovers
    from pipelines.orphaned_runs import mark_orphaned_runs_failed

    log = logging.getLogger("edustat")
    for run_id in mark_orphaned_runs_failed(instance):
        log.warning("run %s was left STARTED by a process that is gone: marked failed", run_id)
        console.print(f"[yellow]run {run_id} of a killed process marked failed[/yellow]")
    for path in remove_leftovers(home):
        log.info("removed the leftover temporary folder %s", path)


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
    _clear_after_crash(home, instance, console)
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
    try:
        counts = registry_counts(home)
    except Exception as exc:  # the summary must not hide the run's own outcome
        logging.getLogger("edustat").exception("reading the registry for the summary failed")
        console.print(f"[yellow]registry not readable for the summary:[/yellow] {exc}")
        counts = {}
    console.print(_summary_table(counts, this_run))
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
    report = _write_report(home, outcomes, this_run, time.perf_counter() - wall_start)
    logging.getLogger("edustat").removeHandler(handler)
    handler.close()
    failed = [o for o in outcomes if not o.success]
    if failed:
        # A failure is said even with --quiet: on stderr, the failed step and where to look.
        console = Console(file=sys.stderr)
        for o in failed:
            console.print(f"[red]FAILED[/red] run: {o.run.label}", markup=True, highlight=False)
            for err in o.errors:
                console.print(f"  step {err}", markup=False, highlight=False, soft_wrap=True)
        # dbt's lines only when a dbt step failed (its "Done. PASS=…" lines say nothing else).
        dbt_failed = any(err.startswith("dbt_") for o in failed for err in o.errors)
        tool_errors = _tool_errors(tool_log_path) if dbt_failed else []
        if tool_errors:
            console.print(f"dbt reported ({tool_log_path}):")
            for line in tool_errors:
                console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
        console.print(
            f"Full errors: {home.logs / RUN_LOG}; run report: {report}; "
            "every event: edustat ui (Runs)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
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
        home = Home.from_env()
        raise typer.Exit(guarded(home, "edustat run", lambda: run_pipeline(home, quiet, force)))


def guarded(home: Home, command: str, work: Callable[[], int]) -> int:
    """`work` under the home's run lock and after the key check; the exit code.

    A refusal is one line on stderr and nothing has run: exit 3 (busy) or 2 (key)."""
    from pipelines.ingest.pseudonym_key import KeyRefused, load_key
    from pipelines.run_lock import RunInProgress, hold

    try:
        with hold(home, command):
            load_key(home)
            return work()
    except RunInProgress as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except KeyRefused as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:
        return report_crash(home, command, exc)


def report_crash(home: Home, command: str, exc: BaseException, log_name: str = RUN_LOG) -> int:
    """An error of the command itself (not of a run step): one line on stderr, the traceback in
    logs/<log_name>. Returns the exit code."""
    log_path = home.logs / log_name
    try:
        home.logs.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("edustat")
        logger.addHandler(handler)
        try:
            logger.error("%s failed", command, exc_info=exc)
        finally:
            logger.removeHandler(handler)
            handler.close()
        where = f"traceback in {log_path}"
    except OSError as log_error:  # the machine's fault (disk, permissions): say so, still no trace
        where = f"and the log could not be written ({log_error})"
    print(f"{command} failed: {type(exc).__name__}: {exc}; {where}", file=sys.stderr)
    return EXIT_FAILED
