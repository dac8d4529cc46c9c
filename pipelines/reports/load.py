"""Read one round's DQ marts into report-pack values (pipelines.reports.model).

Everything is read over a read-only connection and held in memory, and the connection is closed
before anything is rendered: DuckDB allows one writer per file, and a report build must never be
the reason an ingest or a dbt run cannot take its lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.i18n import message
from pipelines.reports.model import (
    AnswerCounts,
    CollegeStatus,
    Counts,
    Finding,
    NationalPack,
    Region,
    RegionPack,
    RegionRank,
    RoundInfo,
)

SCHEMA = "marts"
REQUIRED_TABLES = (
    "dim_round",
    "dim_region",
    "dim_college",
    "fct_dq_submission_status",
    "rpt_dq_pack_findings",
    "fct_dq_finding_history",
    "rpt_reporting_rates",
    "dim_label",
)


class WarehouseNotReady(RuntimeError):
    """The warehouse file or its DQ marts do not exist yet; the message is in kk, ru and en."""


class UnknownSelection(LookupError):
    """A round or region the warehouse does not have; the message is in kk, ru and en."""


@contextmanager
def connect_readonly(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if not path.exists():
        raise WarehouseNotReady(message("warehouse_missing", path=path))
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        # Another process holds the write lock (a run in progress).
        raise WarehouseNotReady(message("warehouse_busy", path=path)) from exc
    try:
        missing = _missing_tables(con)
        if missing:
            tables = ", ".join(f"{SCHEMA}.{name}" for name in missing)
            raise WarehouseNotReady(message("marts_missing", tables=tables))
        yield con
    finally:
        con.close()


def _missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [SCHEMA]
        ).fetchall()
    }
    return [name for name in REQUIRED_TABLES if name not in present]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    rel = con.execute(sql, list(params))
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


# --- rounds ---------------------------------------------------------------------------------


def all_rounds(con: duckdb.DuckDBPyConnection) -> list[RoundInfo]:
    """Every round of the calendar, oldest first (the previous round is the one before)."""
    rows = _rows(
        con,
        f"""
        select round_id, academic_year, season, reference_date, due_date, grace_days
        from {SCHEMA}.dim_round order by reference_date, round_id
        """,
    )
    return [RoundInfo(**row) for row in rows]


def rounds_with_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rounds that have expected colleges, in calendar order: those get packs."""
    present = {
        row[0]
        for row in con.execute(
            f"select distinct round_id from {SCHEMA}.fct_dq_submission_status"
        ).fetchall()
    }
    return [r.round_id for r in all_rounds(con) if r.round_id in present]


# --- counts ---------------------------------------------------------------------------------

_STATUS_KEYS = (
    "on_time",
    "late",
    "missing",
    "held_back",
    "previous_version_current",
    "corrected_after_due_date",
)
_FINDING_KEYS = ("hold_findings", "quarantined_rows", "warning_findings")


def _status_counts(con: duckdb.DuckDBPyConnection, round_id: str) -> dict[str | None, dict]:
    rows = _rows(
        con,
        f"""
        select region_code,
               count(*) filter (where status = 'on_time') as on_time,
               count(*) filter (where status = 'late') as late,
               count(*) filter (where status = 'missing') as missing,
               count(*) filter (where is_held_back) as held_back,
               count(*) filter (where previous_version_current) as previous_version_current,
               count(*) filter (where corrected_after_due_date) as corrected_after_due_date
        from {SCHEMA}.fct_dq_submission_status
        where round_id = ? and status <> 'superseded'
        group by region_code
        """,
        [round_id],
    )
    return {row.pop("region_code"): row for row in rows}


def _rates(con: duckdb.DuckDBPyConnection, round_id: str) -> dict[str | None, dict]:
    rows = _rows(
        con,
        f"""
        select case when level = 'national' then null else region_code end as region_code,
               expected, actual, actual_on_time, reporting_rate, reporting_rate_on_time
        from {SCHEMA}.rpt_reporting_rates
        where round_id = ? and level in ('national', 'region')
        """,
        [round_id],
    )
    return {row.pop("region_code"): row for row in rows}


def _findings_cte(round_id: str) -> tuple[str, list[Any]]:
    # Which findings a round's packs list, and in which region's pack (NULL: the national
    # overview only), is decided in the mart (dbt_project/models/marts/dq/rpt_dq_pack_findings.sql).
    sql = f"""
        with scoped as (
            select * from {SCHEMA}.rpt_dq_pack_findings where pack_round_id = ?
        )
    """
    return sql, [round_id]


def _finding_counts(con: duckdb.DuckDBPyConnection, round_id: str) -> dict[str | None, dict]:
    cte, params = _findings_cte(round_id)
    rows = _rows(
        con,
        cte
        + """
        select pack_region_code as region_code,
               count(*) filter (where severity = 'hold') as hold_findings,
               count(distinct (file_id, sheet, row_number))
                   filter (where severity = 'quarantine' and row_number is not null)
                   as quarantined_rows,
               count(*) filter (where severity = 'warning') as warning_findings
        from scoped group by pack_region_code
        """,
        params,
    )
    return {row.pop("region_code"): row for row in rows}


