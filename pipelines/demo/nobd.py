"""NOBD submissions of one round: header, students, library fund and staff of every expected
college, with the plan's scenario applied (missing, late, resubmitted, malformed, defective,
held back)."""

from __future__ import annotations

import copy
import math
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from pipelines import reference
from pipelines.demo import inject, names
from pipelines.demo.files import (
    OutFile,
    Style,
    cp1251_csv_style,
    landing_path,
    utf8_csv_style,
    xlsx_style,
)
from pipelines.demo.model import College, World
from pipelines.demo.plan import (
    ACCEPTED,
    SURGE_FACTOR,
    TWO_VERSIONS,
    Assignment,
    Plan,
    Scenario,
)
from pipelines.demo.population import Populations, Student
from pipelines.demo.rng import stream
from pipelines.demo.tables import Table
from pipelines.quality.rules import IMPLAUSIBLE_FACTOR
from pipelines.reference import Round

SOURCE = "nobd_submission"
# Spellings every generated period must show at least once (the brief's examples of real files).
_CYRILLIC = re.compile("[а-яёәғқңөұүһі]", re.IGNORECASE)
FORCED_SPELLINGS = {"63": "ШҚО", "71": "г. Астана", "61": "Туркестанская*"}


@dataclass
class Candidates:
    """Real students of a college in a year, for the CIS exports (championships, demo exams)."""

    any: list[tuple[str, str, bool]] = field(default_factory=list)  # (iin, specialty, sen)
    final: list[tuple[str, str, bool]] = field(default_factory=list)  # final-course students


def college_style(c: College) -> Style:
    if c.fmt == "csv_cp1251":
        return cp1251_csv_style(c.variant)
    if c.fmt == "csv_utf8":
        return utf8_csv_style(c.lang, c.variant)
    return xlsx_style(c.lang, c.variant)


def build_round(
    world: World,
    plan: Plan,
    pops: Populations,
    rnd: Round,
    candidates: dict[tuple[int, str], Candidates],
    forced: dict[str, str],
) -> list[OutFile]:
    """Every NOBD file of the round, defects injected (row indices still 0-based)."""
    files: list[OutFile] = []
    by_college: dict[str, OutFile] = {}
    for college in world.expected(rnd):
        students = pops.advance(college, rnd)
        _remember(world, candidates, rnd, college, students)
        assignment = plan.get(rnd.round_id, college.bin)
        if assignment.scenario == Scenario.MISSING:
            continue
        made = _files_for(world, pops, rnd, college, students, assignment, forced)
        files += made
        by_college[college.bin] = made[-1]
    _inject_duplicates_across(world, plan, rnd, by_college)
    return files


def _remember(
    world: World,
    candidates: dict[tuple[int, str], Candidates],
    rnd: Round,
    c: College,
    students: list[Student],
) -> None:
    """Keep a sample of real students per college and year (the year's last round wins)."""
    rng = stream(world.seed, "candidates", c.bin, rnd.round_id)
    sample = rng.sample(students, min(60, len(students)))
    finals = [s for s in students if s.course == s.length][:40]
    candidates[(rnd.year, c.bin)] = Candidates(
        any=[(s.iin, s.specialty_code, s.sen) for s in sample],
        final=[(s.iin, s.specialty_code, s.sen) for s in finals],
    )


def _files_for(
    world: World,
    pops: Populations,
    rnd: Round,
    college: College,
    students: list[Student],
    a: Assignment,
    forced: dict[str, str],
) -> list[OutFile]:
    rng = stream(world.seed, "nobd", college.bin, rnd.round_id)
    region = world.region_in_year(college, rnd.year)
    ext_days = reference.extension_days(rnd.round_id, region, college.bin)
    kind = {Scenario.LATE: "late", Scenario.LATE_SAVED: "saved"}.get(a.scenario, "on_time")
    signed = signing_time(rnd, kind, ext_days, rng)
    spelling = _forced_spelling(college, region, a, forced)
    current = draft(world, pops, rnd, college, students, region, signed, rng, spelling)
    if a.scenario in TWO_VERSIONS:
        return _two_versions(world, rnd, college, current, a, ext_days, rng)
    enterprises = world.enterprises[college.region]
    if a.scenario == Scenario.MALFORMED:
        inject.malform(current, a.variant)
    elif a.scenario == Scenario.ROW_DEFECT:
        inject.row_defect(current, a.variant, rng, enterprises)
    elif a.scenario == Scenario.AGE:
        inject.implausible_age(current, rnd.reference_date, rng)
    elif a.scenario == Scenario.SURGE:
        before = world.sizes[(college.bin, _previous(world, rnd).round_id)]
        _add_students(pops, college, rnd, current, round(SURGE_FACTOR * before), "surge")
    elif a.scenario == Scenario.IMPLAUSIBLE:
        # Past the hold threshold with a margin; the passport capacity of the year stays as
        # designed (no capacity_short college gets this scenario).
        target = math.ceil(IMPLAUSIBLE_FACTOR * 1.1 * world.capacity[college.bin])
        _add_students(pops, college, rnd, current, target, "implausible")
    elif a.scenario == Scenario.SYSTEMATIC:
        inject.systematic_iins(current, rng)
    elif a.scenario == Scenario.ROUND_MISMATCH:
        inject.header_round(current, _other_round(rnd).round_id)
    elif a.scenario == Scenario.HEADER_ROWS:
        inject.second_header_row(current)
    return [current]


