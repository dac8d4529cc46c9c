"""WorldSkills / CIS exports of one year: championships (college → regional → republican →
international, four streams) and demonstration exams. Competitors are real students of their
college (nobd.Candidates), so their IINs are those of the NOBD files.

In 2022 each region sent 5 to 30 winners to the republican championship (seed L1669): the
regional WorldSkills events here advance 5–30 competitors per region.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipelines import reference
from pipelines.demo import names
from pipelines.demo.defect_types import Defect
from pipelines.demo.files import OutFile, landing_path, utf8_csv_style, xlsx_style
from pipelines.demo.model import College, World
from pipelines.demo.nobd import Candidates
from pipelines.demo.plan import Plan
from pipelines.demo.rng import stream
from pipelines.demo.tables import Table

SOURCE = "worldskills_export"
STREAMS = ("worldskills", "abilympics", "deafskills", "agroskills")


@dataclass
class Competitor:
    iin: str
    college: College | None  # None: an organisation outside the register
    bin: str
    specialty: str
    mark: float = 0.0


@dataclass
class CisYear:
    championships: OutFile
    demo_exams: OutFile
    demo_bins: set[str] = field(default_factory=set)  # colleges with >= 1 demo-exam result row


def languages(year: int) -> tuple[str, str]:
    """(championships, demo exams) header language: alternate by year to exercise both."""
    return ("ru", "kk") if year % 2 == 0 else ("kk", "ru")


def build_cis(
    world: World, plan: Plan, year: int, candidates: dict[tuple[int, str], Candidates]
) -> CisYear:
    rng = stream(world.seed, "cis", year)
    lang_ch, lang_de = languages(year)
    colleges = [c for c in world.colleges if (year, c.bin) in candidates]
    champ = Table.empty(SOURCE, "results")
    _championships(world, year, colleges, candidates, rng, champ, lang_ch)
    champ_file = OutFile(
        path=landing_path(SOURCE, "xlsx", event_kind="championships", year=year),
        source=SOURCE,
        style=xlsx_style(lang_ch),
        tables={"results": champ},
        year=year,
    )
    _outsiders(world, plan, year, rng, champ_file)
    demo = Table.empty(SOURCE, "results")
    excluded = plan.demo_claim_only.get(year, set())
    demo_bins = _demo_exams(world, year, colleges, candidates, excluded, rng, demo, lang_de)
    demo_file = OutFile(
        path=landing_path(SOURCE, "csv", event_kind="demo_exams", year=year),
        source=SOURCE,
        style=utf8_csv_style(lang_de),
        tables={"results": demo},
        year=year,
    )
    return CisYear(champ_file, demo_file, demo_bins)


# --- championships ---------------------------------------------------------------------------


def _championships(
    world: World,
    year: int,
    colleges: list[College],
    candidates: dict[tuple[int, str], Candidates],
    rng: random.Random,
    out: Table,
    lang: str,
) -> None:
    """Every level × every stream occurs each year: intra-college events, regional events whose
    best advance to the republican championship, and its best to an international one."""
    counter = _Counter(f"CH-{year}")
    ev = _Events(out, counter, world, lang, rng)
    _college_level(ev, year, colleges, candidates)
    advanced = _regional_level(ev, year, colleges, candidates)
    for stream_name in STREAMS:
        if not advanced[stream_name]:
            continue
        day = _day(rng, date(year + 1, 4, 10), 30, None)
        people = advanced[stream_name]
        best = ev.event("republican", stream_name, day, people, max(1, len(people) // 40))
        day = _day(rng, date(year + 1, 6, 1), 20, None)
        ev.event("international", stream_name, day, best[:5], 0)


@dataclass
class _Events:
    out: Table
    counter: _Counter
    world: World
    lang: str
    rng: random.Random

    def event(
        self, level: str, stream_name: str, day: date, people: list[Competitor], advance: int
    ) -> list[Competitor]:
        return _event(
            self.out, self.counter.next(), level, stream_name, day, people, advance,
            self.world, self.lang, self.rng,
        )  # fmt: skip


def _college_level(
    ev: _Events, year: int, colleges: list[College], candidates: dict[tuple[int, str], Candidates]
) -> None:
    """About a third of colleges hold an intra-college championship, mostly WorldSkills; the
    first four hosts cover the four streams."""
    hosts = [c for c in colleges if ev.rng.random() < 0.3] or colleges[:4]
    for k, c in enumerate(hosts):
        stream_name = STREAMS[k] if k < len(STREAMS) else _weighted_stream(ev.rng)
        pool = _pool(candidates[(year, c.bin)].any, c, ev.rng, 8, stream_name)
        ev.event("college", stream_name, _day(ev.rng, date(year, 11, 1), 30, c), pool, 2)


def _weighted_stream(rng: random.Random) -> str:
    return rng.choices(STREAMS, [70, 10, 10, 10])[0]


def _regional_level(
    ev: _Events, year: int, colleges: list[College], candidates: dict[tuple[int, str], Candidates]
) -> dict[str, list[Competitor]]:
    """One WorldSkills event per region (5–30 advance, seed L1669); the smaller streams in some
    regions, always at least in the region with most colleges."""
    advanced: dict[str, list[Competitor]] = {s: [] for s in STREAMS}
    by_region: dict[str, list[College]] = {}
    for c in colleges:
        by_region.setdefault(ev.world.region_in_year(c, year), []).append(c)
    biggest = max(sorted(by_region), key=lambda r: len(by_region[r]))
    for region in sorted(by_region):
        for stream_name in STREAMS:
            k = _advancing(stream_name, len(by_region[region]), ev.rng, region == biggest)
            if k == 0:
                continue
            pool = [
                p
                for c in by_region[region]
                for p in _pool(candidates[(year, c.bin)].any, c, ev.rng, k + 4, stream_name)
            ]
            ev.rng.shuffle(pool)
            pool = pool[: k + ev.rng.randint(2, 10)]
            day = _day(ev.rng, date(year + 1, 2, 1), 27, None)
            advanced[stream_name] += ev.event("regional", stream_name, day, pool, k)
    return advanced


def _advancing(stream_name: str, n_colleges: int, rng: random.Random, always: bool) -> int:
    """How many competitors a region sends on: 5–30 for WorldSkills (seed L1669), a few for
    the smaller streams, which not every region holds."""
    if stream_name == "worldskills":
        return min(30, max(5, n_colleges // 2 + rng.randint(3, 8)))
    chance = {"abilympics": 0.6, "deafskills": 0.3, "agroskills": 0.5}[stream_name]
    if always or rng.random() < chance:
        return rng.randint(1, 4)
    return 0


def _pool(
    people: list[tuple[str, str, bool]], c: College, rng: random.Random, k: int, stream_name: str
) -> list[Competitor]:
    """Up to k students of college c suited to the stream (Abilympics/DeafSkills: students with
    special educational needs first; AgroSkills: agricultural specialties first)."""

    def suited(p: tuple[str, str, bool]) -> bool:
        if stream_name in ("abilympics", "deafskills"):
            return p[2]
        if stream_name == "agroskills":
            return reference.specialties()[p[1]]["sector"] == "agriculture"
        return True

    ranked = [p for p in people if suited(p)] + [p for p in people if not suited(p)]
    picked = ranked[:k] if stream_name != "worldskills" else rng.sample(people, min(k, len(people)))
    return [Competitor(iin, c, c.bin, spec) for iin, spec, _ in picked]


def _event(
    out: Table,
    event_id: str,
    level: str,
    stream_name: str,
    day: date,
    people: list[Competitor],
    advance: int,
    world: World,
    lang: str,
    rng: random.Random,
) -> list[Competitor]:
    """Rows of one championship; returns the competitors who advance (best marks)."""
    for p in people:
        p.mark = round(rng.uniform(35, 98), 2)
    ranked = sorted(people, key=lambda p: (-p.mark, p.iin))
    medals = {0: "gold", 1: "silver", 2: "bronze"}
    for rank, p in enumerate(ranked):
        medal = medals.get(rank) or ("medallion" if p.mark >= 85 else "none")
        out.add(
            {
                "event_id": event_id,
                "event_type": "championship",
                "event_name": _event_name(level, stream_name, day, lang),
                "level": level,
                "stream": stream_name,
                "event_date": day,
                "skill": _skill(p.specialty, lang),
                "competitor_iin": p.iin,
                "college_bin": p.bin,
                "region": _region_name(world, p.college, day, lang),
                "mark": p.mark,
                "medal": medal,
                "advanced": rank < advance,
                "passed": None,
            }
        )
    return ranked[:advance]


def _event_name(level: str, stream_name: str, day: date, lang: str) -> str:
    brand = {"worldskills": "WorldSkills Kazakhstan", "abilympics": "Abilympics",
             "deafskills": "DeafSkills", "agroskills": "AgroSkills"}[stream_name]  # fmt: skip
    words = {
        "kk": {
            "college": "колледжішілік чемпионаты",
            "regional": "өңірлік чемпионаты",
            "republican": "республикалық чемпионаты",
            "international": "халықаралық чемпионаты",
        },
        "ru": {
            "college": "внутриколледжный чемпионат",
            "regional": "региональный чемпионат",
            "republican": "республиканский чемпионат",
            "international": "международный чемпионат",
        },
    }[lang][level]
    return f"{brand} {day.year} {words}"


def _skill(specialty: str, lang: str) -> str:
    sector = reference.specialties().get(specialty, {}).get("sector", "engineering")
    skills = names.SKILLS.get(sector, names.SKILLS["engineering"])
    kk, ru = skills[int(specialty[-4:-2]) % len(skills)]
    return kk if lang == "kk" else ru


def _region_name(world: World, college: College | None, day: date, lang: str) -> str:
    """Official region name in the file's language, as of the event date."""
    code = reference.region_on(college.region, day) if college else "71"
    r = reference.regions()[code]
    return r.name_kk if lang == "kk" else r.name_ru


