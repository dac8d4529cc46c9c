"""The tables of a pack in one language, independent of the output format.

XLSX and HTML render the same `Table`s, so the workbook and the page cannot disagree; each
cell carries its kind (count, rate, change, ...) and the renderer decides how to show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

from pipelines.i18n import localized
from pipelines.publishing.labels import Words
from pipelines.reports.model import (
    AnswerCounts,
    CollegeStatus,
    Counts,
    Finding,
    NationalPack,
    Region,
    RegionPack,
    RoundInfo,
)

# text: words for the reader; bin: a college BIN (renderers mark it so checks can find every
# one); path: a file name as it arrived; raw: a value as the college wrote it; code: a rule id
# (only in the rules annex, next to its name); int, delta, rate, pp: numbers formatted by
# pipelines.publishing.numbers (rate: 0-1, pp: percentage points); date/datetime: ISO-like text,
# unambiguous in both languages.
Kind = Literal[
    "text", "bin", "path", "raw", "code", "int", "delta", "rate", "pp", "date", "datetime"
]
NUMERIC: frozenset[str] = frozenset({"int", "delta", "rate", "pp"})
Value = str | int | float | date | datetime | None


@dataclass(frozen=True)
class Cell:
    value: Value
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    key: str  # stable id: sheet order and HTML anchors
    title: str
    header: list[str]
    rows: list[list[Cell]]
    empty_note: str = ""
    notes: list[str] = field(default_factory=list)
    # Width hint (characters) per column for the workbook; None = fit to content.
    widths: list[int | None] = field(default_factory=list)
    total_row: bool = False  # the last row sums the others (shown in bold)
    # The answer form (the region's findings sheet): the only cells a reader may change; the
    # workbook protects every other cell. Column -> its allowed values (a drop-down list).
    answer_columns: tuple[int, ...] = ()
    choices: dict[int, list[str]] = field(default_factory=dict)


def _region_name(region: Region, w: Words) -> str:
    if region.code is None:
        return w.ui("no_region")
    return localized({"name_kk": region.name_kk, "name_ru": region.name_ru}, "name", w.lang)


def _college_name(row: CollegeStatus | Finding, w: Words) -> str:
    return localized({"name_kk": row.name_kk, "name_ru": row.name_ru}, "name", w.lang)


def _delta(current: float | int | None, previous: float | int | None) -> float | int | None:
    if current is None or previous is None:
        return None
    return current - previous


def _points(current: float | None, previous: float | None) -> float | None:
    """Change of a 0-1 rate in percentage points (0.85 -> 0.65 is -20.0), as shown."""
    change = _delta(current, previous)
    return None if change is None else round(100 * change, 1)


# (label key, Counts attribute, kind) in the order every summary and trend shows them.
METRICS: tuple[tuple[str, str, Kind], ...] = (
    ("expected", "expected", "int"),
    ("submitted", "submitted", "int"),
    ("on_time", "on_time", "int"),
    ("late", "late", "int"),
    ("missing", "missing", "int"),
    ("held_back", "held_back", "int"),
    ("previous_version_current", "previous_version_current", "int"),
    ("corrected_after_due_date", "corrected_after_due_date", "int"),
    ("reporting_rate", "reporting_rate", "rate"),
    ("reporting_rate_on_time", "reporting_rate_on_time", "rate"),
    ("hold_findings", "hold_findings", "int"),
    ("quarantined_rows", "quarantined_rows", "int"),
    ("warning_findings", "warning_findings", "int"),
)


def _deadline_note(info: RoundInfo, w: Words) -> str:
    # The summary gives the due date, the late list each college's own deadline: the note says
    # why they differ (grace period, extensions) so no reader thinks one of them is wrong.
    return w.ui("deadline_note").format(grace=info.grace_days)


def _meta_rows(info: RoundInfo, region: str, as_of: datetime | None, w: Words) -> list[list[Cell]]:
    return [
        [Cell(w.ui("region")), Cell(region)],
        [Cell(w.ui("round")), Cell(w.round(info.round_id, info.season))],
        [Cell(w.ui("reference_date")), Cell(info.reference_date, "date")],
        [Cell(w.ui("due_date")), Cell(info.due_date, "date")],
        [Cell(w.ui("grace_days")), Cell(info.grace_days, "int")],
        [Cell(w.ui("data_as_of")), Cell(as_of, "datetime")],
    ]


def summary_table(
    info: RoundInfo, region: str, as_of: datetime | None, counts: Counts, w: Words
) -> Table:
    rows = _meta_rows(info, region, as_of, w)
    rows += [
        [Cell(w.ui(label)), Cell(getattr(counts, attr), kind)] for label, attr, kind in METRICS
    ]
    return Table(
        key="summary",
        title=w.ui("sheet_summary"),
        header=[w.ui("metric"), w.ui("value")],
        rows=rows,
        notes=[w.ui("note_rates"), _deadline_note(info, w)],
        widths=[52, 36],
    )


def late_missing_table(items: list[CollegeStatus], w: Words) -> Table:
    return Table(
        key="late_missing",
        title=w.ui("sheet_late_missing"),
        header=[
            w.ui("college_bin"),
            w.ui("college_name"),
            w.ui("status"),
            w.ui("signed_at"),
            w.ui("deadline_at"),
        ],
        rows=[
            [
                Cell(item.college_bin, "bin"),
                Cell(_college_name(item, w)),
                Cell(w.code("status", item.status)),
                Cell(item.signed_at, "datetime"),
                Cell(item.deadline_at, "datetime"),
            ]
            for item in items
        ],
        empty_note=w.ui("none_late_missing"),
        widths=[15, 60, 28, 20, 24],
    )


# The columns a region fills in, in the order of the findings sheet; their headers are the answer
# contract's (sources/contracts/dq_response.yml, labels `field findings.*`), so the returned
# workbook is read by the ingest like any other source.
ANSWER_FIELDS = ("response", "explanation", "answered_by", "answered_on")
RESPONSES = ("confirmed", "will_correct", "disputed")


def _answer_cells(item: Finding, w: Words) -> list[Cell]:
    return [
        Cell(w.code("response", item.response) if item.response else None),
        Cell(item.explanation),
        Cell(item.answered_by),
        Cell(item.answered_on, "date"),
    ]


def findings_table(
    items: list[Finding], w: Words, key: str = "findings", regions: list[str] | None = None
) -> Table:
    """A region's findings, which is also its answer form; the national overview's lists
    (findings outside the register, disputed findings) show the same columns, read-only, with
    `regions` (the region of each item) first where they mix regions."""
    answerable = key == "findings"
    lead = [w.ui("region")] if regions is not None else []
    header = [
        *lead,
        w.field("findings", "finding_id"),
        w.ui("college_bin"),
        w.ui("college_name"),
        w.ui("file_path"),
        w.ui("sheet"),
        w.ui("row_number"),
        w.ui("field"),
        w.ui("severity"),
        w.ui("offending_value"),
        w.ui("message"),
        w.ui("state"),
        *(w.field("findings", name) for name in ANSWER_FIELDS),
    ]
    first_answer = len(header) - len(ANSWER_FIELDS)
    titles = {
        "findings": w.code("sheet", "findings"),
        "unassigned": w.ui("sheet_unassigned"),
        "disputed": w.ui("sheet_disputed"),
    }
    # The form's own sheet carries no note: below the findings a note would read as a row.
    notes = {
        "findings": [],
        "unassigned": [w.ui("note_unassigned")],
        "disputed": [w.ui("note_disputed")],
    }
    return Table(
        key=key,
        title=titles[key],
        header=header,
        rows=[
            [
                *([Cell(regions[i])] if regions is not None else []),
                Cell(item.finding_id, "code"),
                Cell(item.college_bin, "bin"),
                Cell(_college_name(item, w)),
                Cell(item.file_path, "path"),
                Cell(w.code("sheet", item.sheet)),
                Cell(item.row_number, "int"),
                Cell(w.field(item.sheet, item.field)),
                # the rule's name is the message's wording; its code is in the rules annex
                Cell(w.code("severity", item.severity)),
                Cell(item.offending_value, "raw"),
                Cell(item.message_kk if w.lang == "kk" else item.message_ru),
                Cell(w.code("finding_state", item.state)),
                *_answer_cells(item, w),
            ]
            for i, item in enumerate(items)
        ],
        empty_note=w.ui("none_disputed" if key == "disputed" else "none_findings"),
        notes=notes[key],
        widths=[*([32] * len(lead)), 18, 15, 40, 40, 14, 7, 22, 22, 20, 70, 18, 30, 50, 30, 12],
        answer_columns=tuple(range(first_answer, len(header))) if answerable else (),
        choices={first_answer: [w.code("response", r) for r in RESPONSES]} if answerable else {},
    )


def _days(mean: float | None) -> int | None:
    return None if mean is None else round(mean)


def answers_table(pack: NationalPack, w: Words) -> Table:
    """Per region: how many of the round's findings it answered, and how fast."""
    empty = AnswerCounts(0, 0, 0, 0, None, None)
    rows = []
    for item in sorted(pack.regions, key=lambda r: r.region.code or ""):
        a = pack.answers.get(item.region.code or "", empty)
        rows.append(
            [
                Cell(item.region.code, "code"),
                Cell(_region_name(item.region, w)),
                Cell(a.findings, "int"),
                Cell(a.answered, "int"),
                Cell(a.answered_share, "rate"),
                Cell(a.confirmed_warnings, "int"),
                Cell(a.disputed, "int"),
                Cell(_days(a.mean_days_to_answer), "int"),
                Cell(_days(a.mean_days_open_unanswered), "int"),
            ]
        )
    return Table(
        key="answers",
        title=w.ui("sheet_answers"),
        header=[
            w.ui("region_code"),
            w.ui("region"),
            w.ui("findings_total"),
            w.ui("findings_answered"),
            w.ui("answered_share"),
            w.ui("confirmed_findings"),
            w.ui("disputed_findings"),
            w.ui("days_to_answer"),
            w.ui("days_open_unanswered"),
        ],
        rows=rows,
        widths=[9, 32, 14, 14, 14, 14, 14, 16, 18],
    )


