"""The indicator registry (dbt_project/indicators.yml, pipelines/indicators.py) drives every
reader: a new indicator is one registry entry plus its measure column in the base model.

`fifth` proves it on a copy of the repository: it adds a fifth indicator (the share of students
with special educational needs, from the students sheet's `sen` flag) by editing exactly those two
files, rebuilds a copy of the session's pipeline home with that code and regenerates the same
sample's ground truth; the indicator must then be in the warehouse, in the truth (equal to the
warehouse) and in both yearbook editions, table and charts.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from conftest import SAMPLE_ARGS, edustat

from pipelines.indicators import RegistryError, load_registry, write_dbt_registry
from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT

NEW_ID = "sen_student_share"
NAME_KK = "Ерекше білім беру қажеттіліктері бар білім алушылардың үлесі"
NAME_RU = "Доля обучающихся с особыми образовательными потребностями"
YEAR = "2024-2025"  # the newest academic year of SAMPLE_ARGS

NEW_ENTRY = f"""
  - id: {NEW_ID}
    names:
      kk: {NAME_KK}
      ru: {NAME_RU}
      en: Share of students with special educational needs
    description: Students with special educational needs as a share of all enrolled students.
    grain: round
    numerator:
      description: Student rows with sen = true.
      measure: students_sen
      counts: {{sheet: students, where: {{sen: true}}}}
    denominator:
      description: All student rows.
      measure: students_total
      counts: {{sheet: students}}
    contributing:
      description: The college's accepted current submission has accepted student rows.
      column: has_student_rows
    disaggregations: [region, settlement_type, ownership]
    source:
      kk: ҰБДҚ, колледж тапсырысының «Білім алушылар» парағы
      ru: НОБД, лист «Обучающиеся» отчёта колледжа
      en: NOBD round submission, students sheet
    legal_basis: null
    targets: null
    international: null
"""

BASE_MODEL = Path("dbt_project/models/intermediate/int_indicator_base__round.sql")
# The measure column, in the two places of the base model that carry a students measure.
BASE_EDITS = (
    (
        "        count(*) filter (where dual_training) as students_dual\n",
        "        count(*) filter (where dual_training) as students_dual,\n"
        "        count(*) filter (where sen) as students_sen\n",
    ),
    (
        "    case when e.has_accepted_submission then coalesce(s.students_dual, 0) end"
        " as students_dual,\n",
        "    case when e.has_accepted_submission then coalesce(s.students_dual, 0) end"
        " as students_dual,\n"
        "    case when e.has_accepted_submission then coalesce(s.students_sen, 0) end"
        " as students_sen,\n",
    ),
)
SKIP = (".git", ".venv", "var", "target", "logs", "__pycache__", ".pytest_cache", ".ruff_cache")


# --- the loader -------------------------------------------------------------------------------


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


# --- a fifth indicator, end to end ------------------------------------------------------------


@pytest.fixture(scope="module")
def fifth(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path, dict[str, Any]]]:
    """(repo copy, rebuilt home, the regenerated truth) with the fifth indicator."""
    root = tmp_path_factory.mktemp("fifth")
    repo = root / "repo"
    shutil.copytree(REPO_ROOT, repo, ignore=shutil.ignore_patterns(*SKIP))
    with (repo / "dbt_project" / "indicators.yml").open("a", encoding="utf-8") as f:
        f.write(NEW_ENTRY)
    sql = (repo / BASE_MODEL).read_text(encoding="utf-8")
    for old, new in BASE_EDITS:
        assert sql.count(old) == 1, old
        sql = sql.replace(old, new)
    (repo / BASE_MODEL).write_text(sql, encoding="utf-8")

    home = root / "home"
    shutil.copytree(pipeline_home, home, symlinks=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", str(repo))  # the CLI runs the copy's code
        edustat("demo-data", "--out", str(root / "truth"), *SAMPLE_ARGS, home=root / "truth")
        edustat("run", "--quiet", home=home)
        yield repo, home, json.loads((root / "truth" / "manifest.json").read_text("utf-8"))


def test_adding_an_indicator_touches_two_files(fifth: tuple[Path, Path, dict[str, Any]]) -> None:
    repo, _, _ = fifth
    changed = sorted(
        str(p.relative_to(repo))
        for p in repo.rglob("*")
        if p.is_file()
        and not any(part in SKIP for part in p.relative_to(repo).parts)
        and (REPO_ROOT / p.relative_to(repo)).read_bytes() != p.read_bytes()
    )
    assert changed == ["dbt_project/indicators.yml", str(BASE_MODEL)]


def test_the_fifth_indicator_is_in_the_warehouse_and_equals_the_truth(
    pipeline_home: Path, fifth: tuple[Path, Path, dict[str, Any]]
) -> None:
    _, home, truth = fifth
    # The regenerated sample is the one the home was built from, byte for byte.
    original = json.loads((pipeline_home / "manifest.json").read_text("utf-8"))
    assert [f["sha256"] for f in truth["files"]] == [f["sha256"] for f in original["files"]]

    expected = {
        (r["period"], r["level"], r["region_code"]): (r["numerator"], r["denominator"])
        for r in truth["indicators"]
        if r["indicator_id"] == NEW_ID
    }
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select period, level, region_code, numerator, denominator, grain, value"
            " from marts.fct_indicator_values where indicator_id = ? and level <> 'college'",
            [NEW_ID],
        ).fetchall()
        names = con.execute(
            "select name_kk, name_ru from marts.dim_indicator where indicator_id = ?", [NEW_ID]
        ).fetchall()
        groups = con.execute(
            "select distinct disaggregation from marts.fct_indicator_values_by_group"
            " where indicator_id = ?",
            [NEW_ID],
        ).fetchall()
    got = {(p, lvl, r): (n, d) for p, lvl, r, n, d, _, _ in rows}
    assert expected and got == expected
    assert sum(n for n, _ in expected.values()) > 0  # the sample has SEN students
    assert {g for *_, g, _ in rows} == {"round"}
    assert names == [(NAME_KK, NAME_RU)]
    assert {g for (g,) in groups} == {"settlement_type", "ownership"}
    # The truth holds every indicator of the copy's registry: the unchanged ones and the new one.
    ids = {r["indicator_id"] for r in truth["indicators"]}
    assert ids == {i.id for i in load_registry().indicators} | {NEW_ID}


def test_the_fifth_indicator_has_its_table_and_charts_in_both_editions(
    fifth: tuple[Path, Path, dict[str, Any]],
) -> None:
    _, home, _ = fifth
    releases = sorted(
        (home / "yearbook" / YEAR).glob("*/release.json"), key=lambda p: p.stat().st_mtime
    )
    release = releases[-1].parent
    meta = json.loads((release / "release.json").read_text(encoding="utf-8"))
    table = f"indicator_{NEW_ID}"
    assert table in [t["id"] for t in meta["tables"]]
    figures = {f["id"]: f for f in meta["figures"]}
    for kind in ("by_region", "trend"):
        assert NAME_KK in figures[f"{table}_{kind}"]["title_kk"]
        assert NAME_RU in figures[f"{table}_{kind}"]["title_ru"]
    for lang, name in (("kk", NAME_KK), ("ru", NAME_RU)):
        html = (release / f"yearbook_{lang}.html").read_text(encoding="utf-8")
        assert re.search(rf'<a href="#t\d+">[^<]*{re.escape(name)}', html), lang
        captions = re.findall(r"<figure id=\"f\d+\">\s*<img [^>]+>\s*<figcaption>([^<]*)", html)
        assert sum(name in c for c in captions) == 2, lang  # by region and trend
