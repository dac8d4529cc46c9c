"""Ingest assets: one per source contract (sources/contracts/*.yml), each in its own group and job.

A contract is all the wiring a source needs: `ingest_asset(contract)` makes its multi-asset
(`<source>s`, one asset per sheet, partitioned by the contract's `partition`), in the group named
after its landing folder, and `ingest_job(contract)` the job `ingest_<group>` that the landing
sensor and `edustat run` launch.

Asset keys are the raw tables (`raw/<table>`), the keys dbt's `raw` sources point at, so Dagster
orders dbt staging after the load. Each asset can materialise a range of partitions in one run
(BackfillPolicy.single_run): `edustat run` and UI backfills then pay Dagster's per-run overhead
once per source, not once per round.
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
    define_asset_job,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from pipelines.assets.partitions import partitions_of
from pipelines.assets.resources import HomeResource
from pipelines.contracts import Contract, all_contracts
from pipelines.ingest.loader import PartitionResult, ingest_partition
from pipelines.ingest.pseudonym import Pseudonymiser
from pipelines.ingest.pseudonym_key import load_key, verify_or_record
from pipelines.ingest.registry import REGISTRY
from pipelines.ingest.schema import ensure_schema
from pipelines.ingest.sweep import sweep
from pipelines.reference import source_partition_keys

if TYPE_CHECKING:
    from dagster import UnresolvedAssetJobDefinition

KINDS = {"duckdb", "polars"}


def raw_key(table: str) -> AssetKey:
    return AssetKey(["raw", table])


def _specs(contract: Contract) -> list[AssetSpec]:
    return [
        AssetSpec(
            raw_key(sheet.raw_table),
            group_name=contract.group,
            description=f"{contract.title['en']}, sheet '{sheet.name}': {sheet.description}",
            kinds=KINDS,
            partitions_def=partitions_of(contract.source),
        )
        for sheet in contract.sheets
    ]


def _run_ingest(
    context: AssetExecutionContext, contract: Contract, duckdb: DuckDBResource, home: HomeResource
) -> Iterator[MaterializeResult]:
    key = load_key(home.home, check_warehouse=False)
    # Compared with the warehouse's fingerprint inside the writer's own connection, before any
    # row is written: a run launched from the UI or the sensor is held to it too.
    with duckdb.get_connection() as con:
        ensure_schema(con)
        verify_or_record(con, key, str(home.home.pseudonym_key_file))
    pseudonymiser = Pseudonymiser(key)
    results: list[PartitionResult] = []
    for key in context.partition_keys:
        r = ingest_partition(contract, key, home.home.landing, duckdb.get_connection, pseudonymiser)
        context.log.info(
            f"{contract.source} {key}: {r.loaded} loaded, {r.rejected} rejected, "
            f"{r.skipped} unchanged, "
            f"{r.currency.superseded} superseded, {r.currency.restored} current again"
        )
        for reason in r.rejections:
            context.log.warning(reason)  # reasons name file/sheet/row/field, never a value
        results.append(r)
    common = {
        "partitions": MetadataValue.json([r.partition_key for r in results]),
        "files_loaded": sum(r.loaded for r in results),
        "files_rejected": sum(r.rejected for r in results),
        "files_unchanged": sum(r.skipped for r in results),
        "files_superseded": sum(r.currency.superseded for r in results),
    }
    for sheet in contract.sheets:
        yield MaterializeResult(
            asset_key=raw_key(sheet.raw_table),
            metadata={
                **common,
                "rows_inserted": sum(r.rows.get(sheet.raw_table, 0) for r in results),
            },
        )


def ingest_asset(contract: Contract) -> AssetsDefinition:
    """The source's multi-asset: every sheet of its contract, loaded from landing/ in one op."""

    @multi_asset(
        name=contract.asset_name,
        specs=_specs(contract),
        partitions_def=partitions_of(contract.source),
        backfill_policy=BackfillPolicy.single_run(),
        description=f"Load landing/{contract.landing_dir}/ with sources/contracts/"
        f"{contract.source}.yml into " + ", ".join(f"raw.{s.raw_table}" for s in contract.sheets),
    )
    def _ingest(
        context: AssetExecutionContext, duckdb: DuckDBResource, home: HomeResource
    ) -> Iterator[MaterializeResult]:
        yield from _run_ingest(context, contract, duckdb, home)

    return _ingest


def ingest_job(contract: Contract, assets_def: AssetsDefinition) -> "UnresolvedAssetJobDefinition":
    """`ingest_<group>`: the source's load over one partition or a range (single-run backfill).
    dbt's tests of its tables run with the warehouse's dbt build, once after every load."""
    return define_asset_job(
        f"ingest_{contract.group}",
        selection=AssetSelection.assets(assets_def).without_checks(),
        description=f"Ingest {contract.title['en']} files from landing/{contract.landing_dir}/.",
    )


# source -> its asset and its job, in the contracts' order.
INGEST_ASSETS = {source: ingest_asset(c) for source, c in all_contracts().items()}
INGEST_JOBS = {
    source: ingest_job(c, INGEST_ASSETS[source]) for source, c in all_contracts().items()
}


@asset(
    key=raw_key("landing_files"),
    group_name="ingest",
    deps=[k for a in INGEST_ASSETS.values() for k in a.keys],
    kinds={"duckdb"},
    description=(
        "The file registry: one row per file version under landing/ (docs/ARCHITECTURE.md). "
        "Runs after the per-source loads and registers files outside any known partition."
    ),
)
def landing_files(duckdb: DuckDBResource, home: HomeResource) -> MaterializeResult:
    result = sweep(home.home.landing, duckdb.get_connection, source_partition_keys())
    with duckdb.get_connection() as con:
        counts = con.execute(
            f"SELECT coalesce(source, '(none)'), status, count(*) FROM {REGISTRY} "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    return MaterializeResult(
        metadata={
            "stray_files_registered": result.registered,
            "emptied_partitions": result.emptied_partitions,
            "status_counts": MetadataValue.md(
                "| source | status | files |\n|---|---|---|\n"
                + "\n".join(f"| {s} | {st} | {n} |" for s, st, n in counts)
            ),
        }
    )


landing_sweep_job = define_asset_job(
    "landing_sweep", selection=AssetSelection.assets(landing_files)
)

assets = [*INGEST_ASSETS.values(), landing_files]
jobs = [*INGEST_JOBS.values(), landing_sweep_job]
