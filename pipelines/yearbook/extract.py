"""Run every query of the spec against the warehouse once and return the Book (plain values).

This is the only module that touches DuckDB. The caller owns the connection and should close it
right after: rendering is slow non-database work and must not hold the warehouse (one writer per
file, docs/STACK.md trap 4).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from pipelines.publishing import numbers
from pipelines.yearbook.model import (
    LANGS,
    Book,
    Cell,
    Column,
    Figure,
    Lang,
    Mark,
    Row,
    Section,
    Series,
    Table,
    Text,
)
from pipelines.yearbook.spec import BookSpec, ColumnSpec, FollowsSpec, RowSetSpec, TableSpec

_PARAM_RE = re.compile(r"\$([a-z_]+)")
_YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")


class BuildError(RuntimeError):
    """The warehouse and the spec disagree (unknown rows, parts not adding up, no such year)."""


class YearContext:
    """The academic year's rounds and the placeholders every text may use."""

    def __init__(self, spec: BookSpec, con: duckdb.DuckDBPyConnection, academic_year: str) -> None:
        m = _YEAR_RE.match(academic_year)
        if not m or int(m.group(2)) != int(m.group(1)) + 1:
            raise BuildError(f"academic year must look like 2024-2025, got {academic_year!r}")
        rounds = _rows(
            con,
            "select round_id, season, reference_date from marts.dim_round "
            "where academic_year = $academic_year",
            {"academic_year": academic_year},
        )
        by_season = {r["season"]: r for r in rounds}
        if "autumn" not in by_season:
            raise BuildError(f"marts.dim_round has no autumn round for {academic_year}")
        self.academic_year = academic_year
        self.year = int(m.group(1))
        self.autumn_round = str(by_season["autumn"]["round_id"])
        self.spring_round = str(
            by_season.get("spring", {}).get("round_id") or f"{self.year + 1}-spring"
        )
        ref = by_season["autumn"]["reference_date"]
        self.reference_date: date = ref if isinstance(ref, date) else date.fromisoformat(str(ref))
        self.params: dict[str, Any] = {
            "academic_year": academic_year,
            "autumn_round": self.autumn_round,
            "spring_round": self.spring_round,
            "reference_date": self.reference_date,
        }
        self.ctx: dict[Lang, dict[str, Any]] = {
            lang: {
                "academic_year": academic_year,
                "year": self.year,
                "autumn_label": spec.labels["autumn_round"][lang].format(year=self.year),
                "spring_label": spec.labels["spring_round"][lang].format(year=self.year + 1),
            }
            for lang in LANGS
        }

    def fill(self, t: Text, **extra: Any) -> Text:
        def one(lang: Lang) -> str:
            more = {k: (v[lang] if isinstance(v, Text) else v) for k, v in extra.items()}
            return t[lang].format(**self.ctx[lang], **more)

        return Text(one("kk"), one("ru"))


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    used = {k: params[k] for k in set(_PARAM_RE.findall(sql))}
    cur = con.execute(sql, used) if used else con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _number(value: Any, col: ColumnSpec, where: str) -> int | float:
    """The query's value as published; refuses values the SQL forgot to round."""
    if isinstance(value, bool):
        raise BuildError(f"{where}: boolean where a number was expected")
    if col.fmt == "int":
        if isinstance(value, float | Decimal) and value != int(value):
            raise BuildError(f"{where}: {value!r} is not a whole number (fmt int)")
        return int(value)
    f = float(value)
    if round(f, 1) != f:  # exact: a published 28.6 must not be 28.599999999999994
        raise BuildError(f"{where}: {value!r} is not rounded to 1 decimal (round it in SQL)")
    return f


def _row_list(
    spec: BookSpec, rs: RowSetSpec, con: duckdb.DuckDBPyConnection, y: YearContext
) -> list[Row]:
    rows = [Row(rs.total_key, rs.total_label, is_total=True)]
    if rs.query is None:
        return rows + [Row(k, label) for k, label in rs.values]
    found = {str(r["key"]): Text(r["kk"], r["ru"]) for r in _rows(con, rs.query, y.params)}
    rank = {k: i for i, k in enumerate(rs.order)}
    keys = sorted(found, key=lambda k: (rank.get(k, len(rank)), k))
    return rows + [Row(k, found[k]) for k in keys]


