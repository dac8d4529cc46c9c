"""The college passport of one year (the register): one row per college open during the
academic year, written after the year's rounds and CIS exports so that its capacity and
demo-exam claims can be set against them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipelines import reference
from pipelines.demo.files import OutFile, landing_path, xlsx_style
from pipelines.demo.model import College, World
from pipelines.demo.plan import Plan
from pipelines.demo.rng import stream
from pipelines.demo.tables import Table

SOURCE = "college_passport"


@dataclass(frozen=True)
class PassportRow:
    """What the truth needs from a passport row (the file itself holds the rest)."""

    row: int  # 0-based data row
    college_bin: str
    region_code: str
    opened_on: object
    closed_on: object
    capacity: int
    demo_exam_claimed: bool


def language(year: int) -> str:
    """The ministry's passport export alternates header language by year (exercises both)."""
    return "kk" if year % 2 == 0 else "ru"


def build_passport(
    world: World,
    plan: Plan,
    year: int,
    counts: dict[tuple[str, str], int],
    demo_bins: set[str],
) -> tuple[OutFile, list[PassportRow]]:
    """`counts`: (bin, round_id) -> students rows written, for the capacity anomaly."""
    lang = language(year)
    table = Table.empty(SOURCE, "colleges")
    rows: list[PassportRow] = []
    colleges = [c for c in world.colleges if c.in_passport(year)]
    colleges.sort(key=lambda c: (world.region_in_year(c, year), c.bin))
    for c in colleges:
        region = world.region_in_year(c, year)
        capacity = _capacity(world, plan, year, c, counts)
        values = _values(world, plan, year, c, region, capacity, demo_bins, lang)
        table.add(values)
        rows.append(
            PassportRow(
                row=len(table.rows) - 1,
                college_bin=c.bin,
                region_code=region,
                opened_on=c.opened_on,
                closed_on=c.closed_on,
                capacity=capacity,
                demo_exam_claimed=bool(values["demo_exam_claimed"]),
            )
        )
    out = OutFile(
        path=landing_path(SOURCE, "xlsx", year=year),
        source=SOURCE,
        style=xlsx_style(lang),
        tables={"colleges": table},
        year=year,
        signed_at=datetime(year, 9, 15, 12, 0, 0),
    )
    return out, rows


def _capacity(
    world: World, plan: Plan, year: int, c: College, counts: dict[tuple[str, str], int]
) -> int:
    """Design capacity; for the planned anomaly, small enough that every round's headcount is
    above 1.2 × capacity (cross.contingent_exceeds_capacity)."""
    if c.bin not in plan.capacity_short.get(year, set()):
        return world.capacity[c.bin]
    written = [
        counts[(c.bin, r.round_id)] for r in world.rounds_of(year) if (c.bin, r.round_id) in counts
    ]
    return max(1, int(min(written) / 1.3)) if written else world.capacity[c.bin]


def _values(
    world: World,
    plan: Plan,
    year: int,
    c: College,
    region: str,
    capacity: int,
    demo_bins: set[str],
    lang: str,
) -> dict[str, object]:
    rng = stream(world.seed, "passport", year, c.bin)
    r = reference.regions()[region]
    conditions = [y <= year for y in c.condition_years]
    held = c.bin in demo_bins
    claimed = held or c.bin in plan.demo_claim_only.get(year, set())
    return {
        "college_bin": c.bin,
        "name_kk": c.name_kk,
        "name_ru": c.name_ru,
        "region": r.name_kk if lang == "kk" else r.name_ru,
        "settlement_type": c.settlement,
        "ownership": c.ownership,
        "opened_on": c.opened_on,
        "closed_on": c.closed_on,
        "capacity": capacity,
        "ramps": conditions[0],
        "light_signals": conditions[1],
        "call_button": conditions[2],
        "accessible_toilet": conditions[3],
        "competence_centre": c.competence_sector is not None,
        "competence_sector": _sector_name(c.competence_sector, lang),
        "patron_enterprises": c.patrons,
        "memoranda": c.patrons + rng.randint(0, 3),
        "programmes_developed": rng.randint(0, 6),
        "targeted_order_students": rng.randint(0, 40) if c.patrons else 0,
        "material_assistance_kzt": float(round(rng.uniform(0, 5_000_000), 2)) if c.patrons else 0.0,
        "demo_exam_claimed": claimed,
        "ws_assessment_claimed": held or rng.random() < 0.2,
    }


_SECTORS = {
    "oil_gas": ("Мұнай-газ", "Нефтегазовая"),
    "transport": ("Көлік және байланыс", "Транспорт и связь"),
    "engineering": ("Инженерлік", "Инженерная"),
    "construction": ("Құрылыс", "Строительство"),
    "agriculture": ("Ауылшаруашылық", "Сельское хозяйство"),
    "energy": ("Энергетика", "Энергетика"),
    "education": ("Педагогика", "Педагогика"),
    "mining": ("Тау-кен", "Горнодобывающая"),
    "services": ("Қызмет көрсету", "Сфера услуг"),
    "it": ("IT", "IT"),
    "health": ("Денсаулық сақтау", "Здравоохранение"),
    "sport": ("Спорт", "Спорт"),
    "arts": ("Өнер және мәдениет", "Искусство и культура"),
    "light_industry": ("Жеңіл өнеркәсіп", "Легкая промышленность"),
    "economics": ("Экономика", "Экономика"),
}


def _sector_name(sector: str | None, lang: str) -> str | None:
    if sector is None:
        return None
    kk, ru = _SECTORS[sector]
    return kk if lang == "kk" else ru
