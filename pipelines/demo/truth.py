"""Ground truth, computed in Python from the generated world and independent of any SQL:
file fates under the acceptance policy, the findings that depend on more than one row or file
(identity, systematic defects, implausibility, cross-source and temporal warnings), quarantined
rows, timeliness per expected college and round, and every indicator of the registry
(dbt_project/indicators.yml), each from what its measures declare they count. The rules are those
of docs/ARCHITECTURE.md ("Raw layer", "Domain rules", "Acceptance policy"); severities come from
`pipelines.quality.rules`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from pipelines import reference
from pipelines.contracts import load_contract
from pipelines.demo.defect_types import Defect
from pipelines.demo.files import OutFile
from pipelines.demo.passport import PassportRow
from pipelines.demo.tables import Table
from pipelines.indicators import Counts, Registry, load_registry
from pipelines.quality.rules import DEFECTIVE_ROWS_SHARE, IMPLAUSIBLE_FACTOR
from pipelines.reference import Round

NOBD = "nobd_submission"
_registry = cache(load_registry)  # read once per generation, not once per file
CAPACITY_FACTOR = 1.2  # cross.contingent_exceeds_capacity: students > 1.2 × capacity
CHANGE_LIMIT = 0.4  # temporal.enrolment_change: |Δ| > 40% of the previous accepted count
# Fates whose findings are reported (a superseded version's findings are not kept; a rejected
# file's finding is its structure rule).
REPORTED = ("loaded", "held_back", "rejected")


@dataclass
class FileRecord:
    """One written file, reduced to what the truth and the manifest need."""

    path: str
    source: str
    round_id: str | None
    year: int | None
    college_bin: str | None  # NOBD: the college of the file name, the submission's owner
    version: int | None
    signed_at: datetime | None
    format: str
    language: str
    size: int
    sha256: str
    first_rows: dict[str, int]
    defects: list[Defect]
    sheet_rows: dict[str, int] = field(default_factory=dict)  # data rows per sheet
    # Students as submitted (what the contingent and enrolment rules count) …
    n_students: int = 0
    # … and the registry's measures over rows that are not quarantined (what the indicators
    # count): college BIN -> (grain, measure column) -> value.
    measures: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    fate: str = ""

    @property
    def structural(self) -> bool:
        return any(d.structural for d in self.defects)

    @property
    def acceptable(self) -> bool:
        """Readable and without a hold finding: a candidate to be the current submission."""
        return not self.structural and all(d.severity(self.source) != "hold" for d in self.defects)

    @property
    def reported_defects(self) -> list[Defect]:
        return self.defects if self.fate in REPORTED else []

    @property
    def quarantined(self) -> set[tuple[str, int]]:
        return quarantined_rows(self.defects, self.source)


def quarantined_rows(defects: list[Defect], source: str) -> set[tuple[str, int]]:
    """(sheet, 0-based row) of every row a quarantine finding leaves out."""
    return {
        (d.sheet, d.row)
        for d in defects
        if d.sheet is not None and d.row is not None and d.severity(source) == "quarantine"
    }


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
        sheet_rows={name: len(t.rows) for name, t in out.tables.items()},
    )
    if out.source == NOBD and not rec.structural:
        rec.defects += identity_findings(out)
        rec.defects += defective_rows_findings(rec)
        rec.n_students = len(out.tables["students"].rows)
    if not rec.structural:
        rec.measures = college_measures(rec, out.tables, _registry())
    return rec


def identity_findings(out: OutFile) -> list[Defect]:
    """identity.*: the header (its first row, the one the registry reads) against the file name
    and the folder; more than one header row. Evaluated on what was written, so a mistyped
    header BIN yields identity.bin_mismatch whatever else it breaks."""
    header = out.tables["header"]
    folder, name = out.path.rsplit("/", 1)
    named = load_contract(NOBD).match_file(name)
    assert named is not None, out.path
    found = []
    # Every header row after the first is named (the first is the one the registry reads).
    found += [Defect("identity.header_rows", "header", i, None) for i in range(1, len(header.rows))]
    if header.get(0, "college_bin") != named["college_bin"]:
        found.append(Defect("identity.bin_mismatch", "header", 0, "college_bin"))
    rounds = {header.get(0, "round_id"), named["round_id"], folder.rsplit("/", 1)[-1]}
    if len(rounds) > 1:
        found.append(Defect("identity.round_mismatch", "header", 0, "round_id"))
    return found


def defective_rows_findings(rec: FileRecord) -> list[Defect]:
    """submission.defective_rows: a sheet with more than one quarantined row and more than
    DEFECTIVE_ROWS_SHARE of its rows quarantined (the pipeline's default share)."""
    per_sheet: dict[str, int] = defaultdict(int)
    for sheet, _row in rec.quarantined:
        per_sheet[sheet] += 1
    return [
        Defect("submission.defective_rows", sheet, None, None)
        for sheet, n in sorted(per_sheet.items())
        if n > 1 and n > DEFECTIVE_ROWS_SHARE * rec.sheet_rows[sheet]
    ]


def college_measures(
    rec: FileRecord, tables: dict[str, Table], registry: Registry
) -> dict[str, dict[tuple[str, str], int]]:
    """Every registry measure over this file's rows that are not quarantined, per college: the
    college of the file name when the file has one (a NOBD submission), else the row's
    college_bin (passports, CIS exports)."""
    left_out = rec.quarantined
    out: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for grain in registry.grains.values():
        for column, counts in registry.measures(grain.id).items():
            table = tables.get(counts.sheet)
            if grain.sheets[counts.sheet] != rec.source or table is None:
                continue
            owner = rec.college_bin
            bins = [owner] * len(table.rows) if owner else table.column_values("college_bin")
            by_college: dict[str, list[int]] = defaultdict(list)
            if owner:  # a submission's college has its measures even with no rows
                by_college[owner] = []
            for i, b in enumerate(bins):
                if (counts.sheet, i) not in left_out:
                    by_college[str(b)].append(i)
            for college, rows in by_college.items():
                out[college][(grain.id, column)] = evaluate(counts, table, rows)
    return dict(out)


def evaluate(counts: Counts, table: Table, rows: list[int]) -> int:
    """What `counts` declares, over `rows` of `table` (canonical values)."""
    where = [(table.columns.index(c) if c in table.columns else None, v) for c, v in counts.where]
    matched = [i for i in rows if all(_equals(table.rows[i], j, v) for j, v in where)]
    if counts.any:
        return int(bool(matched))
    if counts.sum is not None:
        values = table.column_values(counts.sum)
        return sum(v for i in matched if type(v := values[i]) is int)
    return len(matched)


def _equals(row: list[object], index: int | None, wanted: object) -> bool:
    if index is None:  # the column is not in the file: no row has the value
        return False
    value = row[index]
    return value is wanted if isinstance(wanted, bool) else value == wanted


# --- fates -----------------------------------------------------------------------------------


def assign_fates(records: list[FileRecord], passports: dict[int, list[PassportRow]]) -> None:
    """Rejected when unreadable; yearly sources loaded. NOBD, round by round (the hold and
    warning rules compare with the previous round's accepted submission): per college of the
    file name, the latest signed (ties: higher version) acceptable version is `loaded`, later
    held versions `held_back`, the rest `superseded`; with no acceptable version the latest is
    `held_back`. The rules that compare counts run on every version (hold) or on the loaded
    and held-back ones (warnings, as only their findings are reported)."""
    groups: dict[tuple[str, str], list[FileRecord]] = defaultdict(list)
    for r in records:
        if r.structural:
            r.fate = "rejected"
        elif r.source != NOBD:
            r.fate = "loaded"
        else:
            groups[(r.round_id or "", r.college_bin or "")].append(r)
    capacity = {(y, p.college_bin): p.capacity for y, rows in passports.items() for p in rows}
    order = list(reference.calendar())
    accepted: dict[tuple[str, str], FileRecord] = {}
    for round_id, college_bin in sorted(groups, key=lambda k: (order.index(k[0]), k[1])):
        versions = groups[(round_id, college_bin)]
        cap = capacity.get((reference.calendar()[round_id].year, college_bin))
        prev = reference.previous_round(round_id)
        before = accepted.get((prev.round_id, college_bin)) if prev else None
        for v in versions:
            v.defects += implausible_findings(v, cap, before)
        current = _decide_currency(versions)
        if current is not None:
            accepted[(round_id, college_bin)] = current
        for v in versions:
            if v.fate in ("loaded", "held_back"):
                v.defects += count_warnings(v, cap, before)


def _decide_currency(versions: list[FileRecord]) -> FileRecord | None:
    """Set the fates of one college's versions in one round; the loaded one, if any."""
    ordered = sorted(versions, key=lambda r: (r.signed_at or datetime.min, r.version or 0))
    acceptable = [i for i, v in enumerate(ordered) if v.acceptable]
    last = acceptable[-1] if acceptable else len(ordered) - 1
    for i, v in enumerate(ordered):
        if i < last:
            v.fate = "superseded"
        elif i > last or not acceptable:
            v.fate = "held_back"
        else:
            v.fate = "loaded"
    return ordered[last] if acceptable else None


def implausible_findings(
    rec: FileRecord, capacity: int | None, before: FileRecord | None
) -> list[Defect]:
    """cross.contingent_implausible (hold): students above IMPLAUSIBLE_FACTOR × the passport
    capacity or × the previous round's accepted count. Submission level: sheet students."""
    limits = [c for c in (capacity, before.n_students if before else None) if c]
    if any(rec.n_students > IMPLAUSIBLE_FACTOR * c for c in limits):
        return [Defect("cross.contingent_implausible", "students", None, None)]
    return []


def count_warnings(
    rec: FileRecord, capacity: int | None, before: FileRecord | None
) -> list[Defect]:
    """cross.contingent_exceeds_capacity and temporal.enrolment_change, submission level.
    Evaluated independently of the hold rule: an implausible submission carries them too."""
    found = []
    if capacity is not None and rec.n_students > CAPACITY_FACTOR * capacity:
        found.append(Defect("cross.contingent_exceeds_capacity", "students", None, None))
    if before is not None and before.n_students > 0:
        change = abs(rec.n_students - before.n_students) / before.n_students
        if change > CHANGE_LIMIT:
            found.append(Defect("temporal.enrolment_change", "students", None, None))
    return found


def accepted_files(records: list[FileRecord]) -> dict[tuple[str, str], FileRecord]:
    """(college_bin, round_id) -> the accepted current NOBD file (status loaded)."""
    return {
        (r.college_bin or "", r.round_id or ""): r
        for r in records
        if r.source == NOBD and r.fate == "loaded"
    }


# --- warnings that depend on other files -----------------------------------------------------


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
    """One row per expected college per round: on_time | late | missing, judged on the first
    acceptable version's signing time, and the two flags of the acceptance policy."""
    versions: dict[tuple[str, str], list[FileRecord]] = defaultdict(list)
    for r in records:
        if r.source == NOBD and r.fate != "rejected":
            versions[(r.college_bin or "", r.round_id or "")].append(r)
    out = []
    for rnd in rounds:
        for p in expected_in_round(passports[rnd.year], rnd):
            extra = reference.extension_days(rnd.round_id, p.region_code, p.college_bin)
            row = _timeliness(versions.get((p.college_bin, rnd.round_id), []), rnd.deadline(extra))
            out.append(
                {
                    "round_id": rnd.round_id,
                    "college_bin": p.college_bin,
                    "region_code": p.region_code,
                    **row,
                }
            )
    return sorted(out, key=lambda s: (str(s["round_id"]), str(s["college_bin"])))


def _timeliness(versions: list[FileRecord], deadline: datetime) -> dict[str, object]:
    """status, previous_version_current (a later version is held back while an earlier accepted
    one is current), corrected_after_due_date (the current version is a correction of an
    acceptable one and was signed after the deadline)."""
    current = next((v for v in versions if v.fate == "loaded"), None)
    if current is None or current.signed_at is None:
        return {
            "status": "missing",
            "previous_version_current": False,
            "corrected_after_due_date": False,
        }
    acceptable = sorted(
        (v for v in versions if v.acceptable), key=lambda v: (v.signed_at, v.version or 0)
    )
    first = acceptable[0]
    assert first.signed_at is not None
    return {
        "status": "on_time" if first.signed_at <= deadline else "late",
        "previous_version_current": any(v.fate == "held_back" for v in versions),
        "corrected_after_due_date": current is not first and current.signed_at > deadline,
    }


# --- indicators ------------------------------------------------------------------------------


@dataclass
class _Sums:
    numerator: int = 0
    denominator: int = 0


Measures = dict[tuple[str, str], int]  # (grain, measure column) -> value


def indicators(
    rounds: list[Round],
    passports: dict[int, list[PassportRow]],
    records: list[FileRecord],
) -> list[dict[str, object]]:
    """Every indicator of the registry: ratios of sums, over expected colleges, of the measures
    its numerator and denominator name. A row per period for the nation and every region with at
    least one expected college (denominator 0 is kept: value NULL downstream)."""
    # (grain, period) -> [(region, the college's measures)] for every expected college
    colleges: dict[tuple[str, str], list[tuple[str, Measures]]] = {}
    accepted = accepted_files(records)
    for rnd in rounds:
        colleges[("round", rnd.round_id)] = [
            (p.region_code, _submission_measures(accepted.get((p.college_bin, rnd.round_id)), p))
            for p in expected_in_round(passports[rnd.year], rnd)
        ]
    for year in sorted({r.year for r in rounds}):
        year_rounds = [r for r in rounds if r.year == year]
        yearly = _yearly_measures([r for r in records if r.year == year and r.fate == "loaded"])
        colleges[("academic_year", f"{year}-{year + 1}")] = [
            (p.region_code, yearly.get(p.college_bin, {}))
            for p in passports[year]
            if any(_open(p, r.reference_date) for r in year_rounds)
        ]
    out: list[dict[str, object]] = []
    for ind in _registry().indicators:
        num, den = (ind.grain, ind.numerator.column), (ind.grain, ind.denominator.column)
        for (grain, period), members in colleges.items():
            if grain != ind.grain:
                continue
            sums: dict[str | None, _Sums] = defaultdict(_Sums)
            for region, m in members:
                for key in (None, region):  # national and regional
                    sums[key].numerator += m.get(num, 0)
                    sums[key].denominator += m.get(den, 0)
            out += _rows(ind.id, period, sums)
    return sorted(
        out,
        key=lambda r: (
            str(r["indicator_id"]),
            str(r["period"]),
            str(r["level"]),
            str(r["region_code"]),
        ),
    )


def _submission_measures(rec: FileRecord | None, p: PassportRow) -> Measures:
    """A college's round measures: those of its accepted current submission (none: zeros)."""
    return rec.measures.get(p.college_bin, {}) if rec is not None else {}


def _yearly_measures(records: list[FileRecord]) -> dict[str, Measures]:
    """College -> measures over the year's loaded passport and CIS files: counts and sums add
    up across files, an `any` measure is 1 when any file has it (the largest)."""
    is_any = {
        (g, column)
        for g in _registry().grains
        for column, counts in _registry().measures(g).items()
        if counts.any
    }
    out: dict[str, Measures] = defaultdict(dict)
    for rec in records:
        for college, measures in rec.measures.items():
            mine = out[college]
            for key, value in measures.items():
                mine[key] = (
                    max(mine.get(key, 0), value) if key in is_any else mine.get(key, 0) + value
                )
    return out


def _rows(indicator: str, period: str, sums: dict[str | None, _Sums]) -> list[dict[str, object]]:
    return [
        {
            "indicator_id": indicator,
            "period": period,
            "level": "national" if region is None else "region",
            "region_code": region,
            "numerator": s.numerator,
            "denominator": s.denominator,
        }
        for region, s in sums.items()
    ]