def _coverage(
    spec: BookSpec, con: duckdb.DuckDBPyConnection, y: YearContext
) -> dict[str, dict[str, dict[str, int]]]:
    out: dict[str, dict[str, dict[str, int]]] = {}
    for cid, cov in spec.coverage.items():
        out[cid] = {
            str(r["key"]): {k: int(r[k] or 0) for k in ("expected", "contributing", "held_back")}
            for r in _rows(con, cov.query, y.params)
        }
    return out


def extract_table(
    ts: TableSpec,
    number: int,
    spec: BookSpec,
    con: duckdb.DuckDBPyConnection,
    y: YearContext,
    rows: list[Row],
    coverage: dict[str, dict[str, dict[str, int]]],
) -> Table:
    params = dict(y.params)
    extra: dict[str, Any] = {}
    if ts.indicator is not None:
        period = y.autumn_round if ts.indicator.grain == "round" else y.academic_year
        params |= {"indicator_id": ts.indicator.id, "period": period}
        extra["target_year"] = int(period[:4])
        threshold = ts.indicator.coverage_threshold
        extra["threshold"] = "–" if threshold is None else numbers.number(100 * threshold, 1)
        extra["period"] = (
            Text(y.ctx["kk"]["autumn_label"], y.ctx["ru"]["autumn_label"])
            if ts.indicator.grain == "round"
            else y.fill(spec.year_line)
        )
    result = _rows(con, ts.sql, params)
    by_key: dict[str, dict[str, Any]] = {}
    for r in result:
        key = str(r["row_key"])
        if key in by_key:
            raise BuildError(f"table {ts.id}: query returned row {key!r} twice")
        by_key[key] = r
    rs = spec.row_sets[ts.rows]
    if rs.unknown is not None and rs.unknown[0] in by_key:
        rows = [*rows, Row(rs.unknown[0], rs.unknown[1])]
    known = {row.key for row in rows}
    unknown = sorted(set(by_key) - known)
    if unknown:
        raise BuildError(
            f"table {ts.id}: rows {unknown} are not in row set {ts.rows!r}; the published "
            "totals would include figures no row shows"
        )
    if result:
        missing_cols = [c.key for c in ts.columns if c.key not in result[0]]
        if missing_cols:
            raise BuildError(f"table {ts.id}: query has no column(s) {missing_cols}")
    cov = coverage.get(ts.coverage, {}) if ts.coverage else {}
    cells: dict[tuple[str, str], Cell] = {}
    for row in rows:
        row_mark: Mark | None = None
        if ts.coverage:
            c = cov.get(row.key, {"expected": 0, "contributing": 0})
            if c["expected"] == 0:
                row_mark = "not_applicable"
            elif c["contributing"] == 0:
                row_mark = "not_reported"
        data = by_key.get(row.key)
        for col in ts.columns:
            where = f"table {ts.id}, row {row.key}, column {col.key}"
            if row_mark is not None and not _has_value(data, col):
                cells[(row.key, col.key)] = Cell(None, row_mark)
            elif data is None:
                absent = col.absent or ts.absent
                cells[(row.key, col.key)] = (
                    Cell(0) if absent == "zero" else Cell(None, absent)  # type: ignore[arg-type]
                )
            elif data.get(f"{col.key}__mark"):
                mark = str(data[f"{col.key}__mark"])
                if mark not in spec.marks:
                    raise BuildError(f"{where}: unknown mark {mark!r}")
                cells[(row.key, col.key)] = Cell(None, mark)  # type: ignore[arg-type]
            elif data[col.key] is None:
                cells[(row.key, col.key)] = Cell(None, col.null or ts.null)
            else:
                cells[(row.key, col.key)] = Cell(_number(data[col.key], col, where))
    _check_sums(ts, rows, cells)
    footnotes = [y.fill(f, **extra) for f in ts.footnotes]
    if ts.follows is not None:
        footnotes += _follow_indicator(ts.follows, spec, con, y, rows, cells)
    if ts.coverage:
        nat = cov.get(rows[0].key, {"expected": 0, "contributing": 0, "held_back": 0})
        footnotes.append(
            Text(
                *(
                    spec.coverage[ts.coverage]
                    .footnote[lang]
                    .format(**nat, rate=numbers.percent(nat["contributing"], nat["expected"]))
                    for lang in LANGS
                )
            )
        )
    table = Table(
        id=ts.id,
        number=number,
        section=ts.section,
        title=y.fill(ts.title),
        unit=ts.unit,
        source=ts.source_text or y.fill(spec.sources[ts.source]),
        row_header=spec.row_sets[ts.rows].header,
        rows=rows,
        columns=[
            Column(c.key, y.fill(c.label), c.fmt, y.fill(c.group) if c.group else None)
            for c in ts.columns
        ],
        cells=cells,
        footnotes=footnotes,
        sql=ts.sql,
        params={k: params[k] for k in sorted(set(_PARAM_RE.findall(ts.sql)))},
        landscape=ts.landscape,
        follows=_follows_trace(ts.follows, y),
    )
    for mark in sorted(table.marks_used()):
        symbol, meaning = spec.marks[mark]
        table.footnotes.append(Text(f"«{symbol}» – {meaning.kk}", f"«{symbol}» – {meaning.ru}"))
    return table


