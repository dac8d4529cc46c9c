"""The indicator registry (`dbt_project/indicators.yml`), loaded once, typed and validated.

Every reader goes through `load_registry()`: dbt (through the file `dbt_registry_file()` that
`write_dbt_registry()` makes from it, read by dbt_project/macros/indicators.sql), the yearbook
(one table and chart per entry), the generator's truth (pipelines/demo/truth.py evaluates each
measure's `counts`) and the tests. A broken entry fails here with the file, the indicator and
the key, before dbt compiles anything.

`python -m pipelines.indicators` validates the registry and writes dbt's copy, for running dbt
by hand after editing `indicators.yml` (the pipeline does it before every dbt step).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelines.contracts import Sheet, load_contract
from pipelines.settings import DBT_PROJECT_DIR

REGISTRY_FILE = DBT_PROJECT_DIR / "indicators.yml"
# dbt's copy, under dbt's target folder (never committed: made from indicators.yml).
DBT_REGISTRY_NAME = "indicator_registry.json"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_INDICATOR_KEYS = (
    "id",
    "names",
    "description",
    "grain",
    "numerator",
    "denominator",
    "contributing",
    "coverage_threshold",
    "disaggregations",
    "source",
    "legal_basis",
    "targets",
    "international",
)


class RegistryError(ValueError):
    """indicators.yml does not describe valid indicators."""


@dataclass(frozen=True)
class Names:
    kk: str
    ru: str
    en: str


@dataclass(frozen=True)
class Counts:
    """What a measure column of a base model holds for one college and period: the rows of
    `sheet` (the grain says which rows a college has) that match every `where` value
    (canonical codes and booleans), counted, or their `sum` column summed; with `any`, 1 when
    at least one row matches, else 0."""

    sheet: str
    where: tuple[tuple[str, str | int | bool], ...] = ()
    sum: str | None = None
    any: bool = False


@dataclass(frozen=True)
class Measure:
    """A numerator or denominator: a column of the grain's base model, summed over colleges."""

    column: str
    description: str
    counts: Counts


@dataclass(frozen=True)
class Contributing:
    """A boolean column of the base model: the college delivered usable data."""

    column: str
    description: str


@dataclass(frozen=True)
class Grain:
    id: str
    period_column: str
    base_model: str
    description: str
    target_year: str
    sheets: dict[str, str]  # sheet a measure may count -> its source contract
    rows: str  # which rows of those sheets belong to a college in a period


@dataclass(frozen=True)
class Disaggregation:
    id: str
    column: str
    names: Names
    values: dict[str, Names]


@dataclass(frozen=True)
class International:
    framework: str
    indicator: str
    name: str
    note: str


@dataclass(frozen=True)
class Indicator:
    id: str
    names: Names
    description: str
    grain: str
    numerator: Measure
    denominator: Measure
    contributing: Contributing
    coverage_threshold: float
    disaggregations: tuple[str, ...]
    source: Names
    legal_basis: Names | None
    target_id: str | None  # indicator_id in sources/reference/indicator_targets.csv
    international: International | None


@dataclass(frozen=True)
class Registry:
    path: Path
    grains: dict[str, Grain]
    levels: tuple[str, ...]
    disaggregations: dict[str, Disaggregation]
    indicators: tuple[Indicator, ...]

    def measures(self, grain: str) -> dict[str, Counts]:
        """Every measure column the indicators of `grain` read, with what it counts."""
        out: dict[str, Counts] = {}
        for ind in self.indicators:
            if ind.grain == grain:
                for m in (ind.numerator, ind.denominator):
                    out[m.column] = m.counts
        return out


# --- loading ------------------------------------------------------------------------------------


def load_registry(path: Path = REGISTRY_FILE) -> Registry:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise RegistryError(f"{path}: cannot be read: {e}") from e
    r = _Reader(raw, str(path.name)).only(
        "version", "defaults", "grains", "levels", "disaggregations", "targets", "indicators"
    )
    defaults = r.mapping("defaults") if "defaults" in r.node else {}
    threshold = (
        _share(defaults["coverage_threshold"], f"{path.name}: defaults.coverage_threshold")
        if "coverage_threshold" in defaults
        else None
    )
    grains = {
        gid: _grain(gid, _Reader(node, f"{path.name}: grains.{gid}"))
        for gid, node in (r.mapping("grains") if "grains" in r.node else {}).items()
    }
    disaggregations = {
        did: _disaggregation(did, _Reader(node, f"{path.name}: disaggregations.{did}"))
        for did, node in (
            r.mapping("disaggregations") if "disaggregations" in r.node else {}
        ).items()
    }
    indicators: list[Indicator] = []
    for n, node in enumerate(r.list("indicators"), start=1):
        named = node.get("id") if isinstance(node, dict) else None
        where = f"{path.name}: indicator {named or f'#{n}'}"
        ind = _indicator(_Reader(node, where), grains, disaggregations, threshold)
        if any(i.id == ind.id for i in indicators):
            raise RegistryError(f"{where}: defined twice")
        indicators.append(ind)
    _check_measures_agree(indicators, path.name)
    return Registry(
        path=path,
        grains=grains,
        levels=tuple(str(x) for x in r.list("levels")),
        disaggregations=disaggregations,
        indicators=tuple(indicators),
    )


