"""Ground truth, computed in Python from the generated world and independent of any SQL:
file fates, the cross-source and temporal warnings, timeliness per expected college and round,
and the four indicators. The rules are those of docs/ARCHITECTURE.md ("Raw layer", "Domain rules").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from pipelines import reference
from pipelines.demo.defect_types import Defect
from pipelines.demo.files import OutFile
from pipelines.demo.passport import PassportRow
from pipelines.demo.tables import Table
from pipelines.reference import Round

NOBD = "nobd_submission"
CAPACITY_FACTOR = 1.2  # cross.contingent_exceeds_capacity: students > 1.2 × capacity
CHANGE_LIMIT = 0.4  # temporal.enrolment_change: |Δ| > 40% of the previous accepted count


@dataclass
class FileRecord:
    """One written file, reduced to what the truth and the manifest need."""

    path: str
    source: str
    round_id: str | None
    year: int | None
    college_bin: str | None
    version: int | None
    signed_at: datetime | None
    format: str
    language: str
    size: int
    sha256: str
    first_rows: dict[str, int]
    defects: list[Defect]
    n_students: int = 0
    n_dual: int = 0
    copies_kk: int = 0
    copies_total: int = 0
    fate: str = ""

    @property
    def structural(self) -> bool:
        return any(d.rule.startswith("structure.") for d in self.defects)


def record_of(out: OutFile, size: int, sha256: str, first_rows: dict[str, int]) -> FileRecord:
    rec = FileRecord(
        path=out.path,
        source=out.source,
        round_id=out.round_id,
        year=out.year,
        college_bin=out.college_bin,
        version=out.version,
        signed_at=out.signed_at,
        format=out.style.label,
        language=out.style.lang,
        size=size,
        sha256=sha256,
        first_rows=first_rows,
        defects=list(out.defects),
    )
    if out.source == NOBD:
        _count(rec, out.tables)
    return rec


def _count(rec: FileRecord, tables: dict[str, Table]) -> None:
    students = tables.get("students")
    if students is not None:
        rec.n_students = len(students.rows)
        if "dual_training" in students.columns:
            rec.n_dual = sum(1 for v in students.column_values("dual_training") if v is True)
    library = tables.get("library")
    if library is not None:
        rec.copies_kk = sum(v for v in library.column_values("copies_kk") if type(v) is int)
        rec.copies_total = sum(v for v in library.column_values("copies_total") if type(v) is int)


# --- fates -----------------------------------------------------------------------------------


def assign_fates(records: list[FileRecord]) -> None:
    """Rejected when unreadable; per (college, round) the latest signed_at (ties: higher version)
    is current, the rest superseded; a current file with a blocking defect is held back."""
    groups: dict[tuple[str, str], list[FileRecord]] = defaultdict(list)
    for r in records:
        if r.structural:
            r.fate = "rejected"
        elif r.source != NOBD:
            r.fate = "loaded"
        else:
            groups[(r.college_bin or "", r.round_id or "")].append(r)
    for group in groups.values():
        group.sort(key=lambda r: (r.signed_at or datetime.min, r.version or 0))
        for r in group[:-1]:
            r.fate = "superseded"
        current = group[-1]
        blocking = any(d.blocking for d in current.defects)
        current.fate = "held_back" if blocking else "loaded"


def current_files(records: list[FileRecord]) -> dict[tuple[str, str], FileRecord]:
    """(college_bin, round_id) -> the current NOBD file (status loaded or held_back)."""
    return {
        (r.college_bin or "", r.round_id or ""): r
        for r in records
        if r.source == NOBD and r.fate in ("loaded", "held_back")
    }


# --- warnings that depend on other files -----------------------------------------------------


def add_submission_warnings(
    records: list[FileRecord], passports: dict[int, list[PassportRow]]
) -> None:
    """cross.contingent_exceeds_capacity and temporal.enrolment_change on current NOBD files.
    Both are submission-level: sheet `students`, row and field empty."""
    current = current_files(records)
    capacity = {(y, p.college_bin): p.capacity for y, rows in passports.items() for p in rows}
    calendar = reference.calendar()
    for (college_bin, round_id), rec in sorted(current.items()):
        year = calendar[round_id].year
        cap = capacity.get((year, college_bin))
        if cap is not None and rec.n_students > CAPACITY_FACTOR * cap:
            rec.defects.append(Defect("cross.contingent_exceeds_capacity", "students", None, None))
        prev = reference.previous_round(round_id)
        before = current.get((college_bin, prev.round_id)) if prev else None
        if before is not None and before.fate == "loaded" and before.n_students > 0:
            change = abs(rec.n_students - before.n_students) / before.n_students
            if change > CHANGE_LIMIT:
                rec.defects.append(Defect("temporal.enrolment_change", "students", None, None))


def demo_claim_warnings(rows: list[PassportRow], demo_bins: set[str]) -> list[Defect]:
    """cross.demo_exam_claim_without_result: the passport claims a demo exam, CIS has none."""
    return [
        Defect("cross.demo_exam_claim_without_result", "colleges", p.row, "demo_exam_claimed")
        for p in rows
        if p.demo_exam_claimed and p.college_bin not in demo_bins
    ]


def register_warnings(table: Table, register: set[str]) -> list[Defect]:
    """cross.ws_college_not_in_register: a CIS row whose college is not in that year's passport."""
    return [
        Defect("cross.ws_college_not_in_register", "results", i, "college_bin")
        for i, b in enumerate(table.column_values("college_bin"))
        if b not in register
    ]


