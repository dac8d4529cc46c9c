"""The daemon's part of the pipeline: a file dropped into landing/ is ingested, built and published
with nobody typing a command, and nothing is redone that `edustat run` has already done.

- `landing_sensor`: an ingest run for each partition (or the landing sweep) holding a file version
  the registry has not taken in, or missing a version it counts as current
  (pipelines/assets/landing_state.py). The registry is the record every path shares: right after
  `edustat run`, or after the UI's own runs, it requests nothing.
- `build_sensor`: when no run is queued or running and the registry differs from the one the
  current published snapshot was built from (metadata `registry_digest` of `published_snapshot`),
  one `build_warehouse` run: dbt, checks, packs, publish.
- `yearbook_after_build`: after a `build_warehouse` run succeeds, the yearbook of every academic
  year with files, as `edustat run` does after its build.

The jobs are pipelines/assets/jobs.py's; the ingest job of each source comes from its contract.

While runs are queued or running (the daemon's, or an `edustat run` going round by round), both
sensors wait for them to end and then decide against what they left: nothing is requested twice.
A run left STARTED by an `edustat run` that was killed does not count (its pid tag names a dead
process).
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.
import os
from collections.abc import Iterator

import duckdb
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_status_sensor,
    sensor,
)

from pipelines.assets.ingest import INGEST_JOBS, landing_sweep_job
from pipelines.assets.jobs import build_job
from pipelines.assets.landing_state import (
    WarehouseBusy,
    landing_versions,
    pending_groups,
    read_registry,
)
from pipelines.assets.partitions import ACADEMIC_YEAR_PARTITIONS, keys_with_landing_files
from pipelines.assets.publish import ASSET_NAME as PUBLISHED
from pipelines.assets.publish import REGISTRY_DIGEST
from pipelines.assets.resources import HomeResource
from pipelines.assets.yearbook import yearbook_job
from pipelines.ingest.registry import registry_digest
from pipelines.orphaned_runs import mark_orphaned_runs_failed
from pipelines.reference import source_partition_keys
from pipelines.settings import LOG_LEVEL_ENV

_JOB_OF_SOURCE = {source: job.name for source, job in INGEST_JOBS.items()}
TRIGGER_TAGS = {"edustat/trigger": "landing"}
# Ticks: the sum of two ticks is most of the wait between a dropped file and its publication,
# and each costs a directory walk (hashes of unchanged files are remembered) or one query.
INTERVAL_S = 15


def run_config() -> dict[str, object]:
    """Console level of the runs these sensors launch: INFO, DEBUG with `edustat ui --verbose`.
    (Without logger config a run logs at the instance's python_log_level, dagster.yaml.)"""
    level = (os.environ.get(LOG_LEVEL_ENV) or "INFO").upper()
    return {"loggers": {"console": {"config": {"log_level": level}}}}


_ACTIVE = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


def runs_in_progress(instance: DagsterInstance) -> int:
    """Runs queued or running. A run whose `edustat run` process is gone (killed: nothing marked
    it) is marked failed first (pipelines/orphaned_runs.py), so it never holds the queue."""
    mark_orphaned_runs_failed(instance)
    return len(instance.get_run_records(RunsFilter(statuses=_ACTIVE), limit=100))


def _group_of_partition() -> dict[tuple[str | None, str | None], tuple[str, str]]:
    return {
        (source, key): (_JOB_OF_SOURCE[source], key)
        for source, keys in source_partition_keys().items()
        for key in keys
    }


@sensor(
    name="landing_sensor",
    jobs=[*INGEST_JOBS.values(), landing_sweep_job],
    minimum_interval_seconds=INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="Ingest the partitions of landing/ holding files the registry has not taken in.",
)
def landing_sensor(
    context: SensorEvaluationContext, home: HomeResource
) -> SensorResult | SkipReason:
    # While runs are on (this sensor's, or an `edustat run` ingesting round after round), the
    # registry is about to change: decide when they are over, against what they left.
    if runs_in_progress(context.instance):
        return SkipReason("runs are queued or running: look again after them")
    now = landing_versions(
        home.home.landing, source_partition_keys(), _JOB_OF_SOURCE, landing_sweep_job.name
    )
    try:
        registry = read_registry(home.home.warehouse)
    except WarehouseBusy:
        return SkipReason("the warehouse is being written (a run is on): next tick")
    pending = pending_groups(now, registry, _group_of_partition())
    if not pending:
        return SkipReason("every file under landing/ is in the registry")
    requests = [
        RunRequest(
            run_key=f"{job}|{key}|{change}",
            job_name=job,
            partition_key=key or None,
            tags=TRIGGER_TAGS,
            run_config=run_config(),
        )
        for (job, key), change in sorted(pending.items())
    ]
    return SensorResult(run_requests=requests)


def _published_from(context: SensorEvaluationContext) -> str | None:
    """The registry digest the latest published snapshot was built from (None: never built)."""
    event = context.instance.get_latest_materialization_event(AssetKey(PUBLISHED))
    materialization = event.asset_materialization if event else None
    if materialization is None:
        return None
    value = materialization.metadata.get(REGISTRY_DIGEST)
    return str(value.value) if value is not None else None


@sensor(
    name="build_sensor",
    jobs=[build_job],
    minimum_interval_seconds=INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="Build and publish when the registry changed since the published snapshot.",
)
def build_sensor(context: SensorEvaluationContext, home: HomeResource) -> RunRequest | SkipReason:
    if runs_in_progress(context.instance):
        return SkipReason("runs are queued or running: build after them")
    if not home.home.warehouse.exists():
        return SkipReason("no warehouse yet")

    try:
        with duckdb.connect(str(home.home.warehouse), read_only=True) as con:
            now = registry_digest(con)
    except duckdb.IOException:
        return SkipReason("the warehouse is being written: next tick")
    except duckdb.CatalogException:
        return SkipReason("no file registry yet")
    if now == _published_from(context):
        return SkipReason("the published snapshot holds every registered file")
    return RunRequest(
        run_key=f"build|{now[:20]}",
        job_name=build_job.name,
        tags=TRIGGER_TAGS,
        run_config=run_config(),
    )


@run_status_sensor(
    name="yearbook_after_build",
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[build_job],
    request_job=yearbook_job,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=INTERVAL_S,
    description="After a build launched by the daemon: the yearbook of each year with files.",
)
def yearbook_after_build(context: RunStatusSensorContext) -> Iterator[RunRequest]:
    from pipelines.settings import Home

    run_id = context.dagster_run.run_id
    for academic_year in (
        keys_with_landing_files(ACADEMIC_YEAR_PARTITIONS, Home.from_env().landing) or []
    ):
        yield RunRequest(
            run_key=f"yearbook|{academic_year}|{run_id}",
            partition_key=academic_year,
            tags=TRIGGER_TAGS,
            run_config=run_config(),
        )


sensors = [landing_sensor, build_sensor, yearbook_after_build]
