"""Asset `reference` (group `reference`): reference CSVs and contract code lists -> raw.ref_*."""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.
from collections.abc import Iterator

from dagster import AssetKey, AssetSpec, MaterializeResult, multi_asset
from dagster_duckdb import DuckDBResource

from pipelines.ingest.reference import load_reference, reference_tables


@multi_asset(
    name="reference",
    specs=[
        AssetSpec(AssetKey(["raw", t]), group_name="reference", kinds={"duckdb"})
        for t in reference_tables()
    ],
    description="Replace raw.ref_* from sources/reference/*.csv and the contracts' code lists.",
)
def reference(duckdb: DuckDBResource) -> Iterator[MaterializeResult]:
    with duckdb.get_connection() as con:
        rows = load_reference(con)
    for table, n in rows.items():
        yield MaterializeResult(asset_key=AssetKey(["raw", table]), metadata={"rows": n})


assets = [reference]
