"""Extending the project: a fourth source and a fifth indicator, by the files a developer writes.

One copy of the repository gets both (tests/extensions.py): the source as a contract, a staging
model and a data-quality frame, with `edustat contracts` generating the rest; the indicator as a
registry entry and its measure column in the base model. The files each step touches are recorded
before anything runs. A copy of the session's pipeline home, given one teacher-training file (one
row out of range), is then rebuilt once with the copy's code: the new source must be ingested,
staged, validated and published, and the new indicator must be in the warehouse, equal to the
regenerated ground truth, and in both yearbook editions, table and charts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import SAMPLE_ARGS, edustat
from extensions import (
    BASE_MODEL,
    INDICATOR_EDITS,
    NAME_KK,
    NAME_RU,
    NEW_ENTRY,
    NEW_ID,
    SOURCE,
    SOURCE_ADDED,
    SOURCE_GENERATED,
    YEAR,
)

from pipelines.indicators import load_registry
from pipelines.settings import REPO_ROOT

SKIP = (".git", ".venv", "var", "target", "logs", "__pycache__", ".pytest_cache", ".ruff_cache")


@dataclass
class Extended:
    home: Path
    truth: dict[str, Any]  # the copy's demo manifest for the session's sample
    source_files: set[str]  # what adding the source changed, by hand and generated
    indicator_files: set[str]  # what adding the indicator changed
    checks: tuple[int, int]  # `edustat contracts --check` before and after `edustat contracts`
    run: subprocess.CompletedProcess[str]
    bins: list[str]  # the two colleges of the teacher-training file


def _files(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and not any(part in SKIP for part in rel.parts):
            out[rel.as_posix()] = path.read_bytes()
    return out


def _touched(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}


def _add_source(repo: Path, home: Path) -> tuple[int, int]:
    for rel, text in SOURCE_ADDED.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    stale = edustat("contracts", "--check", home=home, check=False).returncode
    edustat("contracts", home=home)
    return stale, edustat("contracts", "--check", home=home, check=False).returncode


def _add_indicator(repo: Path) -> None:
    with (repo / "dbt_project" / "indicators.yml").open("a", encoding="utf-8") as f:
        f.write(NEW_ENTRY)
    sql = (repo / BASE_MODEL).read_text(encoding="utf-8")
    for old, new in INDICATOR_EDITS:
        assert sql.count(old) == 1, old
        sql = sql.replace(old, new)
    (repo / BASE_MODEL).write_text(sql, encoding="utf-8")


def _land_teacher_training(home: Path) -> list[str]:
    """One teacher-training file about two of the sample's colleges, the second row out of range
    (hours 9999 > 500)."""
    bins = sorted(p.name.split("_")[0] for p in (home / "landing" / "nobd").rglob("*_v1.*"))
    landing = home / "landing" / SOURCE / "2024" / f"{SOURCE}_2024.csv"
    landing.parent.mkdir(parents=True)
    landing.write_text(
        "#courses\ncollege_bin,course_name,hours,participants\n"
        f"{bins[0]},Digital didactics,72,\n{bins[-1]},Inclusive education,9999,\n",
        encoding="utf-8",
    )
    return [bins[0], bins[-1]]


@pytest.fixture(scope="module")
def extended(pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Extended]:
    root = tmp_path_factory.mktemp("extended")
    repo, home, truth = root / "repo", root / "home", root / "truth"
    shutil.copytree(REPO_ROOT, repo, ignore=shutil.ignore_patterns(*SKIP))
    shutil.copytree(pipeline_home, home, symlinks=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", str(repo))  # the CLI runs the copy's code and contracts
        original = _files(repo)
        checks = _add_source(repo, home)
        with_source = _files(repo)
        _add_indicator(repo)
        with_both = _files(repo)
        edustat("demo-data", "--out", str(truth), *SAMPLE_ARGS, home=truth)
        bins = _land_teacher_training(home)
        run = edustat("run", "--lang", "en", home=home)
        yield Extended(
            home=home,
            truth=json.loads((truth / "manifest.json").read_text("utf-8")),
            source_files=_touched(original, with_source),
            indicator_files=_touched(with_source, with_both),
            checks=checks,
            run=run,
            bins=bins,
        )


# --- a fourth source ------------------------------------------------------------------------


def test_adding_a_source_is_a_contract_a_staging_model_and_a_frame(extended: Extended) -> None:
    assert extended.checks == (1, 0), "`edustat contracts --check`: stale, then fresh"
    print("\nfiles added by hand:", *sorted(SOURCE_ADDED), sep="\n  ")
    print("files generated by `edustat contracts`:", *sorted(SOURCE_GENERATED), sep="\n  ")
    assert extended.source_files == set(SOURCE_ADDED) | SOURCE_GENERATED


def test_the_new_source_is_ingested_staged_validated_and_published(extended: Extended) -> None:
    stdout = extended.run.stdout
    assert "Teacher-training reports" in stdout, stdout[-3000:]
    # the run said where its products are and what to do next
    for hint in ("published", "edustat sql", "edustat ui"):
        assert hint in stdout, stdout[-3000:]

    current = extended.home / "published" / "current" / "warehouse.duckdb"
    with duckdb.connect(str(current), read_only=True) as con:

        def one(sql: str) -> tuple[Any, ...]:
            return con.execute(sql).fetchall()[0]

        assert one(
            f"select status, partition_key from raw.landing_files where source = '{SOURCE}'"
        ) == ("loaded", "2024")
        assert one("select count(*) from raw.teacher_training_courses") == (2,)
        assert one("select count(*), min(year) from staging.stg_teacher_training__courses") == (
            2,
            2024,
        )
        findings = con.execute(
            "select rule_id, sheet, field, row_number, college_bin, offending_value "
            f"from marts.fct_dq_findings where source = '{SOURCE}'"
        ).fetchall()
    # Row: the CSV line (1 the section, 2 the header, 3 and 4 the rows).
    bad_college = extended.bins[-1]
    assert findings == [("domain.range", "courses", "hours", 4, bad_college, "9999")], findings


# --- a fifth indicator ----------------------------------------------------------------------


def test_adding_an_indicator_touches_two_files(extended: Extended) -> None:
    assert extended.indicator_files == {"dbt_project/indicators.yml", BASE_MODEL.as_posix()}


def test_the_fifth_indicator_is_in_the_warehouse_and_equals_the_truth(
    pipeline_home: Path, extended: Extended
) -> None:
    truth = extended.truth
    # The regenerated sample is the one the home was built from, byte for byte.
    original = json.loads((pipeline_home / "manifest.json").read_text("utf-8"))
    assert [f["sha256"] for f in truth["files"]] == [f["sha256"] for f in original["files"]]

    expected = {
        (r["period"], r["level"], r["region_code"]): (r["numerator"], r["denominator"])
        for r in truth["indicators"]
        if r["indicator_id"] == NEW_ID
    }
    with duckdb.connect(str(extended.home / "warehouse.duckdb"), read_only=True) as con:
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
    extended: Extended,
) -> None:
    releases = sorted(
        (extended.home / "yearbook" / YEAR).glob("*/release.json"),
        key=lambda p: p.stat().st_mtime,
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