# --- timeliness ------------------------------------------------------------------------------


def expected_in_round(rows: list[PassportRow], rnd: Round) -> list[PassportRow]:
    day = rnd.reference_date
    return [p for p in rows if _open(p, day)]


def _open(p: PassportRow, day: date) -> bool:
    opened, closed = p.opened_on, p.closed_on
    assert isinstance(opened, date)
    return opened <= day and (closed is None or (isinstance(closed, date) and closed > day))


def submissions(
    rounds: list[Round], passports: dict[int, list[PassportRow]], records: list[FileRecord]
) -> list[dict[str, object]]:
    """One row per expected college per round: on_time | late | missing."""
    current = current_files(records)
    out = []
    for rnd in rounds:
        for p in expected_in_round(passports[rnd.year], rnd):
            rec = current.get((p.college_bin, rnd.round_id))
            status = "missing"
            if rec is not None and rec.fate == "loaded" and rec.signed_at is not None:
                extra = reference.extension_days(rnd.round_id, p.region_code, p.college_bin)
                status = "on_time" if rec.signed_at <= rnd.deadline(extra) else "late"
            out.append(
                {
                    "round_id": rnd.round_id,
                    "college_bin": p.college_bin,
                    "region_code": p.region_code,
                    "status": status,
                }
            )
    return sorted(out, key=lambda s: (str(s["round_id"]), str(s["college_bin"])))


# --- indicators ------------------------------------------------------------------------------


@dataclass
class _Sums:
    numerator: int = 0
    denominator: int = 0


@dataclass
class _Period:
    sums: dict[str | None, _Sums] = field(default_factory=lambda: defaultdict(_Sums))

    def add(self, region: str, numerator: int, denominator: int) -> None:
        for key in (None, region):  # national and regional
            self.sums[key].numerator += numerator
            self.sums[key].denominator += denominator


def indicators(
    rounds: list[Round],
    passports: dict[int, list[PassportRow]],
    records: list[FileRecord],
    demo_bins: dict[int, set[str]],
) -> list[dict[str, object]]:
    """Ratios of sums over expected colleges; a row per period for the nation and every region
    with at least one expected college (denominator 0 is kept: value NULL downstream)."""
    current = current_files(records)
    out: list[dict[str, object]] = []
    for rnd in rounds:
        textbooks, dual = _Period(), _Period()
        for p in expected_in_round(passports[rnd.year], rnd):
            textbooks.add(p.region_code, 0, 0)
            dual.add(p.region_code, 0, 0)
            rec = current.get((p.college_bin, rnd.round_id))
            if rec is not None and rec.fate == "loaded":
                textbooks.add(p.region_code, rec.copies_kk, rec.copies_total)
                dual.add(p.region_code, rec.n_dual, rec.n_students)
        out += _rows("kazakh_textbook_share", rnd.round_id, textbooks)
        out += _rows("dual_training_share", rnd.round_id, dual)
    for year in sorted({r.year for r in rounds}):
        year_rounds = [r for r in rounds if r.year == year]
        demo, inclusive = _Period(), _Period()
        for p in passports[year]:
            if not any(_open(p, r.reference_date) for r in year_rounds):
                continue
            demo.add(p.region_code, int(p.college_bin in demo_bins.get(year, set())), 1)
            inclusive.add(p.region_code, int(p.barrier_free), 1)
        period = f"{year}-{year + 1}"
        out += _rows("demo_exam_college_share", period, demo)
        out += _rows("inclusive_readiness_share", period, inclusive)
    return sorted(
        out,
        key=lambda r: (
            str(r["indicator_id"]),
            str(r["period"]),
            str(r["level"]),
            str(r["region_code"]),
        ),
    )


def _rows(indicator: str, period: str, p: _Period) -> list[dict[str, object]]:
    return [
        {
            "indicator_id": indicator,
            "period": period,
            "level": "national" if region is None else "region",
            "region_code": region,
            "numerator": s.numerator,
            "denominator": s.denominator,
        }
        for region, s in p.sums.items()
    ]
