"""Resources of the code location: the warehouse (DuckDB) and the runtime folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, InitResourceContext
from dagster_duckdb import DuckDBResource

from pipelines.settings import Home, duckdb_memory_limit
from pipelines.warehouse_storage import create_if_missing


class HomeResource(ConfigurableResource):
    """EDUSTAT_HOME as a resource, so tests and the UI can point a run at another folder."""

    root: str

    @property
    def home(self) -> Home:
        return Home(Path(self.root))


class WarehouseResource(DuckDBResource):
    """The warehouse; a run that finds none creates it in the format publishing copies as it is
    (pipelines/warehouse_storage.py) before any step connects."""

    def setup_for_execution(self, context: InitResourceContext) -> None:
        create_if_missing(Path(self.database))


def default_resources(home: Home | None = None) -> dict[str, Any]:
    home = home or Home.from_env()
    return {
        # DuckDBResource opens a fresh connection per get_connection() and retries on a held
        # lock: exactly the short-lived connections the single-writer file needs.
        "duckdb": WarehouseResource(
            database=str(home.warehouse),
            connection_config={"memory_limit": duckdb_memory_limit()},
        ),
        "home": HomeResource(root=str(home.root)),
    }