def _day(rng: random.Random, start: date, spread: int, college: College | None) -> date:
    day = start + timedelta(days=rng.randint(0, spread))
    if college and college.closed_on and day >= college.closed_on:
        day = college.closed_on - timedelta(days=1)
    if college and day < college.opened_on:
        day = college.opened_on
    return day


class _Counter:
    def __init__(self, prefix: str) -> None:
        self.prefix, self.n = prefix, 0

    def next(self) -> str:
        self.n += 1
        return f"{self.prefix}-{self.n:04d}"


def _outsiders(world: World, plan: Plan, year: int, rng: random.Random, f: OutFile) -> None:
    """Rows from an organisation outside the college register (a university team entered in a
    regional championship): warning cross.ws_college_not_in_register on field college_bin."""
    table = f.tables["results"]
    regional = [k for k, lvl in enumerate(table.column_values("level")) if lvl == "regional"]
    if not regional:
        return
    outsider_bin = world.ids.bin(date(1996, 7, 1))
    for _ in range(plan.outsiders.get(year, 0)):
        template = dict(zip(table.columns, table.rows[rng.choice(regional)], strict=True))
        birth = date(year - 20, rng.randint(1, 12), rng.randint(1, 28))
        template.update(
            competitor_iin=world.ids.iin(birth, rng.choice("MF")),
            college_bin=outsider_bin,
            region=_region_name(world, None, template["event_date"], f.style.lang),
            medal="none",
            advanced=False,
            mark=round(rng.uniform(30, 70), 2),
        )
        table.add(template)
        f.defects.append(
            Defect(
                "cross.ws_college_not_in_register", "results", len(table.rows) - 1, "college_bin"
            )
        )


