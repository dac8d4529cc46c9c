"""Dagster asset `published_snapshot` (group `publish`): the last step of every build.

It depends on every leaf of the asset graph (hence on every asset of the build), so Dagster runs
it only after all of them materialised and none of their blocking checks failed: a failed step or
blocking check anywhere upstream skips it. A failed build therefore never touches
`published/current`. The yearbook is one of those leaves: `edustat run` publishes in a run of its
own after the yearbook's (job `publish`, pipelines/assets/jobs.py), so a failed yearbook
publishes nothing.

Wiring, in pipelines/definitions.py:

    from pipelines.assets.publish import build_published_snapshot_asset
    assets = [...everything else...]
    defs = Definitions(assets=[*assets, build_published_snapshot_asset(assets)], ...)
"""

# No `from __future__ import annotations`: Dagster checks the `context` annotation at runtime.

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb as duckdb_module  # `duckdb` is the resource's parameter name below
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
from dagster_duckdb import DuckDBResource

from pipelines.assets.resources import HomeResource
from pipelines.ingest.registry import registry_digest
from pipelines.publish.snapshot import PUBLIC_SCHEMA, STORAGE_VERSION, publish_snapshot
from pipelines.settings import DBT_PROJECT_DIR

ASSET_NAME = "published_snapshot"
REGISTRY_DIGEST = "registry_digest"  # metadata: the file registry this snapshot was built from
GROUP = "publish"

Upstream = AssetsDefinition | AssetSpec | SourceAsset | AssetKey | str


def upstream_keys(upstream: Iterable[Upstream | object]) -> list[AssetKey]:
    """The leaves of the asset graph formed by `upstream`: every key that no other key in it
    depends on (multi-assets such as dbt's expand to their models).

    Depending on the leaves is enough: any asset that fails, or whose blocking check fails, has a
    leaf downstream (or is one) that is then skipped, so this asset is skipped too. It keeps the
    UI's graph readable (a handful of edges rather than one from every model). Non-executable
    source assets and objects that are not assets are ignored.
    """
    keys: dict[AssetKey, None] = {}
    has_downstream: set[AssetKey] = set()
    for item in upstream:
        if isinstance(item, AssetsDefinition):
            if not item.is_executable:
                continue
            for k in item.keys:
                keys[k] = None
                has_downstream.update(item.asset_deps.get(k, ()))
        elif isinstance(item, AssetSpec):
            keys[item.key] = None
            has_downstream.update(d.asset_key for d in item.deps)
        elif isinstance(item, AssetKey):
            keys[item] = None
        elif isinstance(item, str):
            keys[AssetKey.from_user_string(item)] = None
    keys.pop(AssetKey(ASSET_NAME), None)
    return [k for k in keys if k not in has_downstream]


def _registry_digest(con: "duckdb_module.DuckDBPyConnection") -> str:
    """The registry's digest; '' for a warehouse without one (a test's stand-in upstream)."""
    try:
        return registry_digest(con)
    except duckdb_module.CatalogException:
        return ""


def _build_time(context: AssetExecutionContext) -> datetime:
    """The run's start time names the snapshot (build time), not the moment publishing began."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is not None and record.start_time:
        return datetime.fromtimestamp(record.start_time, tz=UTC)
    return datetime.now(UTC)


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
    def published_snapshot(
        context: AssetExecutionContext, duckdb: DuckDBResource, home: HomeResource
    ) -> MaterializeResult:
        # What the registry said when this snapshot was made: the daemon's build sensor compares
        # it with the registry now to know whether anything landed since (assets/sensors.py).
        with duckdb.get_connection() as con:
            built_from = _registry_digest(con)
        # The `duckdb` resource's connection retries while another process holds the writer
        # lock (a run launched from the UI, say) and matches the configuration of every other
        # connection this run opens on the file.
        result = publish_snapshot(
            home.home,
            connect=duckdb.get_connection,
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
                REGISTRY_DIGEST: built_from,
                **{f"time_{k}": round(v, 2) for k, v in result.timings.items()},
            }
        )

    return published_snapshot
