"""Reference data (sources/reference/*.csv): one loader for the generator, the ingest and tests.

Every column is read as text first (codes such as `01120100` or region `10` keep their leading
digits), then the date and integer columns listed in `_TYPES` are cast. Empty cells become null.
The files are small, so each is read once per process and cached; callers must not mutate the
returned dicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import TypeVar

import polars as pl

from pipelines.contracts import normalise_label
from pipelines.settings import REFERENCE_DIR

# The files every consumer may ask for, by stem.
FILES = (
    "regions",
    "region_aliases",
    "calendar",
    "extensions",
    "indicator_targets",
    "specialties",
    "qualifications",
)

# Non-text columns per file; anything not listed stays a string.
_TYPES: dict[str, dict[str, pl.DataType]] = {
    "regions": {"valid_from": pl.Date(), "valid_to": pl.Date()},
    "region_aliases": {"valid_from": pl.Date(), "valid_to": pl.Date()},
    "calendar": {
        "reference_date": pl.Date(),
        "window_opens": pl.Date(),
        "due_date": pl.Date(),
        "grace_days": pl.Int64(),
    },
    "extensions": {"extra_days": pl.Int64(), "granted_on": pl.Date()},
    "indicator_targets": {"year": pl.Int64(), "target_pct": pl.Float64()},
}


def reference_path(name: str, directory: Path | None = None) -> Path:
    if name not in FILES:
        raise KeyError(f"unknown reference file {name!r}; known: {', '.join(FILES)}")
    return (directory or REFERENCE_DIR) / f"{name}.csv"


@cache
def load(name: str, directory: Path | None = None) -> pl.DataFrame:
    """One reference CSV as a polars DataFrame with typed date/integer columns."""
    path = reference_path(name, directory)
    if not path.exists():
        raise FileNotFoundError(f"reference file missing: {path}")
    df = pl.read_csv(path, infer_schema=False, empty_string_is_null=True)
    casts = [_cast(col, dtype) for col, dtype in _TYPES.get(name, {}).items() if col in df.columns]
    return df.with_columns(casts) if casts else df


def _cast(col: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Date():
        return pl.col(col).str.strptime(pl.Date(), "%Y-%m-%d")
    return pl.col(col).cast(dtype)


# --- typed views used by Python code (generator, truth, tests) -------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class Region:
    code: str
    name_kk: str
    name_ru: str
    name_en: str
    kind: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None

    def exists_on(self, day: date) -> bool:
        """Half-open validity [valid_from, valid_to)."""
        after_start = self.valid_from is None or self.valid_from <= day
        before_end = self.valid_to is None or day < self.valid_to
        return after_start and before_end


@dataclass(frozen=True)
class Round:
    round_id: str
    academic_year: str
    season: str
    reference_date: date
    window_opens: date
    due_date: date
    grace_days: int

    @property
    def year(self) -> int:
        """The passport / CIS year whose academic year holds this round (2025-spring -> 2024)."""
        return int(self.academic_year[:4])

    def deadline(self, extra_days: int = 0) -> datetime:
        """Last on-time moment: due date + grace + extensions, at 23:59:59."""
        last_day = self.due_date + timedelta(days=self.grace_days + extra_days)
        return datetime.combine(last_day, time(23, 59, 59))


@dataclass(frozen=True)
class Extension:
    round_id: str
    scope: str  # region | college
    region_code: str | None
    college_bin: str | None
    extra_days: int


def _records(
    cls: type[T], rows: pl.DataFrame, renamed: dict[str, str] | None = None
) -> Iterator[T]:
    """`rows` as instances of the dataclass `cls`, a field from the column of its name (or the
    column `renamed` gives it); the columns are typed already (`_TYPES`)."""
    columns = {f.name: (renamed or {}).get(f.name, f.name) for f in fields(cls)}
    for r in rows.iter_rows(named=True):
        yield cls(**{name: r[column] for name, column in columns.items()})


@cache
def regions() -> dict[str, Region]:
    return {r.code: r for r in _records(Region, load("regions"), {"code": "region_code"})}


def region_on(code: str, day: date) -> str:
    """The region `code` belonged to on `day`: a region not created yet -> its parent."""
    region = regions()[code]
    while not region.exists_on(day) and region.parent_code:
        region = regions()[region.parent_code]
    return region.code


@cache
def alias_lookup() -> dict[str, str | None]:
    """Normalised region spelling -> KATO region code, None for an ambiguous spelling (matching
    ignores the alias dates)."""
    rows = load("region_aliases").iter_rows(named=True)
    return {r["alias_normalised"]: r["region_code"] for r in rows}


@cache
def _candidates_lookup() -> dict[str, tuple[str, ...]]:
    """Normalised spelling -> every region it may mean (one code unless the alias is ambiguous)."""
    out: dict[str, tuple[str, ...]] = {}
    for r in load("region_aliases").iter_rows(named=True):
        codes = r["region_code"] or r["candidate_codes"] or ""
        out[r["alias_normalised"]] = tuple(sorted(codes.split()))
    return out


def resolve_region(spelling: object) -> str | None:
    """KATO code for a region as written in a file; None when the spelling is unknown or
    ambiguous (sources/reference/README.md: an ambiguous spelling is never resolved silently)."""
    if spelling is None:
        return None
    return alias_lookup().get(normalise_label(spelling))


def region_candidates(spelling: object) -> tuple[str, ...]:
    """Every region a spelling may mean, sorted: () unknown, one code, or several (ambiguous).
    The SQL twin is `stg_passports__colleges.region_candidates`."""
    if spelling is None:
        return ()
    return _candidates_lookup().get(normalise_label(spelling) or "", ())


def passport_region(spelling: object, previous: str | None) -> str | None:
    """The region a passport row names (docs/ARCHITECTURE.md "Domain rules"): the spelling's
    region; an ambiguous spelling takes `previous` (the college's region in its passport of the
    year before) when it is one of the candidates, else None. The SQL twin is
    `stg_passports__register_rows.region_written_code`."""
    candidates = region_candidates(spelling)
    if len(candidates) == 1:
        return candidates[0]
    return previous if previous in candidates else None


@cache
def calendar() -> dict[str, Round]:
    return {r.round_id: r for r in _records(Round, load("calendar").sort("reference_date"))}


def rounds_of_years(first_year: int, last_year: int) -> list[Round]:
    """Both rounds of academic years first_year-(first_year+1) … last_year-(last_year+1)."""
    wanted = {f"{y}-{y + 1}" for y in range(first_year, last_year + 1)}
    return [r for r in calendar().values() if r.academic_year in wanted]


def previous_round(round_id: str) -> Round | None:
    """The calendar round immediately before `round_id` (None for the first one)."""
    ids = list(calendar())
    i = ids.index(round_id)
    return calendar()[ids[i - 1]] if i > 0 else None


@cache
def extensions() -> tuple[Extension, ...]:
    return tuple(_records(Extension, load("extensions")))


def extension_days(round_id: str, region_code: str | None, college_bin: str | None) -> int:
    """Extra days granted to this college in this round: region and college scopes add up."""
    total = 0
    for e in extensions():
        if e.round_id != round_id:
            continue
        if (e.scope == "region" and e.region_code == region_code) or (
            e.scope == "college" and e.college_bin == college_bin
        ):
            total += e.extra_days
    return total


@cache
def specialties() -> dict[str, dict[str, str]]:
    """specialty_code -> row (name_kk, name_ru, name_en, sector, provenance)."""
    return {r["specialty_code"]: r for r in load("specialties").iter_rows(named=True)}


@cache
def qualifications() -> dict[str, dict[str, str]]:
    """qualification_code -> row (specialty_code, names, level, …)."""
    return {r["qualification_code"]: r for r in load("qualifications").iter_rows(named=True)}


def qualifications_of(specialty_code: str) -> list[str]:
    return sorted(q for q, r in qualifications().items() if r["specialty_code"] == specialty_code)


def partition_keys() -> dict[str, list[str]]:
    """A contract's `partition` (round_id | year) -> its keys in order: the collection rounds by
    reference date, the passport/CIS years. Dagster's partitions are made from these
    (pipelines/assets/partitions.py); `edustat run` reads them without importing Dagster."""
    rounds = calendar()
    return {
        "round_id": sorted(rounds, key=lambda r: rounds[r].reference_date),
        "year": sorted({str(r.year) for r in rounds.values()}),
    }


def source_partition_keys() -> dict[str, set[str]]:
    """source -> every partition key of it."""
    from pipelines.contracts import all_contracts

    keys = partition_keys()
    return {s: set(keys[c.partition]) for s, c in all_contracts().items()}
