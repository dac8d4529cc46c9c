"""The defect plan: which college gets which scenario in which round, decided up front.

Rates per round (of expected colleges): ~4% missing, ~2.5% malformed file (rejected), ~5% one
blocking defect (held back), one cross-college duplicate pair, ~4% resubmitted, ~5% late (plus one
late file saved by a deadline extension where extensions.csv has one), ~5% warning anomalies. At
small scales the quotas are raised so that every injectable rule id occurs at least once over the
generated period (rule variants are dealt round-robin across rounds). Scenarios are disjoint within
a round: one college, one story.
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
    BLOCKING = "blocking"  # one blocking row-level defect: held back
    DUP_SOURCE = "dup_source"  # its student also appears in DUP_TARGET's file: both held back
    DUP_TARGET = "dup_target"
    AGE = "age"  # warning: implausible age
    SURGE = "surge"  # warning: +60% students against the previous round


# Scenarios whose file is loaded (accepted), so a later round may compare against it.
ACCEPTED = {
    Scenario.CLEAN,
    Scenario.LATE,
    Scenario.LATE_SAVED,
    Scenario.RESUBMIT,
    Scenario.RESUBMIT_AFTER_REJECT,
    Scenario.AGE,
    Scenario.SURGE,
}

# Single-file blocking variants, dealt round-robin; `rule:detail` picks where the defect sits.
BLOCKING_VARIANTS = (
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
    "identifiers.bin_checksum:header",
    "domain.range:copies",
)
MALFORMED_VARIANTS = (
    "structure.unreadable_file",
    "structure.empty_file",
    "structure.bad_encoding",
    "structure.missing_sheet",
    "structure.missing_column",
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


def make_plan(world: World) -> Plan:
    plan = Plan()
    n_rounds = len(world.rounds)
    blocking, malformed = _Dealer(BLOCKING_VARIANTS), _Dealer(MALFORMED_VARIANTS)
    rejects = _Dealer(("structure.unreadable_file", "structure.missing_column"))
    for i, rnd in enumerate(world.rounds):
        surge_ok = _surge_candidates(world, plan, i)
        plan.by_round[rnd.round_id] = _plan_round(
            world, rnd, n_rounds, surge_ok, blocking, malformed, rejects
        )
    for year in world.years:
        _plan_year(world, plan, year)
    return plan


def _quota(rate: float, n: int, minimum: int = 0) -> int:
    return max(minimum, round(rate * n))


def _plan_round(
    world: World,
    rnd: Round,
    n_rounds: int,
    surge_ok: set[str],
    blocking: _Dealer,
    malformed: _Dealer,
    rejects: _Dealer,
) -> dict[str, Assignment]:
    rng = stream(world.seed, "plan", rnd.round_id)
    expected = world.expected(rnd)
    pool = [c.bin for c in expected]
    rng.shuffle(pool)
    n = len(pool)
    out: dict[str, Assignment] = {}

    def take(k: int, make: Callable[[], Assignment], candidates: set[str] | None = None) -> None:
        for _ in range(k):
            pick = next((b for b in pool if candidates is None or b in candidates), None)
            if pick is None:
                return
            pool.remove(pick)
            out[pick] = make()

    small = n < 10
    if n >= 12:  # one cross-college duplicate per round
        a, b = pool.pop(), pool.pop()
        out[a] = Assignment(Scenario.DUP_SOURCE, partner=b)
        out[b] = Assignment(Scenario.DUP_TARGET, partner=a)
    per_round_blocking = math.ceil(len(BLOCKING_VARIANTS) / n_rounds)
    per_round_malformed = math.ceil(len(MALFORMED_VARIANTS) / n_rounds)
    take(_quota(0.05, n, 0 if small else per_round_blocking),
         lambda: Assignment(Scenario.BLOCKING, blocking.next()))  # fmt: skip
    take(_quota(0.025, n, 0 if small else per_round_malformed),
         lambda: Assignment(Scenario.MALFORMED, malformed.next()))  # fmt: skip
    _take_saved_late(world, rnd, pool, out)
    take(1 if not small else 0, lambda: Assignment(Scenario.RESUBMIT_AFTER_REJECT, rejects.next()))
    take(_quota(0.04, n, 1) - 1, lambda: Assignment(Scenario.RESUBMIT))
    take(_quota(0.04, n, 0 if small else 1), lambda: Assignment(Scenario.MISSING))
    take(_quota(0.05, n, 0 if small else 1), lambda: Assignment(Scenario.LATE))
    warnings = _quota(0.05, n, 1)
    surges = warnings // 2 if surge_ok else 0
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
    """Year-level warnings: a too-small passport capacity, a demo-exam claim without a CIS result,
    and CIS rows of an organisation outside the register."""
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
    n = len([c for c in world.colleges if c.in_passport(year)])
    k_cap = _quota(0.015, n, 1)
    plan.capacity_short[year] = set(clean_in_all[:k_cap])
    plan.demo_claim_only[year] = set(clean_in_all[k_cap : k_cap + _quota(0.02, n, 1)])
    plan.outsiders[year] = 1 if n < 200 else 3
