"""`edustat run`: materialise every asset of the code location, headless and in-process.

It launches the code location's jobs in the order of pipelines/assets/jobs.py (`run_order`: each
source's ingest over its round/year ranges with files the registry has not taken in, the
warehouse, the yearbooks, publishing), one after another against a DagsterInstance in
$EDUSTAT_HOME/dagster, so `edustat ui` shows them afterwards. The first failed run stops the
pipeline and the command exits 1.

Progress is shown per step in its own words (pipelines/cli/run_progress.py); the end says what
the run made and what to do next (pipelines/cli/run_summary.py). Each run keeps its own log
folder, logs/runs/<start>/ with logs/latest pointing at it (pipelines/cli/run_logs.py).

The command never shows a Python traceback: a failure ends with a summary (files by status, the
failed step, the underlying error, where the full log is), and the tracebacks go to the run's
edustat-run.log. Bad input never fails a step (docs/ARCHITECTURE.md "Acceptance policy"), so
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
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from pipelines.cli import build_stamp
from pipelines.orphaned_runs import owner_tags
from pipelines.settings import Home

if TYPE_CHECKING:
    import duckdb
    from dagster import DagsterInstance, Definitions, ExecuteInProcessResult
    from dagster_shared.error import SerializableErrorInfo
    from rich.console import Console
    from rich.progress import Progress

    from pipelines.assets.jobs import PlannedRun

EXIT_FAILED = 1
EXIT_REFUSED = 2  # the pseudonym key is refused: nothing ran
EXIT_BUSY = 3  # another run holds this home: nothing ran
# Runs launched without logger config (the UI's buttons) log at INFO, not Dagster's DEBUG, on the
# `edustat ui` terminal; the UI's event log keeps every level.
_PYTHON_LOGS = """\
python_logs:
  python_log_level: INFO
"""
# No instance settings of our own beyond these: the UI and the daemon share this folder. The
# storage is Dagster's SQLite layout with the event log's connections kept open
# (pipelines/dagster_storage.py); its folder is this home's, so a moved or copied home gets the
# file rewritten by its first `edustat run` or `edustat ui`.
_DAGSTER_YAML_MARK = "# Written by `edustat run`"
_DAGSTER_YAML = (
    f"""\
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
storage:
  custom:
    module: pipelines.dagster_storage
    class: PooledSqliteStorage
    config:
      base_dir: {{base_dir}}
