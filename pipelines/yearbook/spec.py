"""Load `tables.yml` into typed table specs; generate the SQL of crosstab tables.

The spec is the single definition of every published cell: a table's `sql` (written out or
generated here) is the query whose result the XLSX, HTML and PDF show. Validation is strict and
happens at load time, so a typo in the YAML fails the build before any query runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml

from pipelines.publishing.numbers import KINDS, MARKS, SYMBOLS, Mark
from pipelines.yearbook.model import Fmt, Text
from pipelines.yearbook.registry import Indicator, load_registry

SPEC_FILE = Path(__file__).with_name("tables.yml")
FMTS: tuple[Fmt, ...] = KINDS
# What a missing row or a NULL value means: a mark, or (for absent rows only) a true zero.
ABSENT_CHOICES = ("zero", *MARKS)
# Keys a table / column may carry: anything else is a typo that would silently do nothing.
_TABLE_KEYS = {
    "id",
    "section",
    "title",
    "unit",
    "source",
    "rows",
    "columns",
    "sql",
    "crosstab",
    "footnotes",
    "coverage",
    "when_absent",
    "when_null",
    "landscape",
    "template",
    "indicator",
    "source_text",
    "follows",
}
_COLUMN_KEYS = {"key", "kk", "ru", "fmt", "group", "when_absent", "when_null", "expr"}
_KEY_RE = re.compile(r"^[A-Za-z0-9_]+$")


class SpecError(ValueError):
    """tables.yml does not describe a valid book."""


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: Text
    fmt: Fmt = "int"
    group: Text | None = None
    absent: str | None = None  # overrides the table's `absent`
    null: Mark | None = None  # overrides the table's `null`


@dataclass(frozen=True)
class RowSetSpec:
    id: str
    header: Text
    column: str
    total_key: str
    total_label: Text
    query: str | None = None
    values: tuple[tuple[str, Text], ...] = ()
    order: tuple[str, ...] = ()
    unknown: tuple[str, Text] | None = None  # row for unplaceable figures, shown only if used


@dataclass(frozen=True)
class CoverageSpec:
    id: str
    query: str
    footnote: Text


@dataclass(frozen=True)
class FollowsSpec:
    """A table whose rows follow an indicator's coverage decision (marts.fct_indicator_values):
    where the indicator is suppressed, `withhold` columns are withheld (whatever would give the
    share away); where it covers only part of the expected colleges, `partial` columns are
    marked as partial counts. The yearbook never decides this itself."""

    indicator: Indicator
    withhold: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    id: str
    section: str
    title: Text
    unit: Text
    source: str
    rows: str
    columns: tuple[ColumnSpec, ...]
    sql: str
    footnotes: tuple[Text, ...] = ()
    coverage: str | None = None
    absent: str = "zero"
    null: Mark = "not_reported"
    landscape: bool = False
    indicator: Indicator | None = None
    source_text: Text | None = None  # overrides `source` (an indicator's own, from the registry)
    follows: FollowsSpec | None = None
    # (total key, part keys) per measure whose parts must add up to the total
    sum_checks: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class ChartSpec:
    title: Text
    section: str
    sql: str | None = None
    title_no_target: Text | None = None  # when no target is drawn


@dataclass(frozen=True)
class BookSpec:
    title: Text
    chapter: Text
    year_line: Text
    labels: dict[str, Text]
    marks: dict[Mark, tuple[str, Text]]
    methodology: tuple[Text, ...]
    sources: dict[str, Text]
    coverage: dict[str, CoverageSpec]
    row_sets: dict[str, RowSetSpec]
    sections: tuple[tuple[str, Text, bool], ...]
    tables: tuple[TableSpec, ...]
    chart_by_region: ChartSpec
    chart_trend: ChartSpec

    def table(self, table_id: str) -> TableSpec:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)


def text(node: Any, where: str) -> Text:
    if not isinstance(node, dict) or not {"kk", "ru"} <= node.keys():
        raise SpecError(f"{where}: expected a mapping with kk and ru, got {node!r}")
    return Text(kk=str(node["kk"]).strip(), ru=str(node["ru"]).strip())


def _column(node: dict[str, Any], where: str) -> ColumnSpec:
    key = str(node["key"])
    extra = set(node) - _COLUMN_KEYS
    if extra:
        raise SpecError(f"{where}.{key}: unknown keys {sorted(map(str, extra))}")
    if not _KEY_RE.match(key):
        raise SpecError(f"{where}: column key {key!r} must be letters, digits, _")
    fmt = node.get("fmt", "int")
    if fmt not in FMTS:
        raise SpecError(f"{where}.{key}: fmt {fmt!r} not in {FMTS}")
    absent = node.get("when_absent")
    if absent is not None and absent not in ABSENT_CHOICES:
        raise SpecError(f"{where}.{key}: when_absent {absent!r} not in {ABSENT_CHOICES}")
    null = node.get("when_null")
    if null is not None and null not in MARKS:
        raise SpecError(f"{where}.{key}: when_null {null!r} not in {MARKS}")
    group = text(node["group"], f"{where}.{key}.group") if "group" in node else None
    return ColumnSpec(key, text(node, f"{where}.{key}"), fmt, group, absent, null)


def _row_set(rid: str, node: dict[str, Any]) -> RowSetSpec:
    total = node["total"]
    values = tuple((str(v["key"]), text(v, f"row_sets.{rid}")) for v in node.get("values", ()))
    if bool(node.get("query")) == bool(values):
        raise SpecError(f"row_sets.{rid}: give either a query or values")
    return RowSetSpec(
        id=rid,
        header=text(node["header"], f"row_sets.{rid}.header"),
        column=node["column"],
        total_key=str(total["key"]),
        total_label=text(total, f"row_sets.{rid}.total"),
        query=node.get("query"),
        values=values,
        order=tuple(str(c) for c in node.get("order", ())),
        unknown=(
            (str(node["unknown"]["key"]), text(node["unknown"], f"row_sets.{rid}.unknown"))
            if "unknown" in node
            else None
        ),
    )


def crosstab_sql(
    xt: dict[str, Any], row_set: RowSetSpec, dims: dict[str, Any], total: Text, where: str
) -> tuple[str, tuple[ColumnSpec, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    """SQL for `rows × values of one dimension × measures`, plus its columns and sum checks.

    One measure: columns total, then one per value. Several measures: the totals of every
    measure first, then per value a group of the measures (two-level header).
    """
    dim = dims[xt["by"]]
    measures = [(_column(m, where), str(m["expr"])) for m in xt["measures"]]
    rc = row_set.column
    select = [
        f"case when grouping({rc}) = 1 then '{row_set.total_key}' "
        f"else coalesce({rc}::varchar, '?') end as row_key"
    ]
    columns: list[ColumnSpec] = []
    checks: list[tuple[str, tuple[str, ...]]] = []
    several = len(measures) > 1
    total_group = total if several else None
    for m, expr in measures:
        select.append(f"{expr} as {m.key}")
        columns.append(ColumnSpec(m.key, m.label, m.fmt, total_group))
    for value in dim["values"]:
        vkey = str(value["key"])
        vlabel = text(value, f"dimensions.{xt['by']}")
        for m, expr in measures:
            key = f"{vkey}_{m.key}" if several else vkey
            select.append(f"{_filtered(expr, dim['column'], vkey)} as {key}")
            if several:
                columns.append(ColumnSpec(key, m.label, m.fmt, vlabel))
            else:
                columns.append(ColumnSpec(key, vlabel, m.fmt))
    if dim.get("exhaustive"):
        for m, _ in measures:
            parts = tuple(
                f"{v['key']}_{m.key}" if several else str(v["key"]) for v in dim["values"]
            )
            checks.append((m.key, parts))
    body = ",\n       ".join(select)
    sql = (
        f"select {body}\nfrom {xt['from']}\nwhere {xt['where']}\n"
        f"group by grouping sets (({rc}), ())\n"
    )
    return sql, tuple(columns), tuple(checks)


def _filtered(expr: str, column: str, value: str) -> str:
    """`count(*)` -> `count(*) filter (where col = 'v')`; an existing filter gets an `and`."""
    literal = "'" + value.replace("'", "''") + "'"
    if "filter (where " in expr:
        return expr.replace("filter (where ", f"filter (where {column} = {literal} and ", 1)
    return f"{expr} filter (where {column} = {literal})"


def _table(
    node: dict[str, Any],
    templates: dict[str, Any],
    row_sets: dict[str, RowSetSpec],
    dims: dict[str, Any],
    registry: dict[str, Indicator],
    total: Text,
) -> TableSpec:
    tid = str(node["id"])
    where = f"tables.{tid}"
    indicator: Indicator | None = None
    if "template" in node:
        tpl = templates[node["template"]]
        indicator = registry.get(node["indicator"])
        if indicator is None:
            raise SpecError(f"{where}: indicator {node['indicator']!r} not in indicators.yml")
        names = {"name_kk": indicator.name.kk, "name_ru": indicator.name.ru}
        if indicator.source is not None:
            node = {**node, "source_text": indicator.source}
        node = {
            **tpl,
            **node,
            "title": {
                "kk": tpl["title"]["kk"].format(**names),
                "ru": tpl["title"]["ru"].format(**names),
            },
        }
    extra = set(node) - _TABLE_KEYS
    if extra:
        raise SpecError(f"{where}: unknown keys {sorted(map(str, extra))}")
    rows = row_sets.get(node["rows"])
    if rows is None:
        raise SpecError(f"{where}: unknown row set {node['rows']!r}")
    checks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if "crosstab" in node:
        sql, columns, checks = crosstab_sql(node["crosstab"], rows, dims, total, where)
    elif "sql" in node:
        sql = node["sql"]
        columns = tuple(_column(c, where) for c in node["columns"])
    else:
        raise SpecError(f"{where}: needs crosstab, sql or template")
    keys = [c.key for c in columns]
    if len(set(keys)) != len(keys):
        raise SpecError(f"{where}: duplicate column keys")
    follows = _follows(node, indicator, registry, {c.key for c in columns}, where)
    absent = node.get("when_absent", "zero")
    null = node.get("when_null", "not_reported")
    if absent not in ABSENT_CHOICES or null not in MARKS:
        raise SpecError(f"{where}: when_absent/when_null must be one of {ABSENT_CHOICES}")
    return TableSpec(
        id=tid,
        section=str(node["section"]),
        title=text(node["title"], f"{where}.title"),
        unit=text(node["unit"], f"{where}.unit"),
        source=str(node["source"]),
        rows=rows.id,
        columns=columns,
        sql=sql,
        footnotes=tuple(text(f, f"{where}.footnotes") for f in node.get("footnotes", ())),
        coverage=node.get("coverage"),
        absent=absent,
        null=cast(Mark, null),
        landscape=bool(node.get("landscape", False)),
        indicator=indicator,
        source_text=node.get("source_text"),
        sum_checks=checks,
        follows=follows,
    )


def _follows(
    node: dict[str, Any],
    indicator: Indicator | None,
    registry: dict[str, Indicator],
    keys: set[str],
    where: str,
) -> FollowsSpec | None:
    raw = node.get("follows")
    if raw is None:
        return None
    followed = registry.get(str(raw["indicator"])) if "indicator" in raw else indicator
    if followed is None:
        raise SpecError(f"{where}.follows: no such indicator in indicators.yml")
    partial = raw.get("partial", ())
    spec = FollowsSpec(
        followed,
        tuple(raw.get("withhold", ())),
        tuple(sorted(keys)) if partial == "all" else tuple(partial),
    )
    unknown = set(spec.withhold + spec.partial) - keys
    if unknown:
        raise SpecError(f"{where}.follows: unknown columns {sorted(unknown)}")
    return spec


def _each_indicator(
    nodes: list[dict[str, Any]], registry: dict[str, Indicator]
) -> Iterator[dict[str, Any]]:
    """A `for_each_indicator: true` entry stands for one table per registry entry, in the
    registry's order, with id `indicator_<id>`: a new indicator needs no line here."""
    for node in nodes:
        if node.get("for_each_indicator") is True:
            rest = {k: v for k, v in node.items() if k != "for_each_indicator"}
            for iid in registry:
                yield {"id": f"indicator_{iid}", **rest, "indicator": iid}
        else:
            yield node


