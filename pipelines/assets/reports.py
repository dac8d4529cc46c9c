"""Dagster asset `dq_report_packs` (group `reports`): the regional and national DQ packs.

Runs after the dbt marts it reads and rebuilds every round's packs on every run, so the packs
under reports/dq/ always match the warehouse the run just built (pipelines/reports/build.py); a
pack whose inputs did not change is linked from the last run's, not rendered again.
"""

# No `from __future__ import annotations`: Dagster reads the annotations at runtime.
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.assets.resources import HomeResource
from pipelines.reports.build import NATIONAL, build_packs, dq_root

# The marts the packs read, keyed `<schema>/<model>` as pipelines/assets/warehouse.py's
# translator names dbt models. They all come from the one `dbt_marts` step, so depending on them
# orders this asset after it.
SOURCE_MARTS = (
    "fct_dq_findings",
    "fct_dq_submission_status",
    "rpt_reporting_rates",
    "dim_region",
    "dim_college",
    "dim_round",
)


@asset(
    group_name="reports",
    deps=[AssetKey(["marts", name]) for name in SOURCE_MARTS],
    description=(
        "Data-quality report packs per round: reports/dq/<round>/<region_code>/ and "
        ".../national/, each report_kk/ru.xlsx and report_kk/ru.html."
    ),
)
def dq_report_packs(context: AssetExecutionContext, home: HomeResource) -> MaterializeResult:
    summary = build_packs(home.home)
    regional = [p for p in summary.packs if p.region_code != NATIONAL]
    for round_id in summary.rounds:
        packs = [p for p in regional if p.round_id == round_id]
        context.log.info(f"{round_id}: {len(packs)} regional packs + national")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(dq_root(home.home))),
            "rounds": MetadataValue.text(", ".join(summary.rounds) or "—"),
            "regional_packs": MetadataValue.int(len(regional)),
            "national_packs": MetadataValue.int(len(summary.packs) - len(regional)),
            "findings_listed": MetadataValue.int(sum(p.findings for p in regional)),
            "packs_unchanged": MetadataValue.int(summary.reused),
            "seconds_reading": MetadataValue.float(round(summary.seconds_reading, 3)),
            "seconds_writing": MetadataValue.float(round(summary.seconds_writing, 3)),
        }
    )


# What pipelines/definitions.py collects from every asset module.
assets = [dq_report_packs]
