"""dbt assets (groups `staging`, `intermediate`, `marts`): the warehouse built from raw.* by dbt.

Two `@dbt_assets`, because the data-quality step (Python asset `dq_findings`, group `quality`)
runs between them (docs/ARCHITECTURE.md, "Flow"):

- `dbt_staging`: the staging models and the validation layer, the DQ step's input views
  (models/validation/, tag `dq_prep`), plus the tests on the `raw` sources as asset checks on the
  ingest's `raw/<table>` assets;
- `dbt_marts`: intermediate models and marts (including the DQ marts). Their dbt sources
  `dq.findings` and `dq_registry.landing_files` map to the asset key `dq_findings`, so Dagster
  runs them after the DQ step.

dagster-dbt reads target/manifest.json when this module is imported. Only `dagster dev` prepares
it, so `ensure_manifest()` runs `dbt parse` here when the manifest is missing or older than any
file dbt parses (otherwise it costs a stat of a few dozen files). It writes atomically under a
file lock, so that parallel imports (pytest workers, a code server) never read a half-written
manifest.

Each dbt step writes its target folder (run_results.json, compiled SQL, logs) under
$EDUSTAT_HOME/dbt/, not into the repo, and keeps dbt's partial-parse file there per warehouse:
dbt's profile hash includes the DuckDB path, so a partial-parse file from another home would force
a full parse (a few seconds) in every step.

Asset keys are `<schema>/<model>` (`staging/stg_nobd__students`, `marts/indicator_values`), like
the ingest's `raw/<table>`: the schema-qualified table name, and never a clash with a Python asset
of the same name (`dq_findings` the step vs `marts/dq_findings` the mart).
"""

# No `from __future__ import annotations`: Dagster reads the annotations at runtime.
import fcntl
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource
from packaging import version

from pipelines.executables import dbt_executable
from pipelines.indicators import write_dbt_registry
from pipelines.settings import DBT_PROJECT_DIR, DUCKDB_MEMORY_LIMIT_ENV, duckdb_memory_limit

# What `dbt parse` reads; a change to any of these makes the manifest stale. indicators.yml is
# not among them: the models read its validated copy when they are compiled for a run
# (macros/indicators.sql), which every dbt step writes first.
_PARSED_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
_PARSED_DIRS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")

# dbt selections of the two steps. Tests on the `raw` sources run with staging; tests on the `dq`
# source (if the DQ engineer adds any) with the marts. Models tagged `dq_prep` (views the GX runner
# reads, models/validation/) must exist BEFORE the DQ step, so they go with staging.
STAGING_SELECT = "tag:staging tag:dq_prep source:raw"
STAGING_EXCLUDE = "tag:after_dq"  # singular tests over the marts (dbt_project.yml)
MARTS_SELECT = "tag:intermediate tag:marts source:dq"
MARTS_EXCLUDE = "tag:dq_prep"

PARTIAL_PARSE = "partial_parse.msgpack"
KEEP_STEP_TARGETS = 10  # dbt target folders kept under $EDUSTAT_HOME/dbt/runs/ for debugging


