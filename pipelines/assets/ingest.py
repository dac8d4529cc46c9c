"""Ingest assets: one group per source, partitioned by round (NOBD) or year (passports, CIS).

Asset keys are the raw tables (`raw/<table>`), the keys dbt's `raw` sources point at, so Dagster
orders dbt staging after the load. Each asset can materialise a range of partitions in one run
(BackfillPolicy.single_run): `edustat run` and UI backfills then pay Dagster's per-run overhead
once per source, not once per round.
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.
from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
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

from pipelines.assets.partitions import (
    ROUND_PARTITIONS,
    YEAR_PARTITIONS,
    partitions_of,
    source_partition_keys,
)
from pipelines.assets.resources import HomeResource
from pipelines.contracts import Contract, load_contract
from pipelines.ingest.loader import PartitionResult, ingest_partition
from pipelines.ingest.pseudonym import Pseudonymiser
from pipelines.ingest.pseudonym_key import load_key, verify_or_record
from pipelines.ingest.registry import REGISTRY
from pipelines.ingest.schema import ensure_schema
from pipelines.ingest.sweep import sweep

GROUPS = {
    "nobd_submission": "nobd",
    "college_passport": "passports",
    "worldskills_export": "worldskills",
    "dq_response": "responses",
}
KINDS = {"duckdb", "polars"}


def raw_key(table: str) -> AssetKey:
    return AssetKey(["raw", table])


def _specs(contract: Contract) -> list[AssetSpec]:
    return [
        AssetSpec(
            raw_key(sheet.raw_table),
            group_name=GROUPS[contract.source],
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


_NOBD = load_contract("nobd_submission")
_PASSPORTS = load_contract("college_passport")
_WORLDSKILLS = load_contract("worldskills_export")


@multi_asset(
    name="nobd_submissions",
    specs=_specs(_NOBD),
    partitions_def=ROUND_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    description="Load landing/nobd/<round>/ submissions into raw.nobd_*; latest signed is current.",
)
def nobd_submissions(
    context: AssetExecutionContext, duckdb: DuckDBResource, home: HomeResource
) -> Iterator[MaterializeResult]:
    yield from _run_ingest(context, _NOBD, duckdb, home)


@multi_asset(
    name="college_passports",
    specs=_specs(_PASSPORTS),
    partitions_def=YEAR_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    description="Load landing/passports/<year>/ into raw.passports.",
)
def college_passports(
    context: AssetExecutionContext, duckdb: DuckDBResource, home: HomeResource
) -> Iterator[MaterializeResult]:
    yield from _run_ingest(context, _PASSPORTS, duckdb, home)


@multi_asset(
    name="worldskills_exports",
    specs=_specs(_WORLDSKILLS),
    partitions_def=YEAR_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    description="Load landing/worldskills/<year>/ CIS exports into raw.worldskills_results.",
)
def worldskills_exports(
    context: AssetExecutionContext, duckdb: DuckDBResource, home: HomeResource
) -> Iterator[MaterializeResult]:
    yield from _run_ingest(context, _WORLDSKILLS, duckdb, home)


_RESPONSES = load_contract("dq_response")


@multi_asset(
    name="dq_responses",
    specs=_specs(_RESPONSES),
    partitions_def=ROUND_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    description="Load the regions' answered packs in landing/responses/<round>/ into "
    "raw.dq_responses.",
)
def dq_responses(
    context: AssetExecutionContext, duckdb: DuckDBResource, home: HomeResource
) -> Iterator[MaterializeResult]:
    yield from _run_ingest(context, _RESPONSES, duckdb, home)


INGEST_ASSETS = [nobd_submissions, college_passports, worldskills_exports, dq_responses]


@asset(
    key=raw_key("landing_files"),
    group_name="ingest",
    deps=[k for a in INGEST_ASSETS for k in a.keys],
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


# Jobs the landing sensor launches (and the UI lists); partitioned like their assets.
ingest_rounds_job = define_asset_job(
    "ingest_nobd", selection=AssetSelection.assets(nobd_submissions, dq_responses)
)
ingest_years_job = define_asset_job(
    "ingest_yearly", selection=AssetSelection.assets(college_passports, worldskills_exports)
)
landing_sweep_job = define_asset_job(
    "landing_sweep", selection=AssetSelection.assets(landing_files)
)

assets = [*INGEST_ASSETS, landing_files]
jobs = [ingest_rounds_job, ingest_years_job, landing_sweep_job]
