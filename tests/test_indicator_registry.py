"""The indicator registry (dbt_project/indicators.yml, pipelines/indicators.py) drives every
reader: a new indicator is one registry entry plus its measure column in the base model.

tests/test_extending.py proves it on a copy of the repository; here the registry's own
checks: defaults, refused entries, and dbt's refusal of a stale copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from extensions import NEW_ENTRY, NEW_ID

from pipelines.indicators import RegistryError, load_registry, write_dbt_registry
from pipelines.settings import DBT_PROJECT_DIR


def test_the_registry_loads_typed_with_defaults_applied() -> None:
    registry = load_registry()
    assert registry.indicators
    for ind in registry.indicators:
        assert ind.names.kk and ind.names.ru and ind.names.en
        assert 0 < ind.coverage_threshold <= 1
        grain = registry.grains[ind.grain]
        for measure in (ind.numerator, ind.denominator):
            assert measure.counts.sheet in grain.sheets


def _broken(tmp_path: Path, change: Any) -> Path:
    """A copy of indicators.yml with `change(document)` applied."""
    doc = yaml.safe_load((DBT_PROJECT_DIR / "indicators.yml").read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["indicators"][0].update(grain="week"), r"grain must be one of"),
        (
            lambda d: d["indicators"][0]["numerator"]["counts"].update(sum="copies_xx"),
            r"library has no column 'copies_xx'",
        ),
        (
            lambda d: d["indicators"][2]["numerator"]["counts"].update(
                where={"event_type": "exam"}
            ),
            r"event_type is one of .*not 'exam'",
        ),
        (
            lambda d: d["indicators"][1]["numerator"]["counts"].update(sheet="library"),
            r"measure 'students_dual'|has no column 'dual_training'",
        ),
        (lambda d: d["indicators"].append(d["indicators"][0]), r"defined twice"),
        (lambda d: d["indicators"][0].update(coverage_threshold=80), r"between 0 and 1"),
        (lambda d: d["indicators"][0]["names"].pop("ru"), r"names: `ru` must be"),
        (lambda d: d["indicators"][0].update(numerater={}), r"unknown keys \['numerater'\]"),
        (
            lambda d: d["indicators"][3]["denominator"]["counts"].update(where={"ramps": True}),
            r"measure 'expected' counts differently",
        ),
    ],
)
def test_a_broken_entry_is_refused_with_where_and_why(
    tmp_path: Path, change: Any, message: str
) -> None:
    with pytest.raises(RegistryError, match=message) as caught:
        load_registry(_broken(tmp_path, change))
    assert "indicators.yml" in str(caught.value)


def test_dbt_refuses_a_copy_older_than_the_registry(tmp_path: Path) -> None:
    """dbt reads the validated JSON copy, which records the YAML's SHA-256 (the macro compares
    it with the file, macros/indicators.sql); the copy follows the file."""
    project = tmp_path / "dbt_project"
    project.mkdir()
    shutil.copy(DBT_PROJECT_DIR / "indicators.yml", project / "indicators.yml")
    copy = write_dbt_registry(project)
    before = json.loads(copy.read_text(encoding="utf-8"))
    assert [i["id"] for i in before["indicators"]] == [i.id for i in load_registry().indicators]
    with (project / "indicators.yml").open("a", encoding="utf-8") as f:
        f.write(NEW_ENTRY)
    after = json.loads(write_dbt_registry(project).read_text(encoding="utf-8"))
    assert after["source_sha256"] != before["source_sha256"]
    assert after["indicators"][-1]["id"] == NEW_ID
    assert after["indicators"][-1]["coverage_threshold"] == 0.8  # the default, applied
