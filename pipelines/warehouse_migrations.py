"""What an existing warehouse must change before dbt builds it with the current names.

The public marts were renamed so that every relation in schema `marts` says what it is: `fct_`,
`dim_` or `rpt_` (issue 16, item 5; docs/QUERY_GUIDE.md "Renamed tables"). dbt builds the new
names but never drops a relation it no longer knows, so a warehouse built before the rename would
keep the old tables in `marts` beside the new ones: stale from the first build on, yet published
and queryable (a statistician would read an outdated `marts.indicator_values`). They are dropped.
`dq_finding_history` is the exception: it is incremental, its rows are the history of every
finding across builds (first issue, answers, corrections), which no build can recompute, so it
is renamed and dbt goes on merging into it.

`migrate_marts` runs before every dbt invocation of the pipeline (pipelines/assets/warehouse.py)
in Python, not as a dbt `on-run-start` hook: dbt reads the schema's relations into its cache
before the hooks run, and would then build the history afresh beside the renamed table. It is
idempotent: once the old names are gone it changes nothing, so it costs a catalogue query per
dbt step and can stay for warehouses that skip releases.
"""

from __future__ import annotations

from duckdb import DuckDBPyConnection

SCHEMA = "marts"

# Kept: renamed, rows and all (an incremental model's history).
RENAMED = {"dq_finding_history": "fct_dq_finding_history"}

# Rebuilt by every build under the new name: the old relation is dropped.
DROPPED = {
    "dq_findings": "fct_dq_findings",
    "dq_finding_answers": "fct_dq_finding_answers",
    "dq_quarantined_rows": "fct_dq_quarantined_rows",
    "dq_submission_status": "fct_dq_submission_status",
    "dq_pack_findings": "rpt_dq_pack_findings",
    "reporting_rates": "rpt_reporting_rates",
    "indicator_values": "fct_indicator_values",
    "indicator_values_by_group": "fct_indicator_values_by_group",
    "labels": "dim_label",  # the dbt seed
}


def _relations(con: DuckDBPyConnection) -> dict[str, str]:
    """Relation name -> 'BASE TABLE' or 'VIEW' in `marts` of the connected database."""
    rows = con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ?",
        [SCHEMA],
    ).fetchall()
    return dict(rows)


def migrate_marts(con: DuckDBPyConnection) -> list[str]:
    """Bring `marts` of a warehouse built before the rename to the current names, in one
    transaction. Returns one line per change, or per old table it had to leave; nothing when
    there was nothing to do."""
    present = _relations(con)
    done: list[str] = []
    con.begin()
    try:
        for old, new in RENAMED.items():
            if old not in present:
                continue
            if new in present:
                # Both exist only when dbt ran by hand on the new code before this step: the
                # new table then started a history of its own. Two histories are not merged
                # here, and rows are never dropped: the old one stays for the operator.
                done.append(f"{SCHEMA}.{old} kept: {SCHEMA}.{new} exists too (merge by hand)")
                continue
            kind = "VIEW" if present[old] == "VIEW" else "TABLE"
            con.execute(f"ALTER {kind} {SCHEMA}.{old} RENAME TO {new}")
            done.append(f"{SCHEMA}.{old} renamed to {SCHEMA}.{new}")
        for old, new in DROPPED.items():
            if old not in present:
                continue
            kind = "VIEW" if present[old] == "VIEW" else "TABLE"
            con.execute(f"DROP {kind} {SCHEMA}.{old}")
            done.append(f"{SCHEMA}.{old} dropped (now {SCHEMA}.{new})")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return done
