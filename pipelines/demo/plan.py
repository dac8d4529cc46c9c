"""The defect plan: which college gets which scenario in which round, decided up front.

Rates per round (of expected colleges): ~4% missing, ~2.5% malformed file (rejected), ~5% one
row-level defect (the row is quarantined, or a warning), one cross-college duplicate pair
(warnings), ~4% resubmitted, ~5% late (plus one late file saved by a deadline extension where
extensions.csv has one), ~5% warning anomalies, ~1% each of a held-back resubmission, a
correction signed after the deadline and a submission held back as a whole (systematic IIN
errors, implausible headcount, wrong round, two header rows; dealt in turn). At small scales the
quotas are raised so that every injectable rule id occurs at least once over the generated
period (variants are dealt round-robin across rounds). Scenarios are disjoint within a round: one
college, one story.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from pipelines import reference
from pipelines.demo.model import World
from pipelines.demo.rng import stream
from pipelines.reference import Round


class Scenario(StrEnum):
    CLEAN = "clean"
    MISSING = "missing"  # no file at all
    LATE = "late"  # signed after the deadline (incl. extensions)
    LATE_SAVED = "late_saved"  # after due + grace, but within its region's extension: on time
    RESUBMIT = "resubmit"  # v1 superseded by a later-signed v2
    RESUBMIT_AFTER_REJECT = "resubmit_after_reject"  # v1 malformed (rejected), v2 loaded
    MALFORMED = "malformed"  # the only file cannot be read: rejected
    ROW_DEFECT = "row_defect"  # one row-level defect: the row quarantined (or a warning)
    DUP_SOURCE = "dup_source"  # its student also appears in DUP_TARGET's file: both warned
    DUP_TARGET = "dup_target"
    AGE = "age"  # warning: implausible age
    SURGE = "surge"  # warning: +60% students against the previous round
    HELD_RESUBMISSION = "held_resubmission"  # v1 clean on time, v2 held back: v1 stays current
    LATE_CORRECTION = "late_correction"  # v1 on time, clean v2 signed after the deadline
    # Held back as a whole, the only version (status missing):
    SYSTEMATIC = "systematic"  # IIN check digits wrong in a fifth of the rows
    IMPLAUSIBLE = "implausible"  # students above 3 × the passport capacity
    ROUND_MISMATCH = "round_mismatch"  # the header names another round than name and folder
    HEADER_ROWS = "header_rows"  # the header sheet holds two rows


# Scenarios whose current file is loaded (accepted) and holds exactly the planned headcount, so
# a surge in the next round is exactly +60% against it.
ACCEPTED = {
    Scenario.CLEAN,
    Scenario.LATE,
    Scenario.LATE_SAVED,
    Scenario.RESUBMIT,
    Scenario.RESUBMIT_AFTER_REJECT,
    Scenario.AGE,
    Scenario.SURGE,
    Scenario.LATE_CORRECTION,
}
# Scenarios that write two versions (_v1, _v2).
TWO_VERSIONS = {
    Scenario.RESUBMIT,
    Scenario.RESUBMIT_AFTER_REJECT,
    Scenario.HELD_RESUBMISSION,
    Scenario.LATE_CORRECTION,
}
# Submissions held back as a whole, dealt in turn so that each hold rule occurs.
HOLD_SCENARIOS = (
    Scenario.SYSTEMATIC,
    Scenario.IMPLAUSIBLE,
    Scenario.ROUND_MISMATCH,
    Scenario.HEADER_ROWS,
)

# Single row-level defects, dealt round-robin; `rule:detail` picks where the defect sits. The
# cost follows the rule (rules.severity): a quarantined row, or only a warning for the region.
ROW_DEFECT_VARIANTS = (
    "identifiers.iin_checksum",
    "identifiers.bin_checksum:enterprise",
    "identifiers.unknown_region",
    "identifiers.unknown_specialty",
    "identifiers.unknown_qualification",
    "domain.allowed_values",
    "domain.range:course",
    "domain.required_value",
    "logic.kazakh_copies_exceed_total",
    "logic.dual_without_enterprise",
    "logic.duplicate_student_in_submission",
    "domain.range:copies",
)
# What makes the v2 of a held resubmission untrustworthy: a valid BIN that is not the college's
# (identity.bin_mismatch), or the college's BIN with a wrong check digit (identifiers.bin_checksum
# on the header, which holds, and identity.bin_mismatch as well).
HELD_RESUBMISSION_VARIANTS = ("identity.bin_mismatch", "identifiers.bin_checksum:header")
MALFORMED_VARIANTS = (
    "structure.unreadable_file",
    "structure.empty_file",
    "structure.bad_encoding",
    "structure.missing_sheet",
    "structure.missing_column",
)
# Rules of the catalogue the generator never injects: the region rules of passports and CIS
# exports (ambiguous or not yet established region names, a BIN listed twice in a passport), IINs
# typed outside the IIN column (tests/test_privacy_pipeline.py injects those), and two sheets of
# one section with different columns (tests/test_chaos.py), and the checks of the regions'
# answers, which `edustat demo-answers` injects after a build (pipelines/demo/answers.py).
NOT_INJECTED = frozenset(
    {
        "response.no_response",
        "response.unknown_finding",
        "response.other_region",
        "response.needs_correction",
        "identifiers.ambiguous_region",
        "identifiers.region_not_yet_established",
        "identifiers.passport_conflict",
        "identifiers.iin_outside_iin_column",
        "identifiers.iin_in_bin_column",
        "structure.conflicting_sheets",
    }
)


@dataclass(frozen=True)
class Assignment:
    scenario: Scenario
    variant: str = ""
    partner: str | None = None  # DUP_SOURCE <-> DUP_TARGET


@dataclass
class Plan:
    by_round: dict[str, dict[str, Assignment]] = field(default_factory=dict)
    capacity_short: dict[int, set[str]] = field(default_factory=dict)  # year -> BINs
    demo_claim_only: dict[int, set[str]] = field(default_factory=dict)  # year -> BINs
    outsiders: dict[int, int] = field(default_factory=dict)  # year -> CIS rows of non-colleges

    def get(self, round_id: str, college_bin: str) -> Assignment:
        return self.by_round.get(round_id, {}).get(college_bin, Assignment(Scenario.CLEAN))


class _Dealer:
    """Deals variants round-robin across the whole period, so each appears at least once."""

    def __init__(self, variants: tuple[str, ...]) -> None:
        self.variants = variants
        self.i = 0

    def next(self) -> str:
        v = self.variants[self.i % len(self.variants)]
        self.i += 1
        return v


@dataclass
class _Dealers:
    """One dealer per family of variants, shared by all rounds of the period."""

    row_defects: _Dealer = field(default_factory=lambda: _Dealer(ROW_DEFECT_VARIANTS))
    malformed: _Dealer = field(default_factory=lambda: _Dealer(MALFORMED_VARIANTS))
    rejects: _Dealer = field(
        default_factory=lambda: _Dealer(("structure.unreadable_file", "structure.missing_column"))
    )
    held_resubmissions: _Dealer = field(default_factory=lambda: _Dealer(HELD_RESUBMISSION_VARIANTS))
    holds: _Dealer = field(default_factory=lambda: _Dealer(HOLD_SCENARIOS))


def make_plan(world: World) -> Plan:
    plan = Plan()
    dealers = _Dealers()
    for i, rnd in enumerate(world.rounds):
        surge_ok = _surge_candidates(world, plan, i)
        plan.by_round[rnd.round_id] = _plan_round(world, rnd, surge_ok, dealers)
    for year in world.years:
        _plan_year(world, plan, year)
    return plan


def _quota(rate: float, n: int, minimum: int = 0) -> int:
    return max(minimum, round(rate * n))


def _plan_round(
    world: World, rnd: Round, surge_ok: set[str], dealers: _Dealers
) -> dict[str, Assignment]:
    rng = stream(world.seed, "plan", rnd.round_id)
    expected = world.expected(rnd)
    pool = [c.bin for c in expected]
    rng.shuffle(pool)
    n = len(pool)
    n_rounds = len(world.rounds)
    out: dict[str, Assignment] = {}

    def take(k: int, make: Callable[[], Assignment], candidates: set[str] | None = None) -> None:
        for _ in range(k):
            pick = next((b for b in pool if candidates is None or b in candidates), None)
            if pick is None:
                return
            pool.remove(pick)
            out[pick] = make()

    def per_round(variants: tuple[str, ...]) -> int:
        """Enough per round that every variant is dealt at least once over the period."""
        return 0 if n < 10 else math.ceil(len(variants) / n_rounds)

    if n >= 12:  # one cross-college duplicate per round
        a, b = pool.pop(), pool.pop()
        out[a] = Assignment(Scenario.DUP_SOURCE, partner=b)
        out[b] = Assignment(Scenario.DUP_TARGET, partner=a)
    take(_quota(0.05, n, per_round(ROW_DEFECT_VARIANTS)),
         lambda: Assignment(Scenario.ROW_DEFECT, dealers.row_defects.next()))  # fmt: skip
    take(_quota(0.025, n, per_round(MALFORMED_VARIANTS)),
         lambda: Assignment(Scenario.MALFORMED, dealers.malformed.next()))  # fmt: skip
    take(_quota(0.01, n, per_round(HOLD_SCENARIOS)),
         lambda: Assignment(Scenario(dealers.holds.next())))  # fmt: skip
    held = dealers.held_resubmissions
    take(_quota(0.01, n, per_round(HELD_RESUBMISSION_VARIANTS)),
         lambda: Assignment(Scenario.HELD_RESUBMISSION, held.next()))  # fmt: skip
    take(_quota(0.01, n, 0 if n < 10 else 1), lambda: Assignment(Scenario.LATE_CORRECTION))
    _take_saved_late(world, rnd, pool, out)
    take(0 if n < 10 else 1,
         lambda: Assignment(Scenario.RESUBMIT_AFTER_REJECT, dealers.rejects.next()))  # fmt: skip
    take(_quota(0.04, n, 1) - 1, lambda: Assignment(Scenario.RESUBMIT))
    take(_quota(0.04, n, 0 if n < 10 else 1), lambda: Assignment(Scenario.MISSING))
    take(_quota(0.05, n, 0 if n < 10 else 1), lambda: Assignment(Scenario.LATE))
    warnings = _quota(0.05, n, 1)
    surges = max(1, warnings // 2) if surge_ok else 0  # one even when a single warning is due
    take(surges, lambda: Assignment(Scenario.SURGE), surge_ok)
    take(warnings - surges, lambda: Assignment(Scenario.AGE))
    return out


SURGE_FACTOR = 1.6  # the surge file has 1.6 × the previous round's students (+60%)
_MARGIN = 0.05  # keep the round after a surge clearly on one side of the 40% threshold


def _surge_candidates(world: World, plan: Plan, i: int) -> set[str]:
    """Colleges whose previous-round file is accepted and holds exactly its planned headcount
    (so the surge is exactly +60%), and whose next round will not land near the 40% threshold
    when compared with the surge file."""
    if i == 0:
        return set()
    prev, rnd = world.rounds[i - 1], world.rounds[i]
    nxt = world.rounds[i + 1] if i + 1 < len(world.rounds) else None
    out = set()
    for b in world.expected_bins(prev) & world.expected_bins(rnd):
        if plan.get(prev.round_id, b).scenario not in ACCEPTED - {Scenario.SURGE}:
            continue
        if nxt is not None and (b, nxt.round_id) in world.sizes:
            surged = SURGE_FACTOR * world.sizes[(b, prev.round_id)]
            drop = 1 - world.sizes[(b, nxt.round_id)] / surged
            if abs(drop - 0.4) < _MARGIN:
                continue
        out.add(b)
    return out


def _take_saved_late(world: World, rnd: Round, pool: list[str], out: dict[str, Assignment]) -> None:
    """One college of a region with an extension in this round signs after due + grace but within
    the extension: on time only because of extensions.csv."""
    regions = {
        e.region_code
        for e in reference.extensions()
        if e.round_id == rnd.round_id and e.scope == "region"
    }
    colleges = world.by_bin()
    for b in pool:
        if world.region_in_year(colleges[b], rnd.year) in regions:
            pool.remove(b)
            out[b] = Assignment(Scenario.LATE_SAVED)
            return


def _plan_year(world: World, plan: Plan, year: int) -> None:
    """Year-level warnings: a too-small passport capacity (a college clean in all rounds of the
    year, so that the warning is the only finding on its files), a demo-exam claim without a CIS
    result, and CIS rows of an organisation outside the register."""
    rng = stream(world.seed, "plan-year", year)
    rounds = world.rounds_of(year)
    expected = [world.expected_bins(r) for r in rounds]
    clean_in_all = [
        c.bin
        for c in world.colleges
        if all(c.bin in e for e in expected)
        and all(plan.get(r.round_id, c.bin).scenario == Scenario.CLEAN for r in rounds)
    ]
    clean_in_all.sort()
    rng.shuffle(clean_in_all)
    in_passport = sorted(c.bin for c in world.colleges if c.in_passport(year))
    n = len(in_passport)
    k_cap = _quota(0.015, n, 1)
    plan.capacity_short[year] = set(clean_in_all[:k_cap])
    # A claim without a result needs no particular NOBD story: any other college of the year.
    others = [b for b in in_passport if b not in plan.capacity_short[year]]
    rng.shuffle(others)
    plan.demo_claim_only[year] = set(others[: _quota(0.02, n, 1)])
    plan.outsiders[year] = 1 if n < 200 else 3
