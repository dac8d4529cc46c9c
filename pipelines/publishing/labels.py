"""Kazakh and Russian names of codes, read from the warehouse (`marts.dim_label`).

The one place for them is the dbt seed `dbt_project/seeds/dim_label.csv`: dbt builds it into
`marts.dim_label` with the marts, so a statistician querying the warehouse and a reader of a pack
see the same words. Publications read the table over their own read-only connection; `from_seed`
reads the same file for code that renders without a warehouse (tests of the renderers).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import duckdb

from pipelines.settings import DBT_PROJECT_DIR

SEED_FILE = DBT_PROJECT_DIR / "seeds" / "dim_label.csv"


class MissingLabel(KeyError):
    """A code without a name: a publication would show an English code to its reader."""


@dataclass(frozen=True)
class Labels:
    names: dict[tuple[str, str], tuple[str, str]]  # (kind, code) -> (kk, ru)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Labels:
        rows = con.execute("select kind, code, kk, ru from marts.dim_label").fetchall()
        return cls({(k, c): (kk, ru) for k, c, kk, ru in rows})

    @classmethod
    def from_seed(cls) -> Labels:
        return _seed()

    def name(self, kind: str, code: str, lang: str) -> str:
        """The name of `code` in `lang`; a code without a name fails the publication."""
        try:
            kk, ru = self.names[(kind, code)]
        except KeyError:
            raise MissingLabel(f"marts.dim_label has no {kind} {code!r}") from None
        return kk if lang == "kk" else ru

    def has(self, kind: str, code: str) -> bool:
        return (kind, code) in self.names

    def words(self, lang: str) -> Words:
        return Words(self, lang)


@dataclass(frozen=True)
class Words:
    """The labels of one language, as a renderer uses them."""

    labels: Labels
    lang: str

    def ui(self, key: str) -> str:
        return self.labels.name("ui", key, self.lang)

    def code(self, kind: str, code: str | None) -> str:
        if code is None:
            return ""
        return self.labels.name(kind, code, self.lang)

    def field(self, sheet: str | None, field: str | None) -> str:
        """A contract field by its sheet; a field outside the contracts keeps its name."""
        if field is None:
            return ""
        if sheet is not None and self.labels.has("field", f"{sheet}.{field}"):
            return self.code("field", f"{sheet}.{field}")
        return field

    def round(self, round_id: str, season: str) -> str:
        """`2024-autumn` -> «2024 ж. күзгі жинау кезеңі» / «Осенний период сбора 2024 г.»."""
        year = round_id.split("-", 1)[0]
        word = self.code("season", season)
        if self.lang == "kk":
            return f"{year} ж. {word} жинау кезеңі"
        return f"{word.capitalize()} период сбора {year} г."


@cache
def _seed() -> Labels:
    with open(SEED_FILE, encoding="utf-8", newline="") as fh:
        return Labels({(r["kind"], r["code"]): (r["kk"], r["ru"]) for r in csv.DictReader(fh)})
