"""dbt-duckdb plugin (dbt_project/profiles.yml, `plugins:`): dbt opens the run's warehouse file
under the step's memory cap.

Why the profile names neither: dbt reuses its partial-parse file only while the profile's
connection settings are unchanged, and the warehouse's path differs per home, the cap per step
(pipelines/settings.py: the marts step's is tighter). With the path in the profile, every new
home's first dbt step parsed the whole project again (3.5-4 s of the first run's ~10 s staging
step, and of every test that builds a warehouse). The profile carries a fixed placeholder and
this plugin swaps in the real file and the cap just before dbt connects, so the partial parse
that `make install` prepares (dbt_project/target/) serves every home and step.

Which file: EDUSTAT_WAREHOUSE, set by the Dagster step to its DuckDB resource's file; else, for
dbt by hand, the home's warehouse (`Home.from_env()`: EDUSTAT_HOME, by default the repo's var/).
"""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.plugins import BasePlugin

from pipelines.settings import WAREHOUSE_ENV, Home, duckdb_memory_limit


class Plugin(BasePlugin):
    def update_connection_config(self, creds: DuckDBCredentials, config: dict[str, Any]) -> None:
        # Called before every duckdb.connect of dbt-duckdb (its connect retries included), with
        # the config it connects with; the profile's hash, which decides partial parsing, was
        # taken from the placeholder. The cap: EDUSTAT_DUCKDB_MEMORY_LIMIT, set by the step.
        creds.path = os.environ.get(WAREHOUSE_ENV) or str(Home.from_env().warehouse)
        config["memory_limit"] = duckdb_memory_limit()
