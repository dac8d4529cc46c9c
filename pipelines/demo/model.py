"""The in-memory world: regions, colleges with their history, sizes per round, enterprises.

Students live in `population.py`; this module decides everything that is fixed before the first
round is simulated, so the defect plan can be made up front.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipelines import reference
from pipelines.demo import names
from pipelines.demo.config import NATIONAL_MEAN_STUDENTS, Options
from pipelines.demo.ids import IdFactory
from pipelines.demo.rng import stream
from pipelines.reference import Round

# Qualifications excluded from the classifier in 2022 (reference README, seed L323–377): still
# valid until 2025-07-15, but a generated college does not enrol new students in them.
RETIRED_QUALIFICATIONS = {"3W01120101", "4S01130203", "4S01140102", "4S01140603", "4S01140604"}


@dataclass
class College:
    bin: str
    region: str  # KATO code of today's region (after the 2022 split)
    town_kk: str
    town_ru: str
    name_kk: str
    name_ru: str
    ownership: str  # state | private
    settlement: str  # urban | rural
    opened_on: date
    closed_on: date | None
    specialties: tuple[str, ...]
    lang: str  # kk | ru: language of its NOBD headers and value spellings
    fmt: str  # xlsx | csv_cp1251 | csv_utf8: how its NOBD software exports
    base_size: int
    kk_textbook_share: float
    kk_study_share: float
    dual_rate: float
    demo_propensity: float
    condition_years: tuple[int, int, int, int]  # year each barrier-free condition was met
    competence_sector: str | None
    has_staff: bool
    variant: int  # which spelling variant its software uses
    patrons: int

    def is_open_on(self, day: date) -> bool:
        """ARCHITECTURE "Register": opened_on <= day and (no closed_on or closed_on > day)."""
        return self.opened_on <= day and (self.closed_on is None or self.closed_on > day)

    def in_passport(self, year: int) -> bool:
        """Listed in passport year Y when open at some point of academic year Y-(Y+1)."""
        return self.opened_on <= date(year + 1, 6, 30) and (
            self.closed_on is None or self.closed_on > date(year, 9, 1)
        )


@dataclass
class World:
    options: Options
    rounds: list[Round]
    colleges: list[College]
    enterprises: dict[str, list[str]]  # region code -> enterprise BINs (dual training partners)
    ids: IdFactory
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)  # (bin, round) -> headcount
    capacity: dict[str, int] = field(default_factory=dict)  # bin -> design capacity

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def years(self) -> list[int]:
        return sorted({r.year for r in self.rounds})

    def rounds_of(self, year: int) -> list[Round]:
        return [r for r in self.rounds if r.year == year]

    def expected(self, rnd: Round) -> list[College]:
        return [
            c for c in self.colleges if c.in_passport(rnd.year) and c.is_open_on(rnd.reference_date)
        ]

    def expected_bins(self, rnd: Round) -> set[str]:
        return {c.bin for c in self.expected(rnd)}

    def region_in_year(self, college: College, year: int) -> str:
        """The passport region of academic year Y: a passport is written in the autumn of Y, so a
        passport before the 8 June 2022 split names the parent region (63/19/35)."""
        return reference.region_on(college.region, date(year, 10, 1))

    def by_bin(self) -> dict[str, College]:
        return {c.bin: c for c in self.colleges}


# --- building the world ----------------------------------------------------------------------


def build_world(options: Options) -> World:
    rounds = reference.rounds_of_years(options.first_year, options.last_year)
    if not rounds:
        raise ValueError(f"calendar.csv has no rounds for {options.first_year}-{options.last_year}")
    ids = IdFactory()
    counts = allocate(options.n_colleges, names.COLLEGE_WEIGHTS)
    colleges = _make_colleges(options, counts, ids)
    _make_history(options, colleges, rounds)
    enterprises = _make_enterprises(options, ids)
    world = World(options, rounds, sorted(colleges, key=lambda c: c.bin), enterprises, ids)
    _make_sizes(world)
    return world


def allocate(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Colleges per region: proportional to weights (largest remainder), with a floor of 2 per
    region when there are enough colleges (1 when 20–39), so every region is present."""
    regions = sorted(weights, key=lambda r: (-weights[r], r))
    floor = 2 if total >= 2 * len(regions) else (1 if total >= len(regions) else 0)
    counts = {r: floor for r in regions}
    rest = total - floor * len(regions)
    wsum = sum(weights.values())
    shares = {r: rest * weights[r] / wsum for r in regions}
    for r in regions:
        counts[r] += math.floor(shares[r])
    left = total - sum(counts.values())
    for r in sorted(regions, key=lambda r: (-(shares[r] - math.floor(shares[r])), r))[:left]:
        counts[r] += 1
    return {r: n for r, n in counts.items() if n > 0}


