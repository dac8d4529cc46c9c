"""Which academic years have data for a yearbook (partitions: pipelines/assets/partitions.py)."""

from __future__ import annotations

import duckdb


def years_with_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Academic years with at least one expected college in the warehouse's register.

    The register (the year's passports) is what every table counts against; a year without it
    would be a book of «–». Empty when the marts are not built yet.
    """
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'fct_expected_colleges_by_year'"
    ).fetchall()[0][0]
    if not exists:
        return []
    rows = con.execute(
        "select distinct academic_year from marts.fct_expected_colleges_by_year order by 1"
    ).fetchall()
    return [str(r[0]) for r in rows]