def rules_table(items: list[Finding], w: Words) -> Table:
    """The annex: the code of every rule the findings name, for a query to the data team."""
    seen = sorted({(f.rule_id, f.severity) for f in items})
    return Table(
        key="rules",
        title=w.ui("sheet_rules"),
        header=[w.ui("rule_code"), w.ui("rule"), w.ui("severity")],
        rows=[
            [Cell(rule, "code"), Cell(w.code("rule", rule)), Cell(w.code("severity", severity))]
            for rule, severity in seen
        ],
        empty_note=w.ui("none_findings"),
        notes=[w.ui("note_rules")],
        widths=[36, 70, 24],
    )


def trend_table(
    info: RoundInfo,
    counts: Counts,
    previous: RoundInfo | None,
    previous_counts: Counts | None,
    w: Words,
) -> Table:
    header = [
        w.ui("metric"),
        w.ui("previous_round")
        + (f" ({w.round(previous.round_id, previous.season)})" if previous else ""),
        f"{w.ui('current_round')} ({w.round(info.round_id, info.season)})",
        w.ui("change"),
    ]
    rows = []
    if previous_counts is not None:
        for label, attr, kind in METRICS:
            now, before = getattr(counts, attr), getattr(previous_counts, attr)
            change = (
                Cell(_points(now, before), "pp")
                if kind == "rate"
                else Cell(_delta(now, before), "delta")
            )
            rows.append([Cell(w.ui(label)), Cell(before, kind), Cell(now, kind), change])
    return Table(
        key="trend",
        title=w.ui("sheet_trend"),
        header=header,
        rows=rows,
        empty_note=w.ui("no_previous_round"),
        widths=[52, 26, 26, 14],
    )


