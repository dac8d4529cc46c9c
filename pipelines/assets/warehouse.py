"""dbt assets (groups `staging`, `intermediate`, `marts`): the warehouse built from raw.* by dbt.

Two `@dbt_assets`, because the data-quality step (Python asset `dq_findings`, group `quality`)
runs between them (docs/ARCHITECTURE.md, "Flow"):

- `dbt_staging`: the staging models and the validation layer, the DQ step's input views
  (models/validation/, tag `dq_prep`), plus dbt's tests on the `raw` sources;
- `dbt_marts`: intermediate models and marts (including the DQ marts). Their dbt sources
  `dq.findings` and `dq_registry.landing_files` map to the asset key `dq_findings`, so Dagster
  runs them after the DQ step.

dagster-dbt reads target/manifest.json when this module is imported; it is prepared first when
it is missing or stale (pipelines/assets/dbt_project.py; otherwise it costs a stat of a few dozen
files), also under `edustat ui` (dagster dev), which loads the code location again after an edit.

Each dbt step writes its target folder (run_results.json, compiled SQL, logs) under
$EDUSTAT_HOME/dbt/, not into the repo, and keeps dbt's partial-parse file there; a home's first
step starts from the one prepared with the manifest.

Asset keys are dagster-dbt's defaults: `<schema>/<model>` (`staging/stg_nobd__students`,
`marts/fct_indicator_values`; every model folder configures its schema), and `raw/<table>` for the
`raw` sources, the ingest's keys: the schema-qualified table name, and never a clash with a
Python asset (`dq_findings` the step vs `marts/fct_dq_findings` the mart).
"""

# No `from __future__ import annotations`: Dagster reads the annotations at runtime.
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, Failure
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from dagster_dbt.asset_utils import get_subset_selection_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_duckdb import DuckDBResource

from pipelines import dbt_runner
from pipelines.assets.dbt_project import DBT_PROJECT, PARTIAL_PARSE, prepare_manifest
from pipelines.indicators import write_dbt_registry
from pipelines.settings import (
    DBT_PROJECT_DIR,
    DUCKDB_MEMORY_LIMIT_ENV,
    MARTS_MEMORY_LIMIT,
    WAREHOUSE_ENV,
    duckdb_memory_limit,
)
from pipelines.warehouse_migrations import migrate_marts

# dbt selections of the two steps. Tests on the `raw` sources run with staging; tests on the `dq`
# source (if the DQ engineer adds any) with the marts. Models tagged `dq_prep` (views the GX runner
# reads, models/validation/) must exist BEFORE the DQ step, so they go with staging.
STAGING_SELECT = "tag:staging tag:dq_prep source:raw"
STAGING_EXCLUDE = "tag:after_dq"  # singular tests over the marts (dbt_project.yml)
MARTS_SELECT = "tag:intermediate tag:marts source:dq"
MARTS_EXCLUDE = "tag:dq_prep"

KEEP_STEP_TARGETS = 10  # dbt target folders kept under $EDUSTAT_HOME/dbt/runs/ for debugging


class WarehouseTranslator(DagsterDbtTranslator):
    """Models and seeds are grouped by their layer (schema); their keys are dagster-dbt's own,
    `<configured schema>/<name>`, and a source table's `<source>/<table>` (the ingest's `raw/…`)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_group_name(dbt_resource_props)
        return dbt_resource_props["schema"]


# dbt's tests of the `raw` sources stay dbt tests, run by `dbt_staging`'s build (selected with
# `source:raw`): as Dagster checks of the partitioned raw assets they needed a run of their own
# (a dbt invocation of ~6 s for 7 not-null tests), since Dagster splits an unpartitioned job's
# dbt op around checks of partitioned assets.
TRANSLATOR = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

MANIFEST = prepare_manifest(DBT_PROJECT)


@contextmanager
def _warehouse_env(warehouse: Path, memory_limit: str) -> Iterator[None]:
    """Point dbt at the run's warehouse file (the DuckDB resource's), not at a path derived from
    the shell (a relative EDUSTAT_HOME would point elsewhere from dbt_project/), and at the step's
    memory cap: pipelines/dbt_warehouse.py reads both when dbt connects."""
    settings = {WAREHOUSE_ENV: str(warehouse), DUCKDB_MEMORY_LIMIT_ENV: memory_limit}
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _step_target(context: AssetExecutionContext, runs_dir: Path) -> Path:
    """A fresh target folder for this step, with this warehouse's last partial-parse file; older
    step folders beyond the newest KEEP_STEP_TARGETS are removed."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    old = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for stale in old[: max(0, len(old) - KEEP_STEP_TARGETS + 1)]:
        shutil.rmtree(stale, ignore_errors=True)
    # An op can run twice in one run (a checks-only step, or Dagster splitting a subset).
    step = f"{context.op_execution_context.op.name}-{context.run.run_id[:8]}-{uuid.uuid4().hex[:6]}"
    target = runs_dir / step
    target.mkdir(parents=True)
    # This warehouse's last parse, else the one prepared with the manifest (`make install`): the
    # profile does not name the home's file (pipelines/dbt_warehouse.py), so it fits every home.
    prepared = DBT_PROJECT.manifest_path.parent / PARTIAL_PARSE
    for saved in (runs_dir.parent / PARTIAL_PARSE, prepared):
        if saved.exists():
            shutil.copy2(saved, target / PARTIAL_PARSE)
            break
    return target