def _counts(status: dict | None, rates: dict | None, findings: dict | None) -> Counts | None:
    if rates is None and status is None:
        return None
    status = status or dict.fromkeys(_STATUS_KEYS, 0)
    rates = rates or {}
    findings = findings or {}
    expected = rates.get("expected", status["on_time"] + status["late"] + status["missing"])
    return Counts(
        expected=int(expected or 0),
        submitted=int(rates.get("actual", status["on_time"] + status["late"]) or 0),
        on_time=int(rates.get("actual_on_time", status["on_time"]) or 0),
        late=int(status["late"]),
        missing=int(status["missing"]),
        held_back=int(status["held_back"]),
        previous_version_current=int(status["previous_version_current"]),
        corrected_after_due_date=int(status["corrected_after_due_date"]),
        hold_findings=int(findings.get("hold_findings", 0)),
        quarantined_rows=int(findings.get("quarantined_rows", 0)),
        warning_findings=int(findings.get("warning_findings", 0)),
        reporting_rate=_float(rates.get("reporting_rate")),
        reporting_rate_on_time=_float(rates.get("reporting_rate_on_time")),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _sum_findings(counts: dict[str | None, dict]) -> dict:
    return {key: sum(row[key] for row in counts.values()) for key in _FINDING_KEYS}


@dataclass(frozen=True)
class _RoundCounts:
    by_region: dict[str, Counts]
    national: Counts | None


def _round_counts(con: duckdb.DuckDBPyConnection, info: RoundInfo) -> _RoundCounts:
    status = _status_counts(con, info.round_id)
    rates = _rates(con, info.round_id)
    findings = _finding_counts(con, info.round_id)
    regions = sorted({code for code in (*status, *rates) if code is not None})
    by_region = {}
    for code in regions:
        counts = _counts(status.get(code), rates.get(code), findings.get(code))
        if counts is not None:
            by_region[code] = counts
    national_status = {key: sum(row[key] for row in status.values()) for key in _STATUS_KEYS}
    national = _counts(
        national_status if status else None, rates.get(None), _sum_findings(findings)
    )
    return _RoundCounts(by_region, national)


# --- names, lists ---------------------------------------------------------------------------


def _regions(con: duckdb.DuckDBPyConnection, info: RoundInfo) -> dict[str, Region]:
    # Names valid at the round's reference date (a region may have been renamed since).
    rows = _rows(
        con,
        f"""
        select region_code, name_kk, name_ru
        from {SCHEMA}.dim_region
        qualify row_number() over (
            partition by region_code
            order by (valid_from <= ? and (valid_to is null or valid_to > ?)) desc,
                     valid_from desc
        ) = 1
        """,
        [info.reference_date, info.reference_date],
    )
    return {r["region_code"]: Region(r["region_code"], r["name_kk"], r["name_ru"]) for r in rows}


def _college_names_cte(info: RoundInfo) -> tuple[str, list[Any]]:
    # The passport of the round's academic year names the college; an older or newer passport
    # is the fallback for a college that has none that year.
    sql = f"""
        college_names as (
            select college_bin, name_kk, name_ru
            from {SCHEMA}.dim_college
            qualify row_number() over (
                partition by college_bin
                order by (passport_year = ?) desc, passport_year desc
            ) = 1
        )
    """
    return sql, [int(info.academic_year[:4])]


def _late_missing(con: duckdb.DuckDBPyConnection, info: RoundInfo) -> dict[str, list]:
    names, params = _college_names_cte(info)
    rows = _rows(
        con,
        f"""
        with {names}
        select s.region_code, s.college_bin,
               coalesce(n.name_kk, '') as name_kk, coalesce(n.name_ru, '') as name_ru,
               s.status_detail as status,
               s.signed_at, s.deadline_at
        from {SCHEMA}.fct_dq_submission_status s
        left join college_names n using (college_bin)
        where s.round_id = ?
          and (s.status in ('late', 'missing') or s.previous_version_current
               or s.corrected_after_due_date)
        order by s.region_code, s.status desc, s.college_bin
        """,
        [*params, info.round_id],
    )
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.pop("region_code"), []).append(CollegeStatus(**row))
    return out


def _findings(con: duckdb.DuckDBPyConnection, info: RoundInfo) -> dict[str | None, list]:
    scoped, params = _findings_cte(info.round_id)
    names, name_params = _college_names_cte(info)
    rows = _rows(
        con,
        scoped
        + f""",
        {names}
        select f.pack_region_code, f.finding_id, f.college_bin,
               coalesce(n.name_kk, '') as name_kk, coalesce(n.name_ru, '') as name_ru,
               f.file_path, f.sheet, f.row_number, f.field, f.rule_id, f.severity,
               f.offending_value, f.message_kk, f.message_ru,
               f.state, f.response, f.explanation, f.answered_by, f.answered_on
        from scoped f
        left join college_names n using (college_bin)
        -- open findings first, then the answered ones with their answers
        order by f.pack_region_code nulls last, f.state <> 'open', f.college_bin nulls last,
                 f.file_path nulls first,
                 f.sheet nulls first, f.row_number nulls first, f.field nulls first,
                 f.rule_id, f.offending_value nulls first
        """,
        [*params, *name_params],
    )
    out: dict[str | None, list] = {}
    for row in rows:
        region = row.pop("pack_region_code")
        if row["row_number"] is not None:
            row["row_number"] = int(row["row_number"])
        out.setdefault(region, []).append(Finding(**row))
    return out


