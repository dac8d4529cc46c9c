"""Reference data into the warehouse: sources/reference/*.csv and the contracts' code lists.

Each CSV becomes `raw.ref_<stem>` (typed by pipelines.reference), and every accepted spelling of
every `allowed` code in the contracts becomes a row of `raw.ref_code_values`, so staging maps
spellings with a join instead of re-reading YAML. Tables are replaced as a whole, in one
transaction: reference data is small and has no history of its own (git has it).
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines import reference
from pipelines.contracts import all_contracts
from pipelines.ingest.schema import SCHEMA

CODE_VALUES_TABLE = "ref_code_values"


def table_name(stem: str) -> str:
    return f"ref_{stem}"


def reference_tables() -> list[str]:
    return [table_name(stem) for stem in reference.FILES] + [CODE_VALUES_TABLE]


def code_values() -> pl.DataFrame:
    """(source, sheet, column_name, spelling_normalised, code) from every contract `allowed` map."""
    rows = [
        (contract.source, sheet.name, col.name, spelling, code)
        for contract in all_contracts().values()
        for sheet in contract.sheets
        for col in sheet.columns
        for spelling, code in sorted(col.value_spellings().items())
    ]
    schema = ["source", "sheet", "column_name", "spelling_normalised", "code"]
    return pl.DataFrame(rows, schema={c: pl.String for c in schema}, orient="row")


def reference_frames() -> dict[str, pl.DataFrame]:
    # Bypass pipelines.reference's per-process cache: a long-lived Dagster code server must see
    # an edited CSV on the next materialisation.
    frames = {table_name(stem): reference.load.__wrapped__(stem) for stem in reference.FILES}
    frames[CODE_VALUES_TABLE] = code_values()
    return frames


def load_reference(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace every raw.ref_* table; rows per table."""
    frames = reference_frames()
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute("BEGIN TRANSACTION")
    try:
        for name, frame in frames.items():
            con.register("_ref", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{name} AS SELECT * FROM _ref")
            con.unregister("_ref")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {name: frame.height for name, frame in frames.items()}