def _two_versions(
    world: World,
    rnd: Round,
    college: College,
    current: OutFile,
    a: Assignment,
    ext_days: int,
    rng: random.Random,
) -> list[OutFile]:
    """v1 and v2 of a resubmission. Usually v1 is an earlier draft (a few students short, an
    older fund) and v2 the planned file; a held resubmission is the other way round: the planned
    file is v1, which stays current, and v2 is a later draft the data-quality step holds back."""
    if a.scenario == Scenario.HELD_RESUBMISSION:
        second = _renumber(_later_version(current, rng), 2)
        inject.wrong_header_bin(second, a.variant, rng, world.enterprises[college.region])
        return [current, second]
    first = _earlier_version(current, rnd, rng)
    if a.scenario == Scenario.RESUBMIT_AFTER_REJECT:
        inject.malform(first, a.variant)
    elif a.scenario == Scenario.LATE_CORRECTION:
        _sign(current, signing_time(rnd, "late", ext_days, rng))
    return [first, _renumber(current, 2)]


def _add_students(
    pops: Populations, college: College, rnd: Round, f: OutFile, target: int, key: str
) -> None:
    """Append students that exist in this file only, up to `target` rows."""
    students = f.tables["students"]
    extra = pops.extra(college, rnd, target - len(students.rows), key)
    students.rows += [pops.row(s) for s in extra]


def _previous(world: World, rnd: Round) -> Round:
    return world.rounds[world.rounds.index(rnd) - 1]


def _other_round(rnd: Round) -> Round:
    """The calendar round before `rnd` (the one after it for the calendar's first round)."""
    previous = reference.previous_round(rnd.round_id)
    if previous is not None:
        return previous
    ids = list(reference.calendar())
    return reference.calendar()[ids[ids.index(rnd.round_id) + 1]]


def draft(
    world: World,
    pops: Populations,
    rnd: Round,
    college: College,
    students: list[Student],
    region: str,
    signed: datetime,
    rng: random.Random,
    spelling: str | None = None,
) -> OutFile:
    style = college_style(college)
    header = Table.empty(SOURCE, "header")
    header.add(
        {
            "college_bin": college.bin,
            "college_name": college.name_kk if style.lang == "kk" else college.name_ru,
            "region": spelling or _region_spelling(world, college, region, rnd, style, rng),
            "round_id": rnd.round_id,
            "reference_date": rnd.reference_date,
            "signed_at": signed,
            "signer_position": rng.choice(names.SIGNER_POSITIONS[style.lang]),
        }
    )
    tables = {
        "header": header,
        "students": pops.table(students),
        "library": library(college, rnd, len(students), rng),
    }
    if college.has_staff:
        tables["staff"] = staff(len(students), rng)
    return OutFile(
        path=landing_path(
            SOURCE, style.ext, college_bin=college.bin, round_id=rnd.round_id, version=1
        ),
        source=SOURCE,
        style=style,
        tables=tables,
        round_id=rnd.round_id,
        college_bin=college.bin,
        version=1,
        signed_at=signed,
    )


