"""The Dagster code location: workspace.yaml loads `defs` from here (python_module).

Every module in ASSET_MODULES exports module-level lists: `assets` and optionally
`asset_checks`, `sensors`, `jobs`, plus a `resources` dict. To add a step (dbt, data quality,
reports), write its module under pipelines/assets/ and append it here, in pipeline order; the
`published_snapshot` asset is built last, downstream of everything collected. `edustat run`
launches the jobs of pipelines/assets/jobs.py, whose selections cover every asset defined here.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

from dagster import (
    Definitions,
    Field,
    LoggerDefinition,
    colored_console_logger,
    in_process_executor,
)

from pipelines.assets.publish import build_published_snapshot_asset
from pipelines.assets.resources import default_resources
from pipelines.settings import LOG_LEVEL_ENV

ASSET_MODULES: tuple[str, ...] = (
    "pipelines.assets.reference",
    "pipelines.assets.ingest",
    "pipelines.assets.sensors",
    "pipelines.assets.warehouse",
    "pipelines.assets.quality",
    "pipelines.assets.reports",
    "pipelines.assets.yearbook",
    "pipelines.assets.jobs",
)


def _modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in ASSET_MODULES]


def _collect(modules: list[ModuleType], attr: str) -> list[Any]:
    return [item for m in modules for item in getattr(m, attr, [])]


def console_logger() -> LoggerDefinition:
    """The runs' console logger: Dagster's own, whose default level DEBUG made every run launched
    from the UI or by a sensor flood the `edustat ui` terminal. INFO unless asked (`edustat ui
    --verbose` sets DEBUG); the UI's event log keeps every level anyway."""
    level = (os.environ.get(LOG_LEVEL_ENV) or "INFO").upper()
    return LoggerDefinition(
        colored_console_logger.logger_fn,
        config_schema={
            "log_level": Field(str, is_required=False, default_value=level),
            "name": Field(str, is_required=False, default_value="dagster"),
        },
        description=f"Dagster's console logger at {level} ({LOG_LEVEL_ENV}).",
    )


def build_definitions() -> Definitions:
    modules = _modules()
    resources: dict[str, Any] = default_resources()
    for m in modules:
        resources.update(getattr(m, "resources", {}))
    assets = _collect(modules, "assets")
    return Definitions(
        # published_snapshot last: downstream of every asset, so a failed step or blocking check
        # anywhere skips it and `published/current` keeps the last good build.
        assets=[*assets, build_published_snapshot_asset(assets)],
        asset_checks=_collect(modules, "asset_checks"),
        sensors=_collect(modules, "sensors"),
        schedules=_collect(modules, "schedules"),
        jobs=_collect(modules, "jobs"),
        resources=resources,
        loggers={"console": console_logger()},
        # One process, steps in sequence: DuckDB has a single writer (docs/STACK.md trap 4), and
        # in-process is about twice as fast as multiprocess here.
        executor=in_process_executor,
    )


defs = build_definitions()
