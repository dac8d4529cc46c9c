"""The indicator registry (`dbt_project/indicators.yml`, owned by the dbt project) as the yearbook
needs it: names in Kazakh and Russian, and the grain that decides which period a table shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from pipelines.settings import DBT_PROJECT_DIR
from pipelines.yearbook.model import Text

REGISTRY_FILE = DBT_PROJECT_DIR / "indicators.yml"
Grain = Literal["round", "academic_year"]


@dataclass(frozen=True)
class Indicator:
    id: str
    name: Text
    grain: Grain
    source: Text | None = None  # where its data come from, in both languages
    coverage_threshold: float | None = None  # below this share of contributing colleges: suppressed


def _entries(raw: Any) -> list[dict[str, Any]]:
    """A list of indicators or a mapping id -> indicator, at top level or under `indicators`."""
    if isinstance(raw, dict) and "indicators" in raw:
        raw = raw["indicators"]
    if isinstance(raw, dict):
        return [{"id": k, **v} for k, v in raw.items()]
    return list(raw)


def _name(entry: dict[str, Any]) -> Text:
    for key in ("name", "names", "title", "label"):
        node = entry.get(key)
        if isinstance(node, dict) and "kk" in node and "ru" in node:
            return Text(str(node["kk"]).strip(), str(node["ru"]).strip())
    if "name_kk" in entry and "name_ru" in entry:
        return Text(str(entry["name_kk"]).strip(), str(entry["name_ru"]).strip())
    raise ValueError(f"indicator {entry.get('id')!r}: no kk/ru name in {REGISTRY_FILE.name}")


def _grain(entry: dict[str, Any]) -> Grain:
    value = str(entry.get("grain") or entry.get("period") or entry.get("period_grain") or "")
    if "round" in value:
        return "round"
    if "year" in value:
        return "academic_year"
    raise ValueError(f"indicator {entry.get('id')!r}: unknown grain {value!r}")


def load_registry(path: Path | None = None) -> dict[str, Indicator]:
    raw = yaml.safe_load((path or REGISTRY_FILE).read_text(encoding="utf-8"))
    defaults = raw.get("defaults", {}) if isinstance(raw, dict) else {}
    out: dict[str, Indicator] = {}
    for entry in _entries(raw):
        iid = str(entry["id"])
        src = entry.get("source")
        source = (
            Text(str(src["kk"]).strip(), str(src["ru"]).strip())
            if isinstance(src, dict) and "kk" in src and "ru" in src
            else None
        )
        threshold = entry.get("coverage_threshold", defaults.get("coverage_threshold"))
        out[iid] = Indicator(
            iid,
            _name(entry),
            _grain(entry),
            source,
            None if threshold is None else float(threshold),
        )
    return out