def load_spec(path: Path = SPEC_FILE, registry_file: Path | None = None) -> BookSpec:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    registry = load_registry(registry_file)
    row_sets = {rid: _row_set(rid, node) for rid, node in raw["row_sets"].items()}
    sections = tuple(
        (str(s["id"]), text(s, f"sections.{s['id']}"), bool(s.get("annex", False)))
        for s in raw["sections"]
    )
    total = text(raw["labels"]["total"], "labels.total")
    tables = tuple(
        _table(t, raw.get("templates", {}), row_sets, raw["dimensions"], registry, total)
        for t in _each_indicator(raw["tables"], registry)
    )
    section_ids = {s[0] for s in sections}
    ids = [t.id for t in tables]
    if len(set(ids)) != len(ids):
        raise SpecError("tables.yml: duplicate table ids")
    coverage = {
        cid: CoverageSpec(cid, c["query"], text(c["footnote"], f"coverage.{cid}"))
        for cid, c in raw["coverage"].items()
    }
    for t in tables:
        if t.section not in section_ids:
            raise SpecError(f"tables.{t.id}: unknown section {t.section!r}")
        if t.source not in raw["sources"]:
            raise SpecError(f"tables.{t.id}: unknown source {t.source!r}")
        if t.coverage is not None and t.coverage not in coverage:
            raise SpecError(f"tables.{t.id}: unknown coverage {t.coverage!r}")
    charts = raw["charts"]
    return BookSpec(
        title=text(raw["book"]["title"], "book.title"),
        chapter=text(raw["book"]["chapter"], "book.chapter"),
        year_line=text(raw["book"]["year_line"], "book.year_line"),
        labels={k: text(v, f"labels.{k}") for k, v in raw["labels"].items()},
        marks={cast(Mark, m): (SYMBOLS[m], text(raw["marks"][m]["text"], m)) for m in MARKS},
        methodology=tuple(text(m, "methodology") for m in raw["methodology"]),
        sources={k: text(v, f"sources.{k}") for k, v in raw["sources"].items()},
        coverage=coverage,
        row_sets=row_sets,
        sections=sections,
        tables=tables,
        chart_by_region=ChartSpec(
            text(charts["by_region"]["title"], "charts.by_region"),
            charts["by_region"]["section"],
            title_no_target=(
                text(charts["by_region"]["title_no_target"], "charts.by_region.title_no_target")
                if "title_no_target" in charts["by_region"]
                else None
            ),
        ),
        chart_trend=ChartSpec(
            text(charts["trend"]["title"], "charts.trend"),
            charts["trend"]["section"],
            charts["trend"]["sql"],
        ),
    )


@cache
def default_spec() -> BookSpec:
    return load_spec()