class _Reader:
    """A YAML mapping with typed, located access: every error names where it is."""

    def __init__(self, node: Any, where: str) -> None:
        if not isinstance(node, dict):
            raise RegistryError(f"{where}: expected a mapping, found {type(node).__name__}")
        self.node, self.where = node, where

    def get(self, key: str) -> Any:
        return self.node.get(key)

    def only(self, *keys: str) -> _Reader:
        """Refuse keys nothing reads: a misspelt key would otherwise silently do nothing."""
        unknown = sorted(map(str, set(self.node) - set(keys)))
        if unknown:
            raise RegistryError(f"{self.where}: unknown keys {unknown}")
        return self

    def text(self, key: str) -> str:
        value = self.node.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RegistryError(f"{self.where}: `{key}` must be a non-empty text")
        return value.strip()

    def identifier(self, key: str) -> str:
        value = self.text(key)
        if not _ID_RE.match(value):
            raise RegistryError(f"{self.where}: `{key}` {value!r} is not a lower_snake_case name")
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.node.get(key)
        if not isinstance(value, dict):
            raise RegistryError(f"{self.where}: `{key}` must be a mapping")
        return value

    def list(self, key: str) -> list[Any]:
        value = self.node.get(key, [])
        if not isinstance(value, list):
            raise RegistryError(f"{self.where}: `{key}` must be a list")
        return value

    def sub(self, key: str) -> _Reader:
        return _Reader(self.node.get(key), f"{self.where}: {key}")

    def names(self, key: str) -> Names:
        sub = self.sub(key)
        return Names(sub.text("kk"), sub.text("ru"), sub.text("en"))