def _newest_input_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _PARSED_FILES:
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for name in _PARSED_DIRS:
        root = project_dir / name
        if not root.exists():
            continue
        # Directories too: deleting a model changes its folder's mtime, not any file's.
        newest = max(newest, root.stat().st_mtime)
        for path in root.rglob("*"):
            newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    manifest = project_dir / "target" / "manifest.json"
    return not manifest.exists() or manifest.stat().st_mtime < _newest_input_mtime(project_dir)


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """target/manifest.json, re-parsed first when missing or older than the project's files."""
    target = project_dir / "target"
    manifest = target / "manifest.json"
    if not manifest_is_stale(project_dir):
        return manifest
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # Another process may have parsed while we waited for the lock.
        if manifest_is_stale(project_dir):
            with tempfile.TemporaryDirectory(dir=target, prefix=".parse-") as tmp:
                result = subprocess.run(
                    [
                        dbt_executable(),
                        "parse",
                        "--quiet",
                        "--project-dir",
                        str(project_dir),
                        "--profiles-dir",
                        str(project_dir),
                        "--target-path",
                        tmp,
                    ],
                    cwd=project_dir,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    raise RuntimeError(
                        f"dbt parse failed in {project_dir}:\n{result.stdout}\n{result.stderr}"
                    )
                os.replace(Path(tmp) / "manifest.json", manifest)
    return manifest


class WarehouseTranslator(DagsterDbtTranslator):
    """Models: key `<schema>/<name>`, group = their layer. Sources keep their `meta` asset key."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_group_name(dbt_resource_props)
        return dbt_resource_props["schema"]


TRANSLATOR = WarehouseTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True,
        enable_source_tests_as_checks=True,
    )
)

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
MANIFEST = ensure_manifest(DBT_PROJECT.project_dir)


class WarehouseDbt(DbtCliResource):
    """DbtCliResource that takes dbt-core's version from the installed package: the stock one
    starts `dbt --version` (about 2 s) in every run to learn it."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


DBT_RESOURCE = WarehouseDbt(
    project_dir=DBT_PROJECT,
    profiles_dir=str(DBT_PROJECT_DIR),
    dbt_executable=dbt_executable(),
)


@contextmanager
def _warehouse_env(warehouse: Path) -> Iterator[None]:
    """Point dbt's profile at the run's warehouse file (the DuckDB resource's), not at a path
    derived from the shell: dbt runs in dbt_project/, where a relative EDUSTAT_HOME would point
    elsewhere. DbtCliResource passes os.environ to the dbt process when it starts it."""
    settings = {"EDUSTAT_WAREHOUSE": str(warehouse), DUCKDB_MEMORY_LIMIT_ENV: duckdb_memory_limit()}
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
    saved = runs_dir.parent / PARTIAL_PARSE
    if saved.exists():
        shutil.copy2(saved, target / PARTIAL_PARSE)
    return target


def _keep_partial_parse(target: Path, runs_dir: Path) -> None:
    fresh = target / PARTIAL_PARSE
    if fresh.exists():
        tmp = runs_dir.parent / f".{PARTIAL_PARSE}.{os.getpid()}"
        shutil.copy2(fresh, tmp)
        os.replace(tmp, runs_dir.parent / PARTIAL_PARSE)


def _build(context: AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    warehouse = Path(duckdb.database).resolve()
    runs_dir = warehouse.parent / "dbt" / "runs"
    target = _step_target(context, runs_dir)
    # The models read the registry as pipelines/indicators.py validated it (macros/indicators.sql).
    write_dbt_registry(DBT_PROJECT_DIR)
    with _warehouse_env(warehouse):
        # dbt's unit tests check the SQL, not the data: they run in the test suite
        # (tests/test_dbt_unit.py), not in every build.
        invocation = dbt.cli(
            ["build", "--exclude-resource-type", "unit_test"], context=context, target_path=target
        )
    yield from invocation.stream()
    _keep_partial_parse(target, runs_dir)


@dbt_assets(
    manifest=MANIFEST,
    select=STAGING_SELECT,
    exclude=STAGING_EXCLUDE,
    name="dbt_staging",
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
)
def dbt_staging(context: AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    """Staging models (codes, regions, specialties normalised once) and the raw sources' tests."""
    yield from _build(context, dbt, duckdb)


@dbt_assets(
    manifest=MANIFEST,
    select=MARTS_SELECT,
    exclude=MARTS_EXCLUDE,
    name="dbt_marts",
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
)
def dbt_marts(context: AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    """Intermediate models and marts: dims, facts, indicators (after the DQ step)."""
    yield from _build(context, dbt, duckdb)


WAREHOUSE_ASSETS = [dbt_staging, dbt_marts]

# What pipelines/definitions.py collects from every asset module.
assets = WAREHOUSE_ASSETS
resources = {"dbt": DBT_RESOURCE}
