"""Dagster asset `yearbook` (group `yearbook`), partitioned by academic year, and its schedule.

One partition = one academic year's TVET chapter of the national statistical yearbook
(pipelines/yearbook). A materialisation extracts from the marts with one short connection,
closes it, then renders and decides the release: an unchanged warehouse makes no new release
(metadata `status = unchanged`), a changed one makes the next release with a revisions report.

Schedule `yearbook_schedule`: 06:00 Astana time on 1 December builds the academic year that ended
that summer (1 Dec 2025 -> 2024-2025), after both of its collection rounds are final.
"""

# No `from __future__ import annotations`: Dagster reads the annotations at runtime.
from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    schedule,
)
from dagster_duckdb import DuckDBResource

from pipelines.assets.partitions import ACADEMIC_YEAR_PARTITIONS
from pipelines.assets.resources import HomeResource
from pipelines.yearbook import build, years

# The marts the yearbook reads (tables.yml), keyed `<schema>/<model>` as the dbt translator names
# them; all come from the one `dbt_marts` step, so this orders the yearbook after it.
SOURCE_MARTS = (
    "dim_region",
    "dim_round",
    "fct_enrolment",
    "fct_library_fund",
    "fct_college_year",
    "fct_worldskills_results",
    "fct_expected_colleges_by_year",
    "fct_dq_submission_status",
    "rpt_reporting_rates",
    "fct_indicator_values",
)


@asset(
    group_name="yearbook",
    partitions_def=ACADEMIC_YEAR_PARTITIONS,
    deps=[AssetKey(["marts", name]) for name in SOURCE_MARTS],
    output_required=False,
    description=(
        "Statistical yearbook, TVET chapter, for one academic year: "
        "yearbook/<year>/<release>/ with yearbook.xlsx, yearbook_kk/ru.pdf and .html, "
        "cells.csv (each cell -> its query), revisions_<release>.xlsx/.csv."
    ),
)
def yearbook(
    context: AssetExecutionContext, duckdb: DuckDBResource, home: HomeResource
) -> Iterator[MaterializeResult]:
    academic_year = context.partition_key
    with duckdb.get_connection() as con:
        if academic_year not in years.years_with_data(con):
            # Nothing to publish (no register for that year): no materialisation, not a failure,
            # so a run over every partition does not stop at the empty years.
            context.log.info(f"{academic_year}: no colleges in the register, no yearbook")
            return
        book = build.extract(academic_year, con=con)
    # The connection is closed: rendering (seconds) must not hold the single-writer warehouse.
    result = build.publish_book(book, home.home)
    context.log.info(result.summary())
    yield MaterializeResult(
        metadata={
            "status": MetadataValue.text(result.status),
            "release": MetadataValue.text(result.release),
            "path": MetadataValue.path(str(result.directory)),
            "compared_with": MetadataValue.text(result.previous or "—"),
            "changed_cells": MetadataValue.int(result.changed_cells),
            "tables": MetadataValue.int(len(book.tables)),
            "figures": MetadataValue.int(len(book.figures)),
            **{f"seconds_{k}": MetadataValue.float(round(v, 3)) for k, v in result.timings.items()},
        }
    )


# Partitioned by academic year like its asset (Dagster infers it from the selection).
yearbook_job = define_asset_job("yearbook_job", selection=AssetSelection.assets(yearbook))


def previous_academic_year(year: int) -> str:
    """The academic year that ended in the summer of `year` (December 2025 -> 2024-2025)."""
    return f"{year - 1}-{year}"


@schedule(
    job=yearbook_job,
    cron_schedule="0 6 1 12 *",
    execution_timezone="Asia/Almaty",
    # on as soon as the daemon runs, like the landing sensor: nobody has to remember December
    default_status=DefaultScheduleStatus.RUNNING,
    description="1 December: the yearbook of the academic year that ended that summer.",
)
def yearbook_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    academic_year = previous_academic_year(context.scheduled_execution_time.year)
    if academic_year not in ACADEMIC_YEAR_PARTITIONS.get_partition_keys():
        return SkipReason(f"{academic_year} is not in sources/reference/calendar.csv")
    return RunRequest(run_key=f"yearbook-{academic_year}", partition_key=academic_year)


# What pipelines/definitions.py collects from every asset module.
assets = [yearbook]
jobs = [yearbook_job]
schedules = [yearbook_schedule]
