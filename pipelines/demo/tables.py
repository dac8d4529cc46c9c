"""In-memory file content: a `Table` per contract sheet holding canonical values, and the small
value wrappers the writers understand.

Canonical values: codes as canonical codes (`M`, `full_time`), booleans as bool, dates as
date/datetime, numbers as int/float, None for an empty cell. A `Verbatim` string is written as
is, bypassing the language spelling tables (used for injected invalid codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.contracts import Sheet, load_contract


class Verbatim(str):
    """A value written exactly as given (no code -> spelling translation)."""


@dataclass
class Table:
    source: str
    sheet: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    @classmethod
    def empty(cls, source: str, sheet: str) -> Table:
        return cls(source, sheet, [c.name for c in contract_sheet(source, sheet).columns])

    def add(self, values: dict[str, Any]) -> None:
        """Append a row given as column -> value (missing columns are empty)."""
        self.rows.append([values.get(c) for c in self.columns])

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def get(self, row: int, column: str) -> Any:
        return self.rows[row][self.index(column)]

    def set(self, row: int, column: str, value: Any) -> None:
        self.rows[row][self.index(column)] = value

    def drop_column(self, column: str) -> None:
        i = self.index(column)
        self.columns.pop(i)
        for r in self.rows:
            r.pop(i)

    def column_values(self, column: str) -> list[Any]:
        i = self.index(column)
        return [r[i] for r in self.rows]


def contract_sheet(source: str, sheet: str) -> Sheet:
    return load_contract(source).sheet(sheet)