def _follows_trace(follows: FollowsSpec | None, y: YearContext) -> str | None:
    if follows is None:
        return None
    ind = follows.indicator
    period = y.autumn_round if ind.grain == "round" else y.academic_year
    return (
        f"marts.fct_indicator_values (indicator_id = '{ind.id}', period = '{period}'): where "
        f"suppressed, columns {', '.join(follows.withhold) or '-'} are marked suppressed; where "
        f"0 < contributing_colleges < expected_colleges, columns {', '.join(follows.partial)} "
        "carry the partial-coverage mark"
    )


def _follow_indicator(
    follows: FollowsSpec,
    spec: BookSpec,
    con: duckdb.DuckDBPyConnection,
    y: YearContext,
    rows: list[Row],
    cells: dict[tuple[str, str], Cell],
) -> list[Text]:
    """Apply the warehouse's coverage decision for one indicator to a table's cells (in place);
    returns the notes that explain it. Suppressed rows lose the `withhold` columns, rows with
    part of the expected colleges get the partial mark on the `partial` columns."""
    ind = follows.indicator
    period = y.autumn_round if ind.grain == "round" else y.academic_year
    decided = {
        str(r["key"]): r
        for r in _rows(
            con,
            "select case when level = 'national' then 'KZ' else region_code::varchar end as key,"
            " suppressed, expected_colleges, contributing_colleges"
            " from marts.fct_indicator_values where indicator_id = $indicator_id"
            " and period = $period and level in ('national', 'region')",
            {"indicator_id": ind.id, "period": period},
        )
    }
    partial_rows: list[Row] = []
    withheld = False
    for row in rows:
        d = decided.get(row.key)
        if d is None:
            continue
        part = 0 < d["contributing_colleges"] < d["expected_colleges"]
        marked = False
        for key in {*follows.withhold, *follows.partial}:
            cell = cells[(row.key, key)]
            if cell.value is None:
                continue
            if d["suppressed"] and key in follows.withhold:
                cells[(row.key, key)] = Cell(None, "suppressed")
                withheld = True
            elif part and key in follows.partial:
                cells[(row.key, key)] = Cell(cell.value, partial=True)
                marked = True
        if marked:
            partial_rows.append(row)
    notes: list[Text] = []
    if partial_rows:

        def listing(lang: Lang) -> str:
            parts = []
            for r in partial_rows:
                got, due = (
                    decided[r.key]["contributing_colleges"],
                    decided[r.key]["expected_colleges"],
                )
                parts.append(f"{r.label[lang]} {got}/{due} ({numbers.percent(got, due)} %)")
            return "; ".join(parts)

        note = spec.labels["partial_note"]
        notes.append(Text(*(note[lang].format(rows=listing(lang)) for lang in LANGS)))
    if withheld:
        threshold = ind.coverage_threshold
        shown = "–" if threshold is None else numbers.number(100 * threshold, 1)
        note = spec.labels["suppressed_note"]
        notes.append(Text(*(note[lang].format(threshold=shown) for lang in LANGS)))
    return notes


