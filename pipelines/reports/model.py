"""What a report pack shows, as plain values: read from the warehouse once, rendered twice
(XLSX and HTML) in two languages. Renderers never query; the loader never formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class RoundInfo:
    round_id: str
    academic_year: str
    season: str
    reference_date: date
    due_date: date
    grace_days: int


@dataclass(frozen=True)
class Region:
    code: str | None  # None: findings the warehouse could not place in a region
    name_kk: str
    name_ru: str


@dataclass(frozen=True)
class Counts:
    """One round's timeliness and findings for a region or the whole country.

    `missing` includes the held-back colleges (their submission is not accepted), so
    expected = on_time + late + missing, as in marts.rpt_reporting_rates.
    """

    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    held_back: int
    previous_version_current: int  # a later version held back, an earlier one counts
    corrected_after_due_date: int
    hold_findings: int
    quarantined_rows: int
    warning_findings: int
    reporting_rate: float | None  # None when nothing was expected
    reporting_rate_on_time: float | None


@dataclass(frozen=True)
class CollegeStatus:
    college_bin: str
    name_kk: str
    name_ru: str
    # late | missing | held_back | rejected (the last two are also missing) |
    # previous_version_current | corrected_after_due_date (on time or late, listed for the flag)
    status: str
    signed_at: datetime | None
    deadline_at: datetime | None


@dataclass(frozen=True)
class Finding:
    finding_id: str
    college_bin: str | None
    name_kk: str
    name_ru: str
    file_path: str | None
    sheet: str | None
    row_number: int | None
    field: str | None
    rule_id: str
    severity: str
    offending_value: str | None
    message_kk: str
    message_ru: str
    # The region's answer (marts.rpt_dq_pack_findings): state open until an applied answer says
    # confirmed, will_correct or disputed; the answer's fields are NULL while open.
    state: str = "open"
    response: str | None = None
    explanation: str | None = None
    answered_by: str | None = None
    answered_on: date | None = None


@dataclass(frozen=True)
class AnswerCounts:
    """How a region answered its findings of one round (marts.fct_dq_finding_history)."""

    findings: int
    answered: int
    confirmed_warnings: int
    disputed: int
    mean_days_to_answer: float | None
    mean_days_open_unanswered: float | None  # how long the unanswered ones have stayed open

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.findings if self.findings else None


@dataclass(frozen=True)
class RegionPack:
    round: RoundInfo
    region: Region
    data_as_of: datetime | None
    counts: Counts
    previous_round: RoundInfo | None
    previous_counts: Counts | None  # None when the region had no colleges in the previous round
    late_missing: list[CollegeStatus] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class RegionRank:
    rank: int
    region: Region
    counts: Counts
    previous_counts: Counts | None


@dataclass(frozen=True)
class NationalPack:
    round: RoundInfo
    data_as_of: datetime | None
    totals: Counts
    previous_round: RoundInfo | None
    previous_totals: Counts | None
    regions: list[RegionRank] = field(default_factory=list)
    # Findings of the round with no region (e.g. a CIS result for a college not in the register):
    # no region can act on them, so the ministry sees them.
    unassigned_findings: list[Finding] = field(default_factory=list)
    # Per region code: how it answered, and the findings it disputed (the ministry decides).
    answers: dict[str, AnswerCounts] = field(default_factory=dict)
    disputed: dict[str, list[Finding]] = field(default_factory=dict)
