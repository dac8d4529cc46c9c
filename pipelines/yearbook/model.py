"""What a yearbook holds, as plain values: extracted once from the warehouse, rendered many times.

Renderers never query and the extractor never formats, so the XLSX, the HTML and the PDF of one
build cannot disagree, and the release comparison works on exactly what was published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipelines.publishing.numbers import SYMBOLS, Kind, Mark

Lang = Literal["kk", "ru"]
LANGS: tuple[Lang, ...] = ("kk", "ru")

# Why a cell has no number: pipelines.publishing.numbers.MARKS (shared with the report packs).
# A true zero is printed as 0. A blank cell never appears inside a table body.
# Column formats (pipelines.publishing.numbers.Kind): how many decimals a measure carries. The
# defining SQL must already round to this, so the published value equals the query's value.
Fmt = Kind


@dataclass(frozen=True)
class Text:
    """One wording in both publication languages."""

    kk: str
    ru: str

    def __getitem__(self, lang: Lang) -> str:
        return self.kk if lang == "kk" else self.ru

    def bilingual(self, sep: str = " / ") -> str:
        return self.kk if self.kk == self.ru else f"{self.kk}{sep}{self.ru}"


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    mark: Mark | None = None
    # a count from part of the expected colleges (marks.partial and a coverage note say so)
    partial: bool = False

    def __post_init__(self) -> None:
        if (self.value is None) == (self.mark is None):
            raise ValueError(f"a cell has either a value or a mark, not {self!r}")


@dataclass(frozen=True)
class Row:
    key: str
    label: Text
    is_total: bool = False


@dataclass(frozen=True)
class Column:
    key: str
    label: Text
    fmt: Fmt = "int"
    group: Text | None = None


@dataclass
class Table:
    id: str
    number: int
    section: str
    title: Text
    unit: Text
    source: Text
    row_header: Text
    rows: list[Row]
    columns: list[Column]
    cells: dict[tuple[str, str], Cell]
    footnotes: list[Text]
    sql: str
    params: dict[str, object]
    landscape: bool = False
    # the trace of cells the query does not mark: marks taken from marts.fct_indicator_values
    follows: str | None = None

    def cell(self, row_key: str, col_key: str) -> Cell:
        return self.cells[(row_key, col_key)]

    def marks_used(self) -> set[Mark]:
        return {c.mark for c in self.cells.values() if c.mark is not None}


@dataclass(frozen=True)
class Series:
    """One line or bar series of a chart: label -> value (None: no value, drawn as a gap)."""

    label: Text
    points: tuple[tuple[Text, float | None], ...]


@dataclass
class Figure:
    id: str
    number: int
    section: str
    kind: str  # indicator_by_region | indicator_trend
    title: Text
    unit: Text
    value: Series
    target: Series
    table_id: str | None = None  # the table the figure illustrates (printed right after it)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    annex: bool = False


@dataclass
class Book:
    academic_year: str
    autumn_round: str
    spring_round: str
    title: Text
    chapter: Text
    year_line: Text
    sections: list[Section]
    tables: list[Table]
    figures: list[Figure]
    labels: dict[str, Text] = field(default_factory=dict)
    marks: dict[Mark, tuple[str, Text]] = field(default_factory=dict)
    methodology: list[Text] = field(default_factory=list)

    def symbol(self, mark: Mark) -> str:
        return SYMBOLS[mark]

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)