def _has_value(data: dict[str, Any] | None, col: ColumnSpec) -> bool:
    """A row the coverage calls empty may still carry figures (e.g. from the passport)."""
    return data is not None and data.get(col.key) is not None and not data.get(f"{col.key}__mark")


def _check_sums(ts: TableSpec, rows: list[Row], cells: dict[tuple[str, str], Cell]) -> None:
    for total_key, parts in ts.sum_checks:
        for row in rows:
            total = cells[(row.key, total_key)].value
            values = [cells[(row.key, p)].value for p in parts]
            if total is None or any(v is None for v in values):
                continue
            if sum(v for v in values if v is not None) != total:
                raise BuildError(
                    f"table {ts.id}, row {row.key}: {'+'.join(parts)} != {total_key}; a value "
                    "outside the dimension's list would be missing from the columns"
                )


def _indicator_figure(
    spec: BookSpec,
    ts: TableSpec,
    number: int,
    kind: str,
    wording: Text,
    points: list[tuple[Text, float | None, float | None]],
) -> Figure:
    """A chart of one indicator, in percent: its value and its target at each point (a region, a
    year). `kind` names the chart (by_region, trend)."""
    assert ts.indicator is not None
    names = {"name_kk": ts.indicator.name.kk, "name_ru": ts.indicator.name.ru}
    return Figure(
        id=f"{ts.id}_{kind}",
        number=number,
        section=ts.section,
        kind=f"indicator_{kind}",
        title=Text(*(wording[lang].format(**names) for lang in LANGS)),
        unit=Text("%", "%"),
        value=Series(spec.labels["value"], tuple((label, v) for label, v, _ in points)),
        target=Series(spec.labels["target"], tuple((label, t) for label, _, t in points)),
        table_id=ts.id,
    )


def _by_region_figure(spec: BookSpec, table: Table, number: int, ts: TableSpec) -> Figure:
    points = [
        (r.label, table.cell(r.key, "value_pct").value, table.cell(r.key, "target_pct").value)
        for r in table.rows
    ]
    chart = spec.chart_by_region
    has_target = any(t is not None for _, _, t in points)
    wording = chart.title if has_target else (chart.title_no_target or chart.title)
    return _indicator_figure(spec, ts, number, "by_region", wording, points)


def _trend_figure(
    spec: BookSpec, con: duckdb.DuckDBPyConnection, number: int, y: YearContext, ts: TableSpec
) -> Figure:
    assert ts.indicator is not None and spec.chart_trend.sql is not None
    data = _rows(con, spec.chart_trend.sql, y.params | {"indicator_id": ts.indicator.id})

    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    years = [Text(str(r["academic_year"]), str(r["academic_year"])) for r in data]
    points = [
        (year, num(r["value_pct"]), num(r["target_pct"]))
        for year, r in zip(years, data, strict=True)
    ]
    return _indicator_figure(spec, ts, number, "trend", spec.chart_trend.title, points)


def extract_book(spec: BookSpec, con: duckdb.DuckDBPyConnection, academic_year: str) -> Book:
    y = YearContext(spec, con, academic_year)
    row_lists = {rid: _row_list(spec, rs, con, y) for rid, rs in spec.row_sets.items()}
    coverage = _coverage(spec, con, y)
    order = {sid: i for i, (sid, _, _) in enumerate(spec.sections)}
    ordered = sorted(spec.tables, key=lambda t: order[t.section])  # stable: spec order within
    tables: list[Table] = []
    figures: list[Figure] = []
    for table_no, ts in enumerate(ordered, start=1):
        table = extract_table(ts, table_no, spec, con, y, row_lists[ts.rows], coverage)
        tables.append(table)
        if ts.indicator is not None:
            figures.append(_by_region_figure(spec, table, len(figures) + 1, ts))
            figures.append(_trend_figure(spec, con, len(figures) + 1, y, ts))
    return Book(
        academic_year=academic_year,
        autumn_round=y.autumn_round,
        spring_round=y.spring_round,
        sections=[Section(sid, t, annex) for sid, t, annex in spec.sections],
        tables=tables,
        figures=figures,
        labels=dict(spec.labels),
        methodology=list(spec.methodology),
        title=spec.title,
        chapter=spec.chapter,
        year_line=y.fill(spec.year_line),
        marks=dict(spec.marks),
    )