def _keep_partial_parse(target: Path, runs_dir: Path) -> None:
    fresh = target / PARTIAL_PARSE
    if fresh.exists():
        tmp = runs_dir.parent / f".{PARTIAL_PARSE}.{os.getpid()}"
        shutil.copy2(fresh, tmp)
        os.replace(tmp, runs_dir.parent / PARTIAL_PARSE)


def _selection(context: AssetExecutionContext, select: str, exclude: str) -> list[str]:
    """dbt's selection for this step: the decorator's, or the nodes of the assets and checks Dagster
    selected when it runs a subset (dagster-dbt's own choice, as its CLI resource makes it)."""
    args, indirect = get_subset_selection_for_context(
        context=context,
        manifest=MANIFEST,
        select=select,
        exclude=exclude,
        selector=None,
        dagster_dbt_translator=TRANSLATOR,
        current_dbt_indirect_selection_env=None,
    )
    return [*args, "--indirect-selection", indirect] if indirect else args


def _build(
    context: AssetExecutionContext,
    duckdb: DuckDBResource,
    selection: tuple[str, str],
    memory_limit: str,
):
    warehouse = Path(duckdb.database).resolve()
    runs_dir = warehouse.parent / "dbt" / "runs"
    target = _step_target(context, runs_dir)
    # A warehouse built before the marts' rename loses its old-named tables and keeps its
    # findings history under the new name (pipelines/warehouse_migrations.py): before dbt starts
    # and caches the schema's relations, and in both steps, since the staging step's check of the
    # regions' answers already reads the history by name (macro issued_findings).
    with duckdb.get_connection() as con:
        for change in migrate_marts(con):
            context.log.info(f"warehouse migration: {change}")
    # The models read the registry as pipelines/indicators.py validated it (macros/indicators.sql).
    write_dbt_registry(DBT_PROJECT_DIR)
    # dbt's unit tests check the SQL, not the data: they run in the test suite
    # (tests/test_warehouse.py), not in every build. dbt.log at info level: the debug level
    # (every statement, ~4 MB a step) cost ~1 s of each step; the SQL is in target/run.
    args = [
        "build",
        *_selection(context, *selection),
        "--exclude-resource-type", "unit_test",
        "--log-level-file", "info",
    ]  # fmt: skip
    with _warehouse_env(warehouse, memory_limit):
        try:
            for raw_event in dbt_runner.stream(DBT_PROJECT_DIR, target, args):
                event = DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={})
                yield from event.to_default_asset_events(
                    manifest=MANIFEST,
                    dagster_dbt_translator=TRANSLATOR,
                    context=context,
                    target_path=target,
                    project=DBT_PROJECT,
                )
        except dbt_runner.DbtFailed as failed:
            raise Failure(description=str(failed)) from None
    _keep_partial_parse(target, runs_dir)


@dbt_assets(
    manifest=MANIFEST,
    select=STAGING_SELECT,
    exclude=STAGING_EXCLUDE,
    name="dbt_staging",
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
)
def dbt_staging(context: AssetExecutionContext, duckdb: DuckDBResource):
    """Staging models (codes, regions, specialties normalised once) and the raw sources' tests."""
    yield from _build(context, duckdb, (STAGING_SELECT, STAGING_EXCLUDE), duckdb_memory_limit())


@dbt_assets(
    manifest=MANIFEST,
    select=MARTS_SELECT,
    exclude=MARTS_EXCLUDE,
    name="dbt_marts",
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
)
def dbt_marts(context: AssetExecutionContext, duckdb: DuckDBResource):
    """Intermediate models and marts: dims, facts, indicators (after the DQ step)."""
    yield from _build(
        context, duckdb, (MARTS_SELECT, MARTS_EXCLUDE), duckdb_memory_limit(MARTS_MEMORY_LIMIT)
    )


WAREHOUSE_ASSETS = [dbt_staging, dbt_marts]

# What pipelines/definitions.py collects from every asset module.
assets = WAREHOUSE_ASSETS
