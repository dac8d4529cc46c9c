"""`edustat`: one entry point; each subcommand lives in its own module under pipelines/cli/.

Heavy libraries (dagster, GX, dbt) are imported inside the commands, so `edustat --help` is fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="edustat",
    help="Kazakhstan TVET education statistics: ingest, warehouse, data quality, yearbook.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module defines `register(app: typer.Typer) -> None`. Order = order in `--help`.
COMMAND_MODULES = (
    "pipelines.cli.demo_data",
    "pipelines.cli.run",
    "pipelines.cli.status",
    "pipelines.cli.contracts",
    "pipelines.cli.reports",
    "pipelines.cli.yearbook",
    "pipelines.cli.sql",
    "pipelines.cli.rekey",
    "pipelines.cli.ui",
    "pipelines.cli.bench",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


if __name__ == "__main__":
    app()