def region_tables(pack: RegionPack, w: Words) -> list[Table]:
    name = f"{_region_name(pack.region, w)} ({pack.region.code})"
    summary = summary_table(pack.round, name, pack.data_as_of, pack.counts, w)
    tables = [
        # how to answer the findings (the findings sheet is the answer form)
        replace(summary, notes=[*summary.notes, w.ui("note_answers")]),
        late_missing_table(pack.late_missing, w),
        findings_table(pack.findings, w),
        trend_table(pack.round, pack.counts, pack.previous_round, pack.previous_counts, w),
    ]
    if pack.findings:
        tables.append(rules_table(pack.findings, w))
    return tables


def regions_ranking_table(pack: NationalPack, w: Words) -> Table:
    prev = (
        w.round(pack.previous_round.round_id, pack.previous_round.season)
        if pack.previous_round
        else ""
    )
    header = [
        w.ui("rank"),
        w.ui("region_code"),
        w.ui("region"),
        *(w.ui(label) for label, _, _ in METRICS),
        f"{w.ui('reporting_rate')}, {w.ui('previous_round').lower()}"
        + (f" ({prev})" if prev else ""),
        f"{w.ui('change')} ({w.ui('pp')})",
    ]
    rows = []
    for item in pack.regions:
        c, p = item.counts, item.previous_counts
        rows.append(
            [
                Cell(item.rank, "int"),
                Cell(item.region.code, "code"),
                Cell(_region_name(item.region, w)),
                *(Cell(getattr(c, attr), kind) for _, attr, kind in METRICS),
                Cell(p.reporting_rate if p else None, "rate"),
                Cell(_points(c.reporting_rate, p.reporting_rate if p else None), "pp"),
            ]
        )
    totals = pack.totals
    prev_totals = pack.previous_totals
    prev_rate = prev_totals.reporting_rate if prev_totals else None
    rows.append(
        [
            Cell(None),
            Cell(None),
            Cell(w.ui("total_national")),
            *(Cell(getattr(totals, attr), kind) for _, attr, kind in METRICS),
            Cell(prev_rate, "rate"),
            Cell(_points(totals.reporting_rate, prev_rate), "pp"),
        ]
    )
    return Table(
        key="regions",
        title=w.ui("sheet_regions"),
        header=header,
        rows=rows,
        notes=[w.ui("note_ranking"), w.ui("note_rates")],
        widths=[7, 9, 32, *([14] * len(METRICS)), 18, 14],
        total_row=True,
    )