def _make_colleges(options: Options, counts: dict[str, int], ids: IdFactory) -> list[College]:
    colleges: list[College] = []
    for region in sorted(counts):
        used: dict[tuple[str, int], int] = {}
        for k in range(counts[region]):
            rng = stream(options.seed, "college", region, k)
            colleges.append(_make_college(options, region, k, rng, ids, used))
    _ensure_formats(colleges)
    return colleges


def _make_college(
    options: Options,
    region: str,
    k: int,
    rng: random.Random,
    ids: IdFactory,
    used: dict[tuple[str, int], int],
) -> College:
    towns = names.TOWNS[region]
    # The regional centre hosts most colleges.
    town_kk, town_ru = towns[0] if rng.random() < 0.6 else rng.choice(towns)
    profile = _pick_profile(region, rng)
    sectors = set(profile[2])
    specialties = tuple(
        sorted(c for c, s in reference.specialties().items() if s["sector"] in sectors)
    ) or tuple(sorted(reference.specialties()))
    key = (town_ru, names.PROFILES.index(profile) if profile in names.PROFILES else -1)
    used[key] = used.get(key, 0) + 1
    number = f"№{used[key]} " if used[key] > 1 else ""
    base_kk = f"{number}{town_kk} {profile[0]}"
    base_ru = f"{profile[1]} {number}г. {town_ru}".replace("  ", " ")
    ownership = "state" if rng.random() < 0.78 else "private"
    form_kk, form_ru = names.LEGAL_FORM[ownership]
    registered = date(rng.randint(1996, 2016), rng.randint(1, 12), 1)
    fmt_draw = rng.random()
    fmt = "csv_cp1251" if fmt_draw < 0.15 else ("csv_utf8" if fmt_draw < 0.18 else "xlsx")
    lang = "kk" if rng.random() < names.KAZAKH_HEADER_SHARE[region] else "ru"
    if fmt == "csv_cp1251":
        lang = "ru"  # Windows-1251 cannot encode Kazakh letters
    return College(
        bin=ids.bin(registered),
        region=region,
        town_kk=town_kk,
        town_ru=town_ru,
        name_kk=form_kk.format(base_kk),
        name_ru=form_ru.format(base_ru),
        ownership=ownership,
        settlement="urban" if town_ru == towns[0][1] or rng.random() < 0.5 else "rural",
        opened_on=date(rng.randint(1960, 2015), rng.randint(1, 12), rng.randint(1, 28)),
        closed_on=None,
        specialties=specialties,
        lang=lang,
        fmt=fmt,
        base_size=_base_size(options, rng),
        kk_textbook_share=_clamp(names.KAZAKH_TEXTBOOK_SHARE[region] + rng.uniform(-0.1, 0.1)),
        kk_study_share=_clamp(names.KAZAKH_HEADER_SHARE[region] + rng.uniform(-0.15, 0.1)),
        dual_rate=rng.uniform(0.04, 0.35),
        demo_propensity=rng.uniform(0.35, 0.95),
        condition_years=_condition_years(rng),
        competence_sector=rng.choice(profile[2]) if rng.random() < 0.2 else None,
        has_staff=rng.random() < 0.85,
        variant=rng.randrange(6),
        patrons=rng.randint(0, 12),
    )


def _pick_profile(region: str, rng: random.Random) -> tuple[str, str, tuple[str, ...]]:
    if region in names.OIL_REGIONS and rng.random() < 0.2:
        return names.OIL_PROFILE
    if region in names.MINING_REGIONS and rng.random() < 0.2:
        return names.MINING_PROFILE
    return rng.choice(names.PROFILES)


def _base_size(options: Options, rng: random.Random) -> int:
    if options.national_sizing:
        # Lognormal around the national mean (~625): colleges range from ~150 to ~2,500 students.
        sigma = 0.55
        mu = math.log(NATIONAL_MEAN_STUDENTS) - sigma**2 / 2
        return int(min(2500, max(150, rng.lognormvariate(mu, sigma))))
    return rng.randint(36, 110)