# --- demonstration exams ---------------------------------------------------------------------


def _demo_exams(
    world: World,
    year: int,
    colleges: list[College],
    candidates: dict[tuple[int, str], Candidates],
    excluded: set[str],
    rng: random.Random,
    out: Table,
    lang: str,
) -> set[str]:
    """Demonstration exams of final-course students; the share of colleges holding them grows
    each year. Returns the BINs with at least one result row."""
    counter = _Counter(f"DE-{year}")
    held: set[str] = set()
    trend = 0.08 * (year - 2022)
    for c in colleges:
        finals = candidates[(year, c.bin)].final
        if c.bin in excluded or not finals or rng.random() > min(0.97, c.demo_propensity + trend):
            continue
        by_specialty: dict[str, list[tuple[str, str, bool]]] = {}
        for person in finals:
            by_specialty.setdefault(person[1], []).append(person)
        groups = sorted(by_specialty.values(), key=lambda g: (-len(g), g[0][1]))
        for group in groups[: rng.randint(1, 2)]:  # one exam per specialty (one skill)
            day = _day(rng, date(year + 1, 5, 10), 45, c)
            group = rng.sample(group, min(len(group), rng.randint(5, 20)))
            event_id = counter.next()
            for iin, specialty, _sen in group:
                mark = round(rng.uniform(30, 99), 1)
                out.add(
                    {
                        "event_id": event_id,
                        "event_type": "demo_exam",
                        "event_name": _demo_name(specialty, lang),
                        "level": None,
                        "stream": "worldskills",
                        "event_date": day,
                        "skill": _skill(specialty, lang),
                        "competitor_iin": iin,
                        "college_bin": c.bin,
                        "region": _region_name(world, c, day, lang),
                        "mark": mark,
                        "medal": None,
                        "advanced": None,
                        "passed": mark >= 50,
                    }
                )
            held.add(c.bin)
    return held


def _demo_name(specialty: str, lang: str) -> str:
    skill = _skill(specialty, lang)
    return (
        f"Демонстрациялық емтихан: {skill}"
        if lang == "kk"
        else f"Демонстрационный экзамен: {skill}"
    )