def national_tables(pack: NationalPack, w: Words) -> list[Table]:
    tables = [
        summary_table(pack.round, w.ui("republic"), pack.data_as_of, pack.totals, w),
        regions_ranking_table(pack, w),
        trend_table(pack.round, pack.totals, pack.previous_round, pack.previous_totals, w),
    ]
    tables.append(answers_table(pack, w))
    names = {r.region.code: _region_name(r.region, w) for r in pack.regions}
    disputed = [(code, f) for code, items in sorted(pack.disputed.items()) for f in items]
    tables.append(
        findings_table(
            [f for _, f in disputed],
            w,
            key="disputed",
            regions=[names.get(code, code) for code, _ in disputed],
        )
    )
    if pack.unassigned_findings:
        tables.append(findings_table(pack.unassigned_findings, w, key="unassigned"))
        tables.append(rules_table(pack.unassigned_findings, w))
    return tables


@dataclass(frozen=True)
class Document:
    """One file of a pack: a title and its tables in one language."""

    lang: str
    title: str
    subtitle: str
    data_as_of: datetime | None
    tables: list[Table]


def region_document(pack: RegionPack, w: Words) -> Document:
    return Document(
        lang=w.lang,
        title=w.ui("dq_report"),
        subtitle=" · ".join(
            (_region_name(pack.region, w), w.round(pack.round.round_id, pack.round.season))
        ),
        data_as_of=pack.data_as_of,
        tables=region_tables(pack, w),
    )


def national_document(pack: NationalPack, w: Words) -> Document:
    return Document(
        lang=w.lang,
        title=w.ui("national_overview"),
        subtitle=w.round(pack.round.round_id, pack.round.season),
        data_as_of=pack.data_as_of,
        tables=national_tables(pack, w),
    )
