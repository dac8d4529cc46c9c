"""A finding as the manifest records it.

`row` here is the 0-based index of the data row within its sheet; the manifest turns it into the
row number a person sees (ARCHITECTURE: Excel row, first data row = 2; CSV physical line number).
What a finding costs is not stored here: it depends on where it sits (a row rule on the NOBD
header holds the submission), so it is always asked of `pipelines.quality.rules.severity`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.quality.rules import Severity, severity


@dataclass(frozen=True)
class Defect:
    rule: str
    sheet: str | None
    row: int | None  # 0-based data-row index; None for file/sheet/submission-level findings
    field: str | None

    def severity(self, source: str) -> Severity:
        return severity(self.rule, source, self.sheet)

    @property
    def structural(self) -> bool:
        return self.rule.startswith("structure.")
