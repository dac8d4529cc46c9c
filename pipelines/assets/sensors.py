"""Sensor `landing_sensor`: launch ingest runs when files under landing/ appear, change or vanish.

It fingerprints each partition folder by its files' paths, sizes and mtimes (cheap: no file is
read) and keeps one digest per partition in the cursor. A partition whose digest changed gets a
run whose run_key is that digest, so the same state is never ingested twice, and a file put back
as it was (same digest as an earlier run) is not re-run either — the ingest would skip it anyway.
Files outside every partition trigger the landing sweep.
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.
import hashlib
import json
from collections import defaultdict

from dagster import (
    DagsterInvariantViolationError,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines.assets.ingest import ingest_rounds_job, ingest_years_job, landing_sweep_job
from pipelines.assets.partitions import source_partition_keys
from pipelines.assets.resources import HomeResource
from pipelines.ingest.discovery import all_files, owner
from pipelines.orphaned_runs import mark_orphaned_runs_failed

_JOB_OF_SOURCE = {
    "nobd_submission": ingest_rounds_job.name,
    "college_passport": ingest_years_job.name,
    "worldskills_export": ingest_years_job.name,
}
_SWEEP = (landing_sweep_job.name, "")


def fingerprints(home: HomeResource) -> dict[tuple[str, str], str]:
    """(job name, partition key or '') -> digest of that group's (path, size, mtime) list."""
    partitions = source_partition_keys()
    entries: dict[tuple[str, str], list[str]] = defaultdict(list)
    for f in all_files(home.home.landing):
        found = owner(f.path, partitions)
        group = (_JOB_OF_SOURCE[found[0].source], found[1]) if found else _SWEEP
        entries[group].append(f"{f.path}\t{f.size}\t{f.mtime_ns}")
    return {
        g: hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest()[:20]
        for g, v in entries.items()
    }


@sensor(
    name="landing_sensor",
    jobs=[ingest_rounds_job, ingest_years_job, landing_sweep_job],
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Launch ingest runs for partitions of landing/ whose files changed.",
)
def landing_sensor(
    context: SensorEvaluationContext, home: HomeResource
) -> SensorResult | SkipReason:
    # A run whose `edustat run` process was killed would hold the one-run queue forever.
    try:
        instance = context.instance
    except DagsterInvariantViolationError:  # a context built without an instance
        instance = None
    for run_id in mark_orphaned_runs_failed(instance) if instance else []:
        context.log.warning(f"run {run_id} marked failed: its process is gone")
    previous: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = fingerprints(home)
    cursor = {f"{job}|{key}": digest for (job, key), digest in current.items()}
    requests = []
    for group in sorted(set(cursor) | set(previous)):
        digest = cursor.get(group, "gone")  # a vanished folder changes currency too
        if previous.get(group) == digest:
            continue
        job, key = group.split("|", 1)
        requests.append(
            RunRequest(
                run_key=f"{group}|{digest}",
                job_name=job,
                partition_key=key or None,
                tags={"edustat/trigger": "landing"},
            )
        )
    if not requests:
        return SkipReason("landing/ unchanged")
    return SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))


sensors = [landing_sensor]
