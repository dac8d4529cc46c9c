"""The tables of a pack in one language, independent of the output format.

XLSX and HTML render the same `Table`s, so the workbook and the page cannot disagree; each
cell carries its kind (count, rate, change, ...) and the renderer decides how to show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pipelines.i18n import localized, round_label, severity_label, status_label, t
from pipelines.reports.model import (
    CollegeStatus,
    Counts,
    Finding,
    NationalPack,
    Region,
    RegionPack,
    RoundInfo,
)

# text: as is; bin: a college BIN (renderers mark it so checks can find every one);
# int: a count; delta: a signed count change; pct: a rate in [0, 1]; pp: a rate change in
# percentage points; date/datetime: as ISO-like text, unambiguous in both languages.
Kind = Literal["text", "bin", "int", "delta", "pct", "pp", "date", "datetime"]
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


def _region_name(region: Region, lang: str) -> str:
    if region.code is None:
        return t("no_region", lang)
    return localized({"name_kk": region.name_kk, "name_ru": region.name_ru}, "name", lang)


def _college_name(row: CollegeStatus | Finding, lang: str) -> str:
    return localized({"name_kk": row.name_kk, "name_ru": row.name_ru}, "name", lang)


def _delta(current: float | int | None, previous: float | int | None) -> float | int | None:
    if current is None or previous is None:
        return None
    return current - previous


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
    ("reporting_rate", "reporting_rate", "pct"),
    ("reporting_rate_on_time", "reporting_rate_on_time", "pct"),
    ("hold_findings", "hold_findings", "int"),
    ("quarantined_rows", "quarantined_rows", "int"),
    ("warning_findings", "warning_findings", "int"),
)


def _meta_rows(info: RoundInfo, region: str, as_of: datetime | None, lang: str) -> list[list[Cell]]:
    return [
        [Cell(t("region", lang)), Cell(region)],
        [Cell(t("round", lang)), Cell(round_label(info.round_id, info.season, lang))],
        [Cell(t("reference_date", lang)), Cell(info.reference_date, "date")],
        [Cell(t("due_date", lang)), Cell(info.due_date, "date")],
        [Cell(t("data_as_of", lang)), Cell(as_of, "datetime")],
    ]


def summary_table(
    info: RoundInfo, region: str, as_of: datetime | None, counts: Counts, lang: str
) -> Table:
    rows = _meta_rows(info, region, as_of, lang)
    rows += [
        [Cell(t(label, lang)), Cell(getattr(counts, attr), kind)] for label, attr, kind in METRICS
    ]
    return Table(
        key="summary",
        title=t("sheet_summary", lang),
        header=[t("metric", lang), t("value", lang)],
        rows=rows,
        notes=[t("note_rates", lang)],
        widths=[52, 36],
    )


def late_missing_table(items: list[CollegeStatus], lang: str) -> Table:
    return Table(
        key="late_missing",
        title=t("sheet_late_missing", lang),
        header=[
            t("college_bin", lang),
            t("college_name", lang),
            t("status", lang),
            t("signed_at", lang),
            t("deadline_at", lang),
        ],
        rows=[
            [
                Cell(item.college_bin, "bin"),
                Cell(_college_name(item, lang)),
                Cell(status_label(item.status, lang)),
                Cell(item.signed_at, "datetime"),
                Cell(item.deadline_at, "datetime"),
            ]
            for item in items
        ],
        empty_note=t("none_late_missing", lang),
        widths=[15, 60, 28, 20, 20],
    )


def findings_table(items: list[Finding], lang: str, key: str = "findings") -> Table:
    unassigned = key == "unassigned"
    title = t("sheet_unassigned" if unassigned else "sheet_findings", lang)
    return Table(
        key=key,
        title=title,
        header=[
            t("college_bin", lang),
            t("college_name", lang),
            t("file_path", lang),
            t("sheet", lang),
            t("row_number", lang),
            t("field", lang),
            t("rule_id", lang),
            t("severity", lang),
            t("offending_value", lang),
            t("message", lang),
        ],
        rows=[
            [
                Cell(item.college_bin, "bin"),
                Cell(_college_name(item, lang)),
                Cell(item.file_path),
                Cell(item.sheet),
                Cell(item.row_number, "int"),
                Cell(item.field),
                Cell(item.rule_id),
                Cell(severity_label(item.severity, lang)),
                Cell(item.offending_value),
                Cell(item.message_kk if lang == "kk" else item.message_ru),
            ]
            for item in items
        ],
        empty_note=t("none_findings", lang),
        notes=[t("note_unassigned", lang)] if unassigned else [],
        widths=[15, 40, 40, 12, 7, 18, 34, 16, 20, 70],
    )


def trend_table(
    info: RoundInfo,
    counts: Counts,
    previous: RoundInfo | None,
    previous_counts: Counts | None,
    lang: str,
) -> Table:
    prev_label = previous.round_id if previous else "—"
    header = [
        t("metric", lang),
        f"{t('previous_round', lang)} ({prev_label})",
        f"{t('current_round', lang)} ({info.round_id})",
        t("change", lang),
    ]
    rows = []
    if previous_counts is not None:
        for label, attr, kind in METRICS:
            now, before = getattr(counts, attr), getattr(previous_counts, attr)
            rows.append(
                [
                    Cell(t(label, lang)),
                    Cell(before, kind),
                    Cell(now, kind),
                    Cell(_delta(now, before), "pp" if kind == "pct" else "delta"),
                ]
            )
    return Table(
        key="trend",
        title=t("sheet_trend", lang),
        header=header,
        rows=rows,
        empty_note=t("no_previous_round", lang),
        widths=[52, 26, 26, 14],
    )


def region_tables(pack: RegionPack, lang: str) -> list[Table]:
    name = f"{_region_name(pack.region, lang)} ({pack.region.code})"
    return [
        summary_table(pack.round, name, pack.data_as_of, pack.counts, lang),
        late_missing_table(pack.late_missing, lang),
        findings_table(pack.findings, lang),
        trend_table(pack.round, pack.counts, pack.previous_round, pack.previous_counts, lang),
    ]


def regions_ranking_table(pack: NationalPack, lang: str) -> Table:
    prev = pack.previous_round.round_id if pack.previous_round else "—"
    header = [
        t("rank", lang),
        t("region_code", lang),
        t("region", lang),
        *(t(label, lang) for label, _, _ in METRICS),
        f"{t('reporting_rate', lang)}, {t('previous_round', lang).lower()} ({prev})",
        f"{t('change', lang)} ({t('pp', lang)})",
    ]
    rows = []
    for item in pack.regions:
        c, p = item.counts, item.previous_counts
        rows.append(
            [
                Cell(item.rank, "int"),
                Cell(item.region.code),
                Cell(_region_name(item.region, lang)),
                *(Cell(getattr(c, attr), kind) for _, attr, kind in METRICS),
                Cell(p.reporting_rate if p else None, "pct"),
                Cell(_delta(c.reporting_rate, p.reporting_rate if p else None), "pp"),
            ]
        )
    totals = pack.totals
    prev_totals = pack.previous_totals
    rows.append(
        [
            Cell(None),
            Cell(None),
            Cell(t("total_national", lang)),
            *(Cell(getattr(totals, attr), kind) for _, attr, kind in METRICS),
            Cell(prev_totals.reporting_rate if prev_totals else None, "pct"),
            Cell(
                _delta(totals.reporting_rate, prev_totals.reporting_rate if prev_totals else None),
                "pp",
            ),
        ]
    )
    return Table(
        key="regions",
        title=t("sheet_regions", lang),
        header=header,
        rows=rows,
        notes=[t("note_ranking", lang), t("note_rates", lang)],
        widths=[7, 9, 32, *([14] * len(METRICS)), 18, 14],
        total_row=True,
    )


def national_tables(pack: NationalPack, lang: str) -> list[Table]:
    tables = [
        summary_table(pack.round, t("republic", lang), pack.data_as_of, pack.totals, lang),
        regions_ranking_table(pack, lang),
        trend_table(pack.round, pack.totals, pack.previous_round, pack.previous_totals, lang),
    ]
    if pack.unassigned_findings:
        tables.append(findings_table(pack.unassigned_findings, lang, key="unassigned"))
    return tables


@dataclass(frozen=True)
class Document:
    """One file of a pack: a title and its tables in one language."""

    lang: str
    title: str
    subtitle: str
    data_as_of: datetime | None
    tables: list[Table]


def region_document(pack: RegionPack, lang: str) -> Document:
    return Document(
        lang=lang,
        title=t("dq_report", lang),
        subtitle=(
            f"{_region_name(pack.region, lang)} · "
            f"{round_label(pack.round.round_id, pack.round.season, lang)}"
        ),
        data_as_of=pack.data_as_of,
        tables=region_tables(pack, lang),
    )


def national_document(pack: NationalPack, lang: str) -> Document:
    return Document(
        lang=lang,
        title=t("national_overview", lang),
        subtitle=round_label(pack.round.round_id, pack.round.season, lang),
        data_as_of=pack.data_as_of,
        tables=national_tables(pack, lang),
    )
