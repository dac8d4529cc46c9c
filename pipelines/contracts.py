"""Source contracts: the one definition of every file, sheet and column (sources/contracts/*.yml).

The sample-data generator writes files from these contracts and the ingest reads files with them,
so a column, its header aliases and its allowed values are defined exactly once. A source is a
contract file here: the ingest assets, their jobs, the landing sensor, dbt's `raw` sources and the
generic expectation suites are made from every contract in CONTRACTS_DIR (`sources()`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from pipelines.settings import REPO_ROOT

CONTRACTS_DIR = REPO_ROOT / "sources" / "contracts"
COMMON = "common"  # common.yml: conventions shared by every contract, not a source
LANGUAGES = ("kk", "ru", "en")

_SPACES = re.compile(r"\s+")


def normalise_label(text: object) -> str:
    """Normalise a header or code spelling for matching: case, spaces, trailing '*', ':' and '.'."""
    s = _SPACES.sub(" ", str(text).replace("\u00a0", " ")).strip().lower()
    return s.rstrip("*:. ").strip()


def _spellings(name: str, headers: dict[str, list[str]]) -> set[str]:
    """Every normalised spelling a sheet title or column header may have: its name and its
    headers in every language."""
    spellings = {name}
    for names in headers.values():
        spellings.update(names)
    return {normalise_label(s) for s in spellings}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | code | integer | decimal | date | datetime | boolean
    required: bool
    headers: dict[str, list[str]]
    description: str = ""
    pii: str | None = None  # "iin": never stored raw
    allowed: dict[str, list[str]] | None = None  # canonical code -> accepted spellings
    code_list: str | None = None  # reference list the value must belong to (region, specialty…)
    min: float | None = None
    max: float | None = None
    pattern: str | None = None

    @property
    def is_bin(self) -> bool:
        """A BIN column: named `bin` or `<something>_bin` (the contracts' convention)."""
        return self.name == "bin" or self.name.endswith("_bin")

    def header(self, lang: str) -> str:
        """The header the generator writes for this column in `lang`."""
        return self.headers[lang][0]

    def header_spellings(self) -> set[str]:
        return _spellings(self.name, self.headers)

    def value_spellings(self) -> dict[str, str]:
        """Normalised spelling -> canonical code, for columns with `allowed` values."""
        out: dict[str, str] = {}
        for code, spellings in (self.allowed or {}).items():
            for s in [code, *spellings]:
                out[normalise_label(s)] = code
        return out


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: dict[str, list[str]]
    required: bool
    raw_table: str
    columns: tuple[Column, ...]
    description: str = ""
    max_rows: int | None = None

    def title(self, lang: str) -> str:
        return self.headers[lang][0]

    def spellings(self) -> set[str]:
        return _spellings(self.name, self.headers)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")

    def header_map(self) -> dict[str, str]:
        """Normalised header spelling -> column name."""
        return {s: c.name for c in self.columns for s in c.header_spellings()}


@dataclass(frozen=True)
class Contract:
    source: str
    title: dict[str, str]
    landing_dir: str
    file_name: str
    file_regex: str
    partition: str  # round_id | year: the partitions of its ingest (pipelines/assets/partitions.py)
    formats: dict[str, dict[str, Any]]
    sheets: tuple[Sheet, ...]
    order: int  # its place in listings and in the run order
    listed_as: dict[str, str]  # kk/ru/en name of the source's files in listings
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def sheet(self, name: str) -> Sheet:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(f"{self.source}.{name}")

    def match_file(self, file_name: str) -> dict[str, str] | None:
        m = re.match(self.file_regex, file_name)
        return m.groupdict() if m else None

    @property
    def landing_root(self) -> str:
        """First folder under landing/ (nobd, passports, worldskills)."""
        return self.landing_dir.split("/")[0]

    @property
    def asset_name(self) -> str:
        """Its ingest asset's (and step's) name in Dagster: `nobd_submissions`."""
        return f"{self.source}s"

    @property
    def group(self) -> str:
        """Its Dagster group and the suffix of its ingest job: the landing folder's name."""
        return self.landing_root


def _column(d: dict[str, Any]) -> Column:
    return Column(
        name=d["name"],
        type=d["type"],
        required=bool(d.get("required", False)),
        headers={k: list(v) for k, v in d["headers"].items()},
        description=str(d.get("description", "")).strip(),
        pii=d.get("pii"),
        allowed={str(k): [str(x) for x in v] for k, v in d["allowed"].items()}
        if d.get("allowed")
        else None,
        code_list=d.get("code_list"),
        min=d.get("min"),
        max=d.get("max"),
        pattern=d.get("pattern"),
    )


def _sheet(d: dict[str, Any]) -> Sheet:
    return Sheet(
        name=d["name"],
        headers={k: list(v) for k, v in d["headers"].items()},
        required=bool(d.get("required", True)),
        raw_table=d["raw_table"],
        columns=tuple(_column(c) for c in d["columns"]),
        description=str(d.get("description", "")).strip(),
        max_rows=d.get("max_rows"),
    )


@cache
def load_contract(source: str) -> Contract:
    raw = yaml.safe_load((CONTRACTS_DIR / f"{source}.yml").read_text(encoding="utf-8"))
    return Contract(
        source=raw["source"],
        title=raw["title"],
        landing_dir=raw["landing_dir"],
        file_name=raw["file_name"],
        file_regex=raw["file_regex"],
        partition=raw["partition"],
        formats=raw["formats"],
        sheets=tuple(_sheet(s) for s in raw["sheets"]),
        order=int(raw["order"]),
        listed_as=raw["listed_as"],
        raw=raw,
    )


@cache
def sources() -> tuple[str, ...]:
    """Every source with a contract under CONTRACTS_DIR, in the contracts' `order`."""
    names = [p.stem for p in CONTRACTS_DIR.glob("*.yml") if p.stem != COMMON]
    return tuple(sorted(names, key=lambda s: (load_contract(s).order, s)))


def all_contracts() -> dict[str, Contract]:
    return {s: load_contract(s) for s in sources()}


def source_order(names: set[str]) -> list[str]:
    """Sources in the contracts' order; names without a contract (`(unknown)`) after them."""
    return [s for s in sources() if s in names] + sorted(names - set(sources()))


@cache
def common() -> dict[str, Any]:
    """Shared conventions: boolean spellings, date formats, lineage columns."""
    return yaml.safe_load((CONTRACTS_DIR / "common.yml").read_text(encoding="utf-8"))


def boolean_spellings() -> dict[str, bool]:
    c = common()["boolean"]
    return {
        **{normalise_label(s): True for s in c[True]},
        **{normalise_label(s): False for s in c[False]},
    }
