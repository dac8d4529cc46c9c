"""The indicator registry (`dbt_project/indicators.yml`, loaded by `pipelines.indicators`) as the
yearbook needs it: names in Kazakh and Russian, and the grain that decides which period a table
shows. The yearbook has one table and its charts per entry (tables.yml `for_each_indicator`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from pipelines import indicators
from pipelines.yearbook.model import Text

Grain = Literal["round", "academic_year"]


@dataclass(frozen=True)
class Indicator:
    id: str
    name: Text
    grain: Grain
    source: Text | None = None  # where its data come from, in both languages
    coverage_threshold: float | None = None  # below this share of contributing colleges: suppressed


def load_registry(path: Path | None = None) -> dict[str, Indicator]:
    """id -> indicator, in the registry's order."""
    registry = indicators.load_registry(path or indicators.REGISTRY_FILE)
    for i in registry.indicators:
        if i.grain not in get_args(Grain):
            raise indicators.RegistryError(
                f"{i.id}: the yearbook has no period for grain {i.grain}"
            )
    return {
        i.id: Indicator(
            i.id,
            Text(i.names.kk, i.names.ru),
            cast(Grain, i.grain),
            Text(i.source.kk, i.source.ru),
            i.coverage_threshold,
        )
        for i in registry.indicators
    }