"""
    + _PYTHON_LOGS
)


def dagster_yaml(dagster_home: Path) -> str:
    """The dagster.yaml `edustat run` writes into `dagster_home`."""
    return _DAGSTER_YAML.format(base_dir=json.dumps(str(dagster_home.resolve())))


# Dagster's console logger would interleave with the progress bars and prints step failures with
# their stack traces; the event log (edustat ui) and the run's edustat-run.log keep it all.
_QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RUN_LOG = "edustat-run.log"  # a crash of the command itself: logs/edustat-run.log
_MAX_REASONS_SHOWN = 15
_TOOL_ERROR_MARKS = ("Error", "ERROR", "Failure in", "FAIL ")
# dbt's summary "Done. PASS=12 WARN=0 ERROR=0 SKIP=0" says there was no error.
_NO_ERRORS = re.compile(r"\b(?:ERROR|FAIL)=0\b")
# dbt colours its console lines; the summary shows them as plain text.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MAX_TOOL_ERRORS_SHOWN = 20


def prepare_dagster_home(home: Home) -> Path:
    """DAGSTER_HOME = $EDUSTAT_HOME/dagster, with a dagster.yaml (set in os.environ too)."""
    home.ensure()
    config = home.dagster_home / "dagster.yaml"
    # Ours (first line) but older: brought up to date; an operator's own file keeps its settings
    # and gains the log level if it has none.
    text = config.read_text(encoding="utf-8") if config.exists() else None
    ours = dagster_yaml(home.dagster_home)
    if text is None or (text.startswith(_DAGSTER_YAML_MARK) and text != ours):
        config.write_text(ours, encoding="utf-8")
    elif "python_logs:" not in text:
        config.write_text(text.rstrip("\n") + "\n" + _PYTHON_LOGS, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    os.environ["EDUSTAT_HOME"] = str(home.root)
    return home.dagster_home


def _file_log(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
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
    if not lines:
        return error.cls_name or "failed"
    # A step's own Failure (e.g. dbt's failed nodes) is the message itself, not a crash.
    prefix = f"{error.cls_name}: "
    if error.cls_name == "Failure" and prefix in lines[0]:
        return lines[0].split(prefix, 1)[1]
    return lines[0]


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
    on_event: Callable[[Any], None] | None = None,
) -> RunOutcome:
    """One planned run of a job, in this process; `on_event` sees each Dagster event as it is
    stored."""
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    job = defs.resolve_job_def(planned.job_name)
    # The owner tags let the next start (or the daemon) tell a killed run from a live one.
    tags = {"edustat/trigger": "edustat run", **owner_tags()}
    partition_key = None
    if planned.is_range:
        tags[ASSET_PARTITION_RANGE_START_TAG] = planned.partition_keys[0]
        tags[ASSET_PARTITION_RANGE_END_TAG] = planned.partition_keys[-1]
    elif planned.partition_keys:
        partition_key = planned.partition_keys[0]
    run_id = str(uuid.uuid4())
    if on_event is not None:
        instance.add_event_listener(run_id, on_event)
    start = time.perf_counter()
    # dbt's console lines (dagster-dbt echoes them to stdout) go to the tool log, not the screen.
    with contextlib.redirect_stdout(tool_log or sys.stdout):
        result = job.execute_in_process(
            run_config=_QUIET_LOGGERS,
            instance=instance,
            partition_key=partition_key,
            tags=tags,
            raise_on_error=False,
            run_id=run_id,
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


def _commit() -> str | None:
    """The code's commit, for the run report (`edustat status` shows it)."""
    import subprocess

    from pipelines.settings import REPO_ROOT

    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _write_report(
    path: Path,
    outcomes: list[RunOutcome],
    this_run: dict[str, Counter[str]],
    wall_s: float,
    *,
    started_at: str,
    built: bool,
    outputs: dict[str, list[str]],
) -> Path:
    """The run's edustat-run.json: for scripts, tests, the benchmark and `edustat status`."""
    report = {
        "success": all(o.success for o in outcomes),
        "started_at": started_at,
        "commit": _commit(),
        # False: nothing had changed since the last build, only the ingest ran (a short run)
        "built": built,
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
        "outputs": outputs,
    }
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _tool_errors(path: Path) -> list[str]:
    """dbt's error lines from the tool log: why a dbt step failed, named by model and file."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    hits = [
        _ANSI.sub("", line).strip()
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


def _progress(console: Console) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        SpinnerColumn(finished_text=" "),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=console, transient=False)


def run_pipeline(
    home: Home, quiet: bool = False, force: bool = False, lang: str | None = None
) -> int:
    """Plan and execute every run; print progress and the summary. Returns the exit code.

    The ingest runs execute for the partitions with files the registry has not taken in as they
    are (all of them with `force`). The rest (dbt, checks, reports, publish, yearbook) is skipped
    when build_stamp says the warehouse was already built from exactly these inputs, unless
    `force`. Each run writes its own log folder (run_logs)."""
    from datetime import UTC, datetime

    from rich.console import Console

    from pipelines.cli import run_logs
    from pipelines.cli.run_progress import StepLines, models_per_step, step_label
    from pipelines.cli.run_summary import Say, files_table, log_table, print_outputs
    from pipelines.cli.words import cli_lang, say

    lang = cli_lang(lang)
    # Bound to the real stdout: dbt's output is redirected away from it during each run.
    console = Console(file=sys.stdout, quiet=quiet)
    say_line = Say(console)
    wall_start = time.perf_counter()
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    prepare_dagster_home(home)
    logs = run_logs.start(home)
    handler = _file_log(logs.run_log)
    warnings.filterwarnings(
        "ignore", module=r"dagster.*"
    )  # beta/preview notices, not for operators

    from pipelines.assets.landing_state import WarehouseBusy, partitions_to_ingest
    from pipelines.ingest import progress
    from pipelines.ingest.discovery import all_files, owner
    from pipelines.reference import source_partition_keys

    partitions = source_partition_keys()
    # Only the partitions whose files the registry has not taken in as they are now: on an
    # unchanged landing/ no ingest run starts at all (each costs a Dagster run and a hash of
    # every file in it), after one resubmission only its round's.
    ingest: set[tuple[str, str]] | None = None
    unchanged: Counter[str] = Counter()
    if not force:
        try:
            ingest, unchanged = partitions_to_ingest(home.landing, home.warehouse, partitions)
        except WarehouseBusy:  # a run of the daemon is writing: let the ingest runs decide
            ingest = None
    # Nothing to load and the warehouse as the last complete build left it: no run to start, so
    # neither Dagster nor the code location is loaded (most of an idle run's seconds).
    idle = ingest == set() and build_stamp.is_up_to_date(home)
    plan: list[PlannedRun] = []
    if idle:
        from pipelines.leftovers import remove_leftovers

        remove_leftovers(home)
    else:
        import dagster

        from pipelines.assets.jobs import run_order
        from pipelines.definitions import defs

        warnings.filterwarnings("ignore", category=dagster.BetaWarning)
        warnings.filterwarnings("ignore", category=dagster.PreviewWarning)
        instance = dagster.DagsterInstance.get()
        _clear_after_crash(home, instance, console)
        plan = run_order(home.landing, ingest)
    n_files = sum(1 for f in all_files(home.landing) if owner(f.path, partitions))
    logging.getLogger("edustat").info(
        "edustat run in %s: %d files under landing/, %d planned runs", home.root, n_files, len(plan)
    )
    this_run: dict[str, Counter[str]] = {s: Counter(skipped=n) for s, n in unchanged.items()}
    reasons: list[str] = []
    outcomes: list[RunOutcome] = []
    built = False

    with _progress(console) as bar:
        to_read = n_files - sum(unchanged.values())
        files_task = bar.add_task(say("step_ingest", lang), total=to_read)
        steps = StepLines(bar, lang)

        def on_file(event: progress.FileEvent) -> None:
            this_run.setdefault(event.source or "(unknown)", Counter())[event.outcome] += 1
            if event.reason:
                reasons.append(event.reason)
            bar.advance(files_task)

        unsubscribe = progress.subscribe(on_file)
        up_to_date: bool | None = True if idle else None  # else decided after the ingest runs
        try:
            for planned in plan:
                if up_to_date is None and not planned.partition_keys:
                    from pipelines.ingest import workers

                    workers.stop_pool()  # the ingest runs are over: give their memory back
                    bar.update(files_task, total=bar.tasks[files_task].completed)
                    up_to_date = not force and build_stamp.is_up_to_date(home)
                    if not up_to_date:
                        build_stamp.clear(home)
                if up_to_date:
                    continue
                built = built or up_to_date is False  # past the ingest: this run builds
                steps.begin_run(models_per_step(defs, planned.job_name), _one_key(planned))
                with logs.tool_log.open("a", encoding="utf-8") as tool_log:
                    outcome = execute(defs, planned, instance, tool_log, steps.on_event)
                outcomes.append(outcome)
                logging.getLogger("edustat").info(
                    "run %s: %s in %.1f s",
                    planned.label,
                    "ok" if outcome.success else "FAILED",
                    outcome.seconds,
                )
                if not outcome.success:
                    break
        finally:
            unsubscribe()
    if logs.tool_log.exists() and logs.tool_log.stat().st_size == 0:
        logs.tool_log.unlink()  # no dbt in this run: no dbt log, rather than an empty one
    if built:
        run_logs.mark_build(home, logs)
    if up_to_date:
        say_line(say("up_to_date", lang))

    pipeline_s = sum(o.seconds for o in outcomes)
    try:
        counts = registry_counts(home)
    except Exception as exc:  # the summary must not hide the run's own outcome
        logging.getLogger("edustat").exception("reading the registry for the summary failed")
        console.print(f"[yellow]registry not readable for the summary:[/yellow] {exc}")
        counts = {}
    console.print(files_table(counts, this_run, lang))
    log_table(counts, this_run)
    if reasons:
        say_line(say("rejected_in_run", lang, n=len(reasons)))
        for reason in reasons[:_MAX_REASONS_SHOWN]:
            say_line(f"  {reason}")
        if len(reasons) > _MAX_REASONS_SHOWN:
            say_line("  " + say("more_rejected", lang, n=len(reasons) - _MAX_REASONS_SHOWN))
    total_s = time.perf_counter() - wall_start
    say_line(say("timing", lang, pipeline=pipeline_s, runs=len(outcomes), total=total_s))
    failed = [o for o in outcomes if not o.success]
    if not failed:
        print_outputs(say_line, home, logs.folder, lang, built=built)
    report = _write_report(
        logs.report,
        outcomes,
        this_run,
        time.perf_counter() - wall_start,
        started_at=started_at,
        built=built,
        outputs=steps.outputs,
    )
    logging.getLogger("edustat").removeHandler(handler)
    handler.close()
    if failed:
        # A failure is said even with --quiet: on stderr, the failed step and where to look.
        console = Console(file=sys.stderr)
        for o in failed:
            line = say("failed_run", lang, label=o.run.label)
            console.print(line, style="red", markup=False, highlight=False)
            for err in o.errors:
                key, named, message = err.partition(": ")  # "<step key>: <message>"
                error = f"{step_label(key, lang)} ({key}): {message}" if named else err
                line = say("failed_step", lang, error=error)
                console.print(line, markup=False, highlight=False, soft_wrap=True)
        # dbt's lines only when a dbt step failed (its "Done. PASS=…" lines say nothing else).
        dbt_failed = any(err.startswith("dbt_") for o in failed for err in o.errors)
        tool_errors = _tool_errors(logs.tool_log) if dbt_failed else []
        if tool_errors:
            console.print(say("dbt_reported", lang, log=logs.tool_log), markup=False)
            for line in tool_errors:
                console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
        console.print(
            say("where_errors", lang, log=logs.run_log, report=report),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_FAILED
    if not up_to_date:
        build_stamp.write(home)
    return 0


def _one_key(planned: PlannedRun) -> str | None:
    return planned.partition_keys[0] if len(planned.partition_keys) == 1 else None


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
        init: Annotated[
            bool,
            typer.Option(
                "--init", help="Start a new EDUSTAT_HOME here (otherwise an empty one is refused)."
            ),
        ] = False,
        lang: Annotated[
            str | None, typer.Option("--lang", help="kk, ru or en (default: EDUSTAT_LANG, LANG).")
        ] = None,
    ) -> None:
        """Materialise everything: ingest each round/year with landing files, then the rest."""
        from pipelines.cli.home_check import HomeProblem, check_home, refuse

        home = Home.from_env()
        try:
            check_home(home, init=init)
        except HomeProblem as problem:
            raise typer.Exit(refuse(problem)) from None
        code = guarded(
            home, "edustat run", lambda: run_pipeline(home, quiet=quiet, force=force, lang=lang)
        )
        if code:
            raise typer.Exit(code)


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
