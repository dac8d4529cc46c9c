"""The pipeline's jobs, each an asset selection, and the order `edustat run` launches them in.

    ingest_<group>   one per source contract (pipelines/assets/ingest.py), partitioned by round
                     or year; a range of partitions is one run (single-run backfill)
    warehouse        everything else that is neither per academic year nor publishing:
                     reference, file registry, dbt (with its tests of the raw tables the ingest
                     wrote), data-quality step, DQ packs
    yearbook_job     one academic year's yearbook (pipelines/assets/yearbook.py)
    publish          `published_snapshot`, after the yearbook: a failed yearbook publishes nothing
    build_warehouse  the daemon's build (pipelines/assets/sensors.py): `warehouse` and `publish`
                     in one run; its yearbooks follow

`edustat run` (pipelines/cli/run.py) launches `run_order(landing)`: the ingest of each source's
partitions with landing files, in the contracts' order, then the warehouse, the yearbook of every
academic year with files, and publishing.
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey, AssetSelection, define_asset_job

from pipelines.assets.ingest import INGEST_ASSETS, INGEST_JOBS
from pipelines.assets.partitions import (
    ACADEMIC_YEAR_PARTITIONS,
    keys_with_landing_files,
    partitions_of,
    source_keys_with_landing_files,
)
from pipelines.assets.publish import ASSET_NAME as PUBLISHED
from pipelines.assets.yearbook import yearbook, yearbook_job
from pipelines.contracts import all_contracts

_INGESTED = AssetSelection.assets(*INGEST_ASSETS.values())
_PUBLISHED = AssetSelection.assets(AssetKey(PUBLISHED))
_WAREHOUSE = AssetSelection.all() - _INGESTED - AssetSelection.assets(yearbook) - _PUBLISHED

warehouse_job = define_asset_job(
    "warehouse",
    selection=_WAREHOUSE,
    description="Reference, file registry, dbt, quality checks and DQ packs over the raw layer.",
)
publish_job = define_asset_job(
    "publish", selection=_PUBLISHED, description="Publish the snapshot (published/current)."
)
build_job = define_asset_job(
    "build_warehouse",
    selection=_WAREHOUSE | _PUBLISHED,
    description="dbt, quality checks, DQ packs and publish, over what the ingest runs loaded.",
)


@dataclass(frozen=True)
class PlannedRun:
    """One run `edustat run` launches: a job, over no partition, one, or a range."""

    label: str
    job_name: str
    partition_keys: tuple[str, ...] = ()  # () = unpartitioned; several = one range run

    @property
    def is_range(self) -> bool:
        return len(self.partition_keys) > 1


def contiguous(keys: list[str], order: list[str]) -> list[list[str]]:
    """['a','b','d'] in order a,b,c,d -> [['a','b'], ['d']]."""
    position = {k: i for i, k in enumerate(order)}
    runs: list[list[str]] = []
    for k in sorted(keys, key=position.__getitem__):
        if runs and position[k] == position[runs[-1][-1]] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _span(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{keys[0]} … {keys[-1]}"


def run_order(landing: Path, ingest: set[tuple[str, str]] | None = None) -> list[PlannedRun]:
    """The runs of one `edustat run`, in order. `ingest`: the (source, partition key) groups to
    ingest (pipelines/assets/landing_state.py `partitions_to_ingest`); None: every partition
    with landing files."""
    runs: list[PlannedRun] = []
    for source, contract in all_contracts().items():
        order = list(partitions_of(source).get_partition_keys())
        keys = source_keys_with_landing_files(contract, landing)
        if ingest is not None:
            keys = [k for k in keys if (source, k) in ingest]
        for chunk in contiguous(keys, order):
            label = f"{contract.group} [{_span(chunk)}]"
            runs.append(PlannedRun(label, INGEST_JOBS[source].name, tuple(chunk)))
    runs.append(PlannedRun(warehouse_job.name, warehouse_job.name))
    for year in keys_with_landing_files(ACADEMIC_YEAR_PARTITIONS, landing) or []:
        runs.append(PlannedRun(f"yearbook [{year}]", yearbook_job.name, (year,)))
    runs.append(PlannedRun(publish_job.name, publish_job.name))
    return runs


jobs = [warehouse_job, publish_job, build_job]
