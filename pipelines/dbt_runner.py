"""dbt in the run's own process: dbt-core's programmatic runner (`dbtRunner`), not a `dbt` process
per step.

Why: a `dbt build` process spends ~4.5 s before and after its SQL (start-up and imports, loading
the adapter and the partial parse, exit). The run's process has imported dbt-core already
(dagster-dbt does), so here a run parses the project once (from the partial-parse file) and both
dbt steps reuse that manifest. A national warehouse's steps by hand, on copies of one warehouse:
`dbt build` processes 9.3 s (staging) and 9.4 s (marts); in-process 4.7 s and 5.2 s after one
parse of 1.3 s (1.6 s when it also wrote manifest.json). Memory: the in-process staging step adds
~530 MB at its peak to the run's process, where the `dbt` process was ~670 MB beside it; closing
dbt-duckdb's database afterwards gives most of it back (~70 MB stay: the manifest and dbt's
results).

`stream` yields dbt's result events as the dicts of dbt's JSON log lines (what dagster-dbt turns
into Dagster events), while dbt runs in a thread; dbt's console lines go to sys.stdout as a `dbt`
process's would. A failed node or a dbt error raises DbtFailed after the stream.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.assets.dbt_project import newest_input_mtime

if TYPE_CHECKING:  # dbt's runner is imported by the first dbt step (0.4 s), not with the assets
    from dbt.cli.main import dbtRunnerResult
    from dbt.contracts.graph.manifest import Manifest
    from dbt_common.events.base_types import EventMsg

# dbt's events for a finished node (dagster-dbt's DbtCoreCliEventMessage.is_result_event).
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
_DONE = object()

# The parsed project of this process, by project folder and the newest mtime of what dbt parses.
_manifests: dict[tuple[Path, float], Manifest] = {}


class DbtFailed(RuntimeError):
    """dbt finished with a failed node, or could not run."""


def _common_args(project_dir: Path, target: Path) -> list[str]:
    return [
        "--project-dir", str(project_dir),
        "--profiles-dir", str(project_dir),
        "--target-path", str(target),
        "--log-path", str(target),
        "--no-use-colors",
    ]  # fmt: skip


def _close_database() -> None:
    """dbt-duckdb keeps its database open after a command, under the step's memory cap: close it,
    so that the run's next step may open the file (with another configuration) and DuckDB's
    memory returns."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    if DuckDBConnectionManager._ENV is not None:
        DuckDBConnectionManager._ENV.close()
    DuckDBConnectionManager.close_all_connections()


def parsed_manifest(project_dir: Path, target: Path) -> Manifest:
    """The project as dbt parsed it, once per process while its files are unchanged; the parse
    starts from the partial-parse file in `target` and leaves its successor there."""
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest

    key = (project_dir.resolve(), newest_input_mtime(project_dir))
    if key not in _manifests:
        # No manifest.json: Dagster has the prepared one; the partial-parse file is still saved.
        args = ["parse", *_common_args(project_dir, target), "--quiet", "--no-write-json"]
        result = dbtRunner().invoke(args)
        _close_database()
        if not result.success or not isinstance(result.result, Manifest):
            raise DbtFailed(f"dbt parse failed: {result.exception}")
        _manifests[key] = result.result
    return _manifests[key]


def _errors(result: dbtRunnerResult) -> list[str]:
    from dbt.artifacts.schemas.results import NodeStatus

    if result.exception is not None:
        return [f"dbt: {result.exception}"]
    failed = {NodeStatus.Error, NodeStatus.Fail, NodeStatus.RuntimeErr}
    return [
        f"{r.node.resource_type} {r.node.name} ({r.node.original_file_path}): {_cause(r.message)}"
        for r in getattr(result.result, "results", [])
        if r.status in failed
    ] or ["dbt finished without success"]


def _cause(message: str | None) -> str:
    """dbt's message names the node again on its first line ("Runtime Error in model …"); the
    database's error follows on the next (then the SQL and a caret)."""
    lines = [line.strip() for line in (message or "failed").splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else lines[0]


def stream(project_dir: Path, target: Path, args: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Run `dbt <args>` and yield its result events as they come."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    manifest = parsed_manifest(project_dir, target)
    events: queue.Queue[Any] = queue.Queue()

    def on_event(event: EventMsg) -> None:
        if event.info.name in RESULT_EVENTS:
            events.put(msg_to_dict(event))

    outcome: list[dbtRunnerResult | BaseException] = []

    def run() -> None:
        try:
            runner = dbtRunner(manifest=manifest, callbacks=[on_event])
            outcome.append(runner.invoke([*args, *_common_args(project_dir, target)]))
        except BaseException as exc:  # re-raised in the step's thread, below
            outcome.append(exc)
        finally:
            _close_database()
            events.put(_DONE)

    worker = threading.Thread(target=run, name="dbt", daemon=True)
    worker.start()
    while (event := events.get()) is not _DONE:
        yield event
    worker.join()
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    if not result.success:
        raise DbtFailed("; ".join(_errors(result)))