def _answers(con: duckdb.DuckDBPyConnection, info: RoundInfo) -> dict[str, AnswerCounts]:
    """Per region: the round's findings ever issued (corrected ones included, the answer files'
    own excluded), how many were answered, confirmed warnings, disputed, mean days to answer."""
    # The round's own findings and its academic year's yearly ones, as in marts.rpt_dq_pack_findings
    # (the history keeps findings no build raises any more, which that mart no longer lists).
    rows = _rows(
        con,
        f"""
        select region_code,
               count(*) as findings,
               count(response) as answered,
               count(*) filter (where state = 'confirmed' and severity = 'warning')
                   as confirmed_warnings,
               count(*) filter (where state = 'disputed') as disputed,
               avg(days_to_answer) as mean_days_to_answer,
               avg(days_open) filter (where response is null) as mean_days_open_unanswered
        from {SCHEMA}.fct_dq_finding_history
        where source <> 'dq_response' and region_code is not null
          and (round_id = ? or (round_id is null and year = ?))
        group by region_code
        """,
        [info.round_id, int(info.academic_year[:4])],
    )
    return {
        row.pop("region_code"): AnswerCounts(
            **{
                **row,
                "mean_days_to_answer": _float(row["mean_days_to_answer"]),
                "mean_days_open_unanswered": _float(row["mean_days_open_unanswered"]),
            }
        )
        for row in rows
    }


def _data_as_of(con: duckdb.DuckDBPyConnection, round_id: str) -> Any:
    # The latest signature the round's status reflects: a property of the data, so a re-run on
    # the same data writes the same packs byte for byte.
    return con.execute(
        f"select max(signed_at) from {SCHEMA}.fct_dq_submission_status where round_id = ?",
        [round_id],
    ).fetchall()[0][0]


# --- the round ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundPacks:
    regions: list[RegionPack]
    national: NationalPack


def load_round(con: duckdb.DuckDBPyConnection, round_id: str) -> RoundPacks:
    rounds = all_rounds(con)
    present = rounds_with_data(con)
    if round_id not in present:
        raise UnknownSelection(
            message("round_unknown", round_id=round_id, available=", ".join(present) or "—")
        )
    index = [r.round_id for r in rounds].index(round_id)
    info = rounds[index]
    previous = rounds[index - 1] if index > 0 else None

    current = _round_counts(con, info)
    before = _round_counts(con, previous) if previous else _RoundCounts({}, None)
    regions = _regions(con, info)
    late_missing = _late_missing(con, info)
    findings = _findings(con, info)
    as_of = _data_as_of(con, round_id)

    def region(code: str) -> Region:
        return regions.get(code) or Region(code, code, code)

    packs = [
        RegionPack(
            round=info,
            region=region(code),
            data_as_of=as_of,
            counts=counts,
            previous_round=previous,
            previous_counts=before.by_region.get(code),
            late_missing=late_missing.get(code, []),
            findings=findings.get(code, []),
        )
        for code, counts in sorted(current.by_region.items())
    ]
    national = NationalPack(
        round=info,
        data_as_of=as_of,
        totals=current.national or _zero(),
        previous_round=previous,
        previous_totals=before.national,
        regions=_rank(packs),
        unassigned_findings=[
            f for code, items in findings.items() if code not in current.by_region for f in items
        ],
        answers=_answers(con, info),
        disputed={
            code: listed
            for code, items in findings.items()
            if code is not None and (listed := [f for f in items if f.state == "disputed"])
        },
    )
    return RoundPacks(packs, national)


def _zero() -> Counts:
    return Counts(0, 0, 0, 0, 0, 0, 0, 0, None, None)


def _rank(packs: list[RegionPack]) -> list[RegionRank]:
    """Regions by reporting rate, then on-time rate (both descending); equal rates share a
    rank (1, 2, 2, 4) so no region is shown behind another it ties with."""

    def key(pack: RegionPack) -> tuple[float, float]:
        c = pack.counts
        return (-(c.reporting_rate or 0.0), -(c.reporting_rate_on_time or 0.0))

    ordered = sorted(packs, key=lambda p: (key(p), p.region.code or ""))
    ranked: list[RegionRank] = []
    for position, pack in enumerate(ordered, start=1):
        tied = ranked and key(ordered[position - 2]) == key(pack)
        rank = ranked[-1].rank if tied else position
        ranked.append(RegionRank(rank, pack.region, pack.counts, pack.previous_counts))
    return ranked