def _share(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RegistryError(f"{where} must be a number between 0 and 1, found {value!r}")
    return float(value)


def _grain(gid: str, r: _Reader) -> Grain:
    sheets = {str(k): str(v) for k, v in r.mapping("sheets").items()}
    for sheet, source in sheets.items():
        _contract_sheet(source, sheet, r.where)
    return Grain(
        id=gid,
        period_column=r.identifier("period_column"),
        base_model=r.identifier("base_model"),
        description=r.text("description"),
        target_year=r.text("target_year"),
        sheets=sheets,
        rows=r.text("rows"),
    )


def _contract_sheet(source: str, sheet: str, where: str) -> Sheet:
    try:
        return load_contract(source).sheet(sheet)
    except (OSError, KeyError) as e:
        raise RegistryError(f"{where}: no sheet {sheet!r} in the contract {source!r}") from e


def _disaggregation(did: str, r: _Reader) -> Disaggregation:
    values = {str(k): _Reader(v, f"{r.where}: values.{k}") for k, v in r.mapping("values").items()}
    return Disaggregation(
        id=did,
        column=r.identifier("column"),
        names=r.names("names"),
        values={k: Names(v.text("kk"), v.text("ru"), v.text("en")) for k, v in values.items()},
    )


def _indicator(
    r: _Reader,
    grains: dict[str, Grain],
    disaggregations: dict[str, Disaggregation],
    default_threshold: float | None,
) -> Indicator:
    r.only(*_INDICATOR_KEYS)
    iid = r.identifier("id")
    grain_id = r.text("grain")
    grain = grains.get(grain_id)
    if grain is None:
        raise RegistryError(f"{r.where}: grain must be one of {sorted(grains)}, found {grain_id!r}")
    threshold = r.get("coverage_threshold")
    dis = tuple(str(d) for d in r.list("disaggregations"))
    unknown = [d for d in dis if d != "region" and d not in disaggregations]
    if unknown:
        raise RegistryError(f"{r.where}: unknown disaggregations {unknown}")
    legal = r.get("legal_basis")
    targets = r.get("targets")
    intl = r.get("international")
    return Indicator(
        id=iid,
        names=r.names("names"),
        description=r.text("description"),
        grain=grain_id,
        numerator=_measure(r.sub("numerator"), grain),
        denominator=_measure(r.sub("denominator"), grain),
        contributing=Contributing(
            r.sub("contributing").identifier("column"), r.sub("contributing").text("description")
        ),
        coverage_threshold=_share(
            default_threshold if threshold is None else threshold,
            f"{r.where}: coverage_threshold (or defaults.coverage_threshold)",
        ),
        disaggregations=dis,
        source=r.names("source"),
        legal_basis=None if legal is None else r.names("legal_basis"),
        target_id=None if targets is None else r.sub("targets").identifier("indicator_id"),
        international=None
        if intl is None
        else International(
            *(r.sub("international").text(k) for k in ("framework", "indicator", "name", "note"))
        ),
    )


def _measure(r: _Reader, grain: Grain) -> Measure:
    r.only("description", "measure", "counts")
    c = r.sub("counts").only("sheet", "where", "sum", "any")
    sheet_name = c.text("sheet")
    if sheet_name not in grain.sheets:
        raise RegistryError(
            f"{c.where}: sheet must be one of {sorted(grain.sheets)} at grain {grain.id!r}"
        )
    sheet = _contract_sheet(grain.sheets[sheet_name], sheet_name, c.where)
    columns = {col.name: col for col in sheet.columns}
    where = c.get("where") or {}
    if not isinstance(where, dict):
        raise RegistryError(f"{c.where}: `where` must map columns to values")
    total = c.get("sum")
    for column in [*where, *([total] if total is not None else [])]:
        if column not in columns:
            raise RegistryError(f"{c.where}: {sheet_name} has no column {column!r}")
    for column, value in where.items():
        col = columns[column]
        if col.type == "boolean" and not isinstance(value, bool):
            raise RegistryError(f"{c.where}: {column} is a boolean, found {value!r}")
        if col.allowed is not None and value not in col.allowed:
            raise RegistryError(
                f"{c.where}: {column} is one of {sorted(col.allowed)}, not {value!r}"
            )
    if total is not None and columns[total].type not in ("integer", "decimal"):
        raise RegistryError(f"{c.where}: sum of {total!r}, which is not a number")
    if total is not None and c.get("any"):
        raise RegistryError(f"{c.where}: `sum` and `any` exclude each other")
    return Measure(
        column=r.identifier("measure"),
        description=r.text("description"),
        counts=Counts(
            sheet=sheet_name,
            where=tuple((str(k), v) for k, v in where.items()),
            sum=total,
            any=bool(c.get("any")),
        ),
    )


def _check_measures_agree(indicators: list[Indicator], where: str) -> None:
    """A measure column means one thing: indicators sharing it must declare the same counts."""
    seen: dict[tuple[str, str], tuple[str, Counts]] = {}
    for ind in indicators:
        for m in (ind.numerator, ind.denominator):
            first = seen.setdefault((ind.grain, m.column), (ind.id, m.counts))
            if first[1] != m.counts:
                raise RegistryError(
                    f"{where}: measure {m.column!r} counts differently in {first[0]} and {ind.id}"
                )


# --- dbt's copy ---------------------------------------------------------------------------------


def dbt_registry_file(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    return project_dir / "target" / DBT_REGISTRY_NAME


def dbt_registry(registry: Registry) -> dict[str, Any]:
    """What the dbt models read: the validated registry, defaults applied, plus the SHA-256 of
    the YAML it was made from (the macro refuses a copy older than the file)."""
    return {
        "source_sha256": hashlib.sha256(registry.path.read_bytes()).hexdigest(),
        "grains": {
            g.id: {"period_column": g.period_column, "base_model": g.base_model}
            for g in registry.grains.values()
        },
        "disaggregations": {d.id: {"column": d.column} for d in registry.disaggregations.values()},
        "indicators": [asdict(i) for i in registry.indicators],
    }


def write_dbt_registry(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Validate `project_dir`/indicators.yml and write dbt's copy (atomically, only on change)."""
    registry = load_registry(project_dir / REGISTRY_FILE.name)
    target = dbt_registry_file(project_dir)
    content = json.dumps(dbt_registry(registry), ensure_ascii=False, indent=1, sort_keys=True)
    if target.exists() and target.read_text(encoding="utf-8") == content:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=target.parent, prefix=".registry-", delete=False
    ) as tmp:
        tmp.write(content)
    os.replace(tmp.name, target)
    return target


def main() -> int:
    try:
        path = write_dbt_registry()
    except RegistryError as e:
        print(e, file=sys.stderr)
        return 1
    print(f"{REGISTRY_FILE}: valid; dbt reads {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