def library(college: College, rnd: Round, n_students: int, rng: random.Random) -> Table:
    """Textbook fund by subject area; the Kazakh share grows ~2.5 points a year (national
    project «Ұлттық рухани жаңғыру», targets 35% in 2022 to 50% in 2025)."""
    t = Table.empty(SOURCE, "library")
    share = college.kk_textbook_share + 0.025 * (rnd.reference_date.year - 2022)
    per_student = 20 + (int(college.bin[-4:]) % 30)
    total = max(200, n_students * per_student + rng.randint(-50, 50))
    for area, part, shift in (("general", 0.4, 0.04), ("professional", 0.6, -0.04)):
        copies = int(total * part)
        kk_share = min(0.97, max(0.03, share + shift + rng.uniform(-0.02, 0.02)))
        kk = int(copies * kk_share)
        ru = int((copies - kk) * 0.93)
        titles = max(5, copies // rng.randint(8, 20))
        t.add(
            {
                "subject_area": area,
                "copies_total": copies,
                "copies_kk": kk,
                "copies_ru": ru,
                "copies_other": copies - kk - ru,
                "titles_total": titles,
                "titles_kk": int(titles * kk_share * rng.uniform(0.9, 1.0)),
            }
        )
    return t


def staff(n_students: int, rng: random.Random) -> Table:
    t = Table.empty(SOURCE, "staff")
    for category, per in (("teacher", 11), ("industrial_master", 35), ("other", 20)):
        head = max(2, round(n_students / per * rng.uniform(0.9, 1.1)))
        fte = round(head * rng.uniform(1.0, 1.35) * 4) / 4  # rates come in quarters
        t.add({"category": category, "headcount": head, "fte": float(fte)})
    return t


def signing_time(rnd: Round, kind: str, ext_days: int, rng: random.Random) -> datetime:
    """on_time: in the window up to due + grace; late: after due + grace + extensions;
    saved: after due + grace but within the extension."""
    due = rnd.due_date
    if kind == "late":
        day = due + timedelta(days=rnd.grace_days + ext_days + rng.randint(1, 21))
    elif kind == "saved":
        day = due + timedelta(days=rnd.grace_days + rng.randint(1, max(1, ext_days)))
    elif rng.random() < 0.8:
        day = rnd.window_opens + timedelta(days=rng.randint(2, (due - rnd.window_opens).days))
    else:
        day = due + timedelta(days=rng.randint(1, rnd.grace_days))
    return datetime.combine(day, time(rng.randint(9, 19), rng.randint(0, 59), rng.randint(0, 59)))


def _earlier_version(current: OutFile, rnd: Round, rng: random.Random) -> OutFile:
    """v1 of a resubmission: signed 1–6 days before v2, a few students short and an older fund."""
    first = copy.deepcopy(current)
    assert current.signed_at is not None
    _sign(
        first,
        max(
            datetime.combine(rnd.window_opens, time(10, 0)),
            current.signed_at - timedelta(days=rng.randint(1, 6), minutes=rng.randint(0, 600)),
        ),
    )
    _shorten(first, rng)
    return first


def _later_version(current: OutFile, rng: random.Random) -> OutFile:
    """v2 signed 1–6 days after v1, a few students short (its fate does not depend on it)."""
    second = copy.deepcopy(current)
    assert current.signed_at is not None
    _sign(
        second, current.signed_at + timedelta(days=rng.randint(1, 6), minutes=rng.randint(0, 600))
    )
    _shorten(second, rng)
    return second


def _shorten(f: OutFile, rng: random.Random) -> None:
    students = f.tables["students"]
    del students.rows[len(students.rows) - rng.randint(1, 3) :]
    lib = f.tables["library"]
    lib.set(0, "copies_total", lib.get(0, "copies_total") - 10)
    lib.set(0, "copies_ru", lib.get(0, "copies_ru") - 10)


def _sign(f: OutFile, signed_at: datetime) -> None:
    f.signed_at = signed_at
    f.tables["header"].set(0, "signed_at", signed_at)


def _renumber(f: OutFile, version: int) -> OutFile:
    assert f.college_bin and f.round_id
    f.version = version
    f.path = landing_path(
        SOURCE, f.style.ext, college_bin=f.college_bin, round_id=f.round_id, version=version
    )
    return f


def _inject_duplicates_across(
    world: World, plan: Plan, rnd: Round, by_college: dict[str, OutFile]
) -> None:
    for b, a in sorted(plan.by_round.get(rnd.round_id, {}).items()):
        if a.scenario == Scenario.DUP_SOURCE and a.partner in by_college and b in by_college:
            rng = stream(world.seed, "dup-across", rnd.round_id, b)
            inject.duplicate_across(by_college[b], by_college[a.partner], rng)


# --- region spellings ------------------------------------------------------------------------


@cache
def _alias_rows() -> list[tuple[str, str, date | None, date | None]]:
    df = reference.load("region_aliases")
    return [
        (r["alias"], r["region_code"], r["valid_from"], r["valid_to"])
        for r in df.iter_rows(named=True)
        if not r["alias"].isdigit()
    ]


def region_spellings(code: str, day: date, encoding: str) -> list[str]:
    """Aliases of a region that were current on `day` and that the file's encoding can hold."""
    out = []
    for alias, c, start, end in _alias_rows():
        if c != code or (start and start > day) or (end and end <= day):
            continue
        try:
            alias.encode(encoding)
        except UnicodeEncodeError:
            continue
        out.append(alias)
    return out


def _forced_spelling(
    college: College, region: str, a: Assignment, forced: dict[str, str]
) -> str | None:
    """The first accepted file of regions 63/71/61 in the period carries «ШҚО», «г. Астана»,
    «Туркестанская*» (spellings real files use; the last one with its footnote mark)."""
    spelling = FORCED_SPELLINGS.get(region)
    style = college_style(college)
    if not spelling or region in forced or a.scenario not in ACCEPTED:
        return None
    if not _encodable(spelling, style.encoding):
        return None
    forced[region] = college.bin
    return spelling


def _region_spelling(
    world: World, college: College, region: str, rnd: Round, style: Style, rng: random.Random
) -> str:
    """The college's habitual spelling most of the time, else the official name or any alias."""
    r = reference.regions()[region]
    every = region_spellings(region, rnd.reference_date, style.encoding)
    options = [a for a in every if _CYRILLIC.search(a)]  # habits are Cyrillic; Latin is rare
    official = r.name_kk if style.lang == "kk" else r.name_ru
    if not _encodable(official, style.encoding):
        official = options[0]  # «область Ұлытау» cannot be written in Windows-1251
    options = options or [official]
    habitual = options[stream(world.seed, "habit", college.bin).randrange(len(options))]
    x = rng.random()
    return habitual if x < 0.6 else (official if x < 0.85 else rng.choice(every or options))


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