def _condition_years(rng: random.Random) -> tuple[int, int, int, int]:
    """Years the four barrier-free conditions were met: all four by 2022 for ~half of colleges,
    rising towards the 2025 target of 100% (seed L894–912) without quite reaching it."""
    ready = rng.choices([2019, 2021, 2022, 2023, 2024, 2025, 2027], [20, 20, 12, 14, 14, 10, 10])[0]
    years = [rng.randint(2015, ready) for _ in range(3)] + [ready]
    rng.shuffle(years)
    return (years[0], years[1], years[2], years[3])


def _clamp(x: float, lo: float = 0.05, hi: float = 0.95) -> float:
    return min(hi, max(lo, x))


def _ensure_formats(colleges: list[College]) -> None:
    """At least one Windows-1251 CSV and one UTF-8 CSV exporter even at small scales, so every
    reader path is exercised; the last colleges of the list are converted when none drew it."""
    if len(colleges) < 4:
        return
    # «ШҚО», a spelling every run shows (nobd.FORCED_SPELLINGS), cannot be written in
    # Windows-1251: one East Kazakhstan college keeps a Unicode format.
    east = [c for c in colleges if c.region == "63"]
    if east and all(c.fmt == "csv_cp1251" for c in east):
        east[0].fmt, east[0].lang = "xlsx", "kk"
    if not any(c.fmt == "csv_cp1251" for c in colleges):
        last = next(c for c in reversed(colleges) if c not in east[:1])
        last.fmt, last.lang = "csv_cp1251", "ru"
    if not any(c.fmt == "csv_utf8" for c in colleges):
        colleges[-2].fmt = "csv_utf8"
    if not any(c.fmt == "xlsx" and c.lang == "ru" for c in colleges):
        colleges[-3].fmt, colleges[-3].lang = "xlsx", "ru"
    if not any(c.fmt == "xlsx" and c.lang == "kk" for c in colleges):
        colleges[0].fmt, colleges[0].lang = "xlsx", "kk"


def _make_history(options: Options, colleges: list[College], rounds: list[Round]) -> None:
    """A few colleges open or close during the period (so they are expected only while open).
    Only regions with at least 3 colleges lose or gain one, so every region keeps two open."""
    if len(rounds) < 2 or len(colleges) < 20:
        return
    rng = stream(options.seed, "history")
    by_region: dict[str, list[College]] = {}
    for c in colleges:
        by_region.setdefault(c.region, []).append(c)
    pool = [c for cs in by_region.values() if len(cs) >= 3 for c in cs[1:]]
    rng.shuffle(pool)
    n = max(1, round(len(colleges) * 0.03))
    first, last = rounds[0].reference_date, rounds[-1].reference_date
    ref_dates = [r.reference_date for r in rounds[1:]]
    for i, c in enumerate(pool[:n]):
        # The first opening college opens exactly on a reference date: expected in that round.
        c.opened_on = ref_dates[0] if i == 0 else _date_between(rng, first, last)
    for i, c in enumerate(pool[n : 2 * n]):
        # The first closing college closes exactly on a reference date: not expected in it.
        c.closed_on = ref_dates[-1] if i == 0 else _date_between(rng, first, last)


def _date_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(1, max(1, (end - start).days)))


def _make_enterprises(options: Options, ids: IdFactory) -> dict[str, list[str]]:
    """Dual-training partner enterprises per region (valid BINs, disjoint from colleges)."""
    out: dict[str, list[str]] = {}
    per_region = 40 if options.national_sizing else 8
    for region in sorted(names.COLLEGE_WEIGHTS):
        rng = stream(options.seed, "enterprises", region)
        out[region] = [
            ids.bin(date(rng.randint(1997, 2020), rng.randint(1, 12), 1)) for _ in range(per_region)
        ]
    return out


def _make_sizes(world: World) -> None:
    """Headcount per college per round: a gentle drift (at most ±7% per round, far inside the
    40% temporal rule), and a design capacity of 1.8–2.6× the largest headcount (far above the
    1.2× capacity rule), so no warning arises by accident."""
    lo, hi = (150, 3000) if world.options.national_sizing else (30, 120)
    for c in world.colleges:
        rng = stream(world.seed, "sizes", c.bin)
        size = c.base_size
        for r in world.rounds:
            size = round(size * rng.uniform(0.94, 1.06))
            size = int(min(hi, max(lo, min(c.base_size * 1.35, max(c.base_size * 0.75, size)))))
            world.sizes[(c.bin, r.round_id)] = size
        biggest = max(world.sizes[(c.bin, r.round_id)] for r in world.rounds)
        world.capacity[c.bin] = int(math.ceil(biggest * rng.uniform(1.8, 2.6) / 25) * 25)
