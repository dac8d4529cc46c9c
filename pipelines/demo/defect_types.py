"""A defect as the manifest records it, and the rule catalogue's severities.

`row` here is the 0-based index of the data row within its sheet; the manifest turns it into the
row number a person sees (ARCHITECTURE: Excel row, first data row = 2; CSV physical line number).
"""

from __future__ import annotations

from dataclasses import dataclass

# docs/ARCHITECTURE.md "Rule catalogue": every rule id and its severity.
SEVERITY: dict[str, str] = {
    "structure.unreadable_file": "blocking",
    "structure.empty_file": "blocking",
    "structure.bad_encoding": "blocking",
    "structure.missing_sheet": "blocking",
    "structure.missing_column": "blocking",
    "identifiers.iin_checksum": "blocking",
    "identifiers.bin_checksum": "blocking",
    "identifiers.unknown_region": "blocking",
    "identifiers.unknown_specialty": "blocking",
    "identifiers.unknown_qualification": "blocking",
    "domain.allowed_values": "blocking",
    "domain.range": "blocking",
    "domain.required_value": "blocking",
    "logic.kazakh_copies_exceed_total": "blocking",
    "logic.dual_without_enterprise": "blocking",
    "logic.age_implausible": "warning",
    "logic.duplicate_student_in_submission": "blocking",
    "logic.duplicate_student_across_colleges": "blocking",
    "cross.contingent_exceeds_capacity": "warning",
    "cross.demo_exam_claim_without_result": "warning",
    "cross.ws_college_not_in_register": "warning",
    "temporal.enrolment_change": "warning",
}
STRUCTURE_RULES = tuple(r for r in SEVERITY if r.startswith("structure."))


@dataclass(frozen=True)
class Defect:
    rule: str
    sheet: str | None
    row: int | None  # 0-based data-row index; None for file/sheet/submission-level findings
    field: str | None

    @property
    def severity(self) -> str:
        return SEVERITY[self.rule]

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"
