"""Dagster asset `published_snapshot` (group `publish`): the last step of every build.

It depends on every other asset of the build, so Dagster runs it only after all of them
materialised and none of their blocking checks failed (a failed upstream step or blocking check
skips it). A failed build therefore never touches `published/current`.

Wiring, in pipelines/definitions.py:

    from pipelines.assets.publish import build_published_snapshot_asset
    assets = [...everything else...]
    defs = Definitions(assets=[*assets, build_published_snapshot_asset(assets)], ...)
"""

# No `from __future__ import annotations`: Dagster checks the `context` annotation at runtime.

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    SourceAsset,
    asset,
)

from pipelines.publish.snapshot import PUBLIC_SCHEMA, STORAGE_VERSION, publish_snapshot
from pipelines.settings import DBT_PROJECT_DIR, Home

ASSET_NAME = "published_snapshot"
GROUP = "publish"
# Another process (a run launched from the UI, a BI tool opened on the live file by mistake) may
# hold the warehouse's writer lock for a while; wait for it instead of failing the build.
LOCK_WAIT_S = 120.0

Upstream = AssetsDefinition | AssetSpec | SourceAsset | AssetKey | str


def upstream_keys(upstream: Iterable[Upstream | object]) -> list[AssetKey]:
    """Every asset key materialised by `upstream` (multi-assets such as dbt's expand to all
    their models). Source assets, asset checks and other objects are skipped: they are not
    built by the run, so there is nothing to wait for."""
    keys: dict[AssetKey, None] = {}
    for item in upstream:
        if isinstance(item, AssetsDefinition):
            if not item.is_executable:
                continue
            for k in item.keys:
                keys[k] = None
        elif isinstance(item, AssetSpec):
            keys[item.key] = None
        elif isinstance(item, AssetKey):
            keys[item] = None
        elif isinstance(item, str):
            keys[AssetKey.from_user_string(item)] = None
    keys.pop(AssetKey(ASSET_NAME), None)
    return list(keys)


def _build_time(context: AssetExecutionContext) -> datetime:
    """The run's start time names the snapshot (build time), not the moment publishing began."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is not None and record.start_time:
        return datetime.fromtimestamp(record.start_time, tz=UTC)
    return datetime.now(UTC)


def _wait_for_writer_lock(home: Home, context: AssetExecutionContext) -> None:
    """Block until the warehouse can be opened read-write (or LOCK_WAIT_S passed)."""
    deadline = time.monotonic() + LOCK_WAIT_S
    delay = 0.5
    while True:
        try:
            duckdb.connect(str(home.warehouse)).close()
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            context.log.info(f"warehouse is locked by another process; retrying in {delay:.1f} s")
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def build_published_snapshot_asset(
    upstream: Iterable[Upstream | object],
    *,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
    docs: bool = True,
) -> AssetsDefinition:
    """The `published_snapshot` asset, downstream of every asset in `upstream`.

    `dbt_project_dir`/`docs` exist for tests that wire the asset to stand-in upstream assets.
    """

    @asset(
        name=ASSET_NAME,
        group_name=GROUP,
        deps=upstream_keys(upstream),
        kinds={"duckdb", "parquet"},
        description=(
            "Immutable read-only copy of the warehouse in published/<build time>/ (DuckDB file "
            f"in storage {STORAGE_VERSION} for 1.x clients, Parquet of the `{PUBLIC_SCHEMA}` "
            "schema, dbt docs); then published/current is swapped to it and old copies rotated."
        ),
    )
    def published_snapshot(context: AssetExecutionContext) -> MaterializeResult:
        home = Home.from_env()
        _wait_for_writer_lock(home, context)
        result = publish_snapshot(
            home,
            build_time=_build_time(context),
            run_id=context.run.run_id,
            dbt_project_dir=dbt_project_dir,
            docs=docs,
            log=context.log,
        )
        context.log.info(
            f"published {result.name}: {len(result.tables)} tables, "
            f"{len(result.parquet)} parquet files, {result.size_bytes / 1e6:.1f} MB in "
            f"{result.timings.get('total_s', 0):.1f} s; removed {result.removed or 'none'}"
        )
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(result.path)),
                "snapshot": result.name,
                "tables": len(result.tables),
                "rows": sum(result.tables.values()),
                "parquet_files": MetadataValue.json(result.parquet),
                "size_mb": round(result.size_bytes / 1e6, 2),
                "removed_snapshots": MetadataValue.json(result.removed),
                **{f"time_{k}": round(v, 2) for k, v in result.timings.items()},
            }
        )

    return published_snapshot
