"""Adding a source is a contract, its staging model and its data-quality frame.

In a copy of the project a small fourth source, teacher-training courses reported by colleges once
a year, is added with exactly the three files in ADDED; `edustat contracts` generates the rest
(docs, dbt's raw sources, the `dim_label` seed's contract wording, the expectation suites). On a
tiny home with one file of the new source (one row out of range), `edustat run` ingests it (raw
table, registry row), stages it (dbt model), validates it (its GX suite finds the bad row) and
publishes it (`published/current`). Rules of its own beyond the contract's would be an entry in
pipelines/quality/build_suites.py's SOURCE_SPECS and columns of its frame.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import edustat

from pipelines.settings import REPO_ROOT

SOURCE = "teacher_training"
CONTRACT = """\
# Contract: the teacher-training courses a college reports once a year. Provenance: a test.
source: teacher_training
title:
  en: Teacher-training report
  kk: Педагогтердің біліктілігін арттыру есебі
  ru: Отчёт о повышении квалификации педагогов
order: 4
listed_as:
  en: Teacher-training reports
  kk: Біліктілікті арттыру есептері
  ru: Отчёты о повышении квалификации
landing_dir: "teacher_training/{year}"
file_name: "teacher_training_{year}.{ext}"
file_regex: '^teacher_training_(?P<year>\\d{4})\\.(?P<ext>xlsx|csv)$'
partition: year
formats:
  csv:
    encodings: [utf-8]
    separators: [","]
    section_marker: "#"
sheets:
  - name: courses
    headers: {kk: [Курстар], ru: [Курсы], en: [courses]}
    required: true
    raw_table: teacher_training_courses
    description: One row per course a college's teachers attended.
    columns:
      - name: college_bin
        type: string
        required: true
        headers: {kk: [Колледж БСН], ru: [БИН колледжа], en: [college_bin]}
      - name: course_name
        type: string
        required: true
        headers: {kk: [Курс атауы], ru: [Название курса], en: [course_name]}
      - name: hours
        type: integer
        required: true
        min: 1
        max: 500
        headers: {kk: [Сағат саны], ru: [Количество часов], en: [hours]}
"""
STAGING = """\
-- Teacher-training courses; report year Y holds the courses of academic year Y-(Y+1).
select
    cast(s._partition as integer) as year,
    s.*
from {{ source('raw', 'teacher_training_courses') }} as s
"""
FRAME = """\
-- GX frame `teacher_training.courses`: course rows of accepted files, named as in the contract.
select
    c.college_bin as _college_bin,
    c.*
from {{ ref('stg_teacher_training__courses') }} as c
inner join {{ ref('stg_landing_files') }} as f
    on f.file_id = c._file_id
    and f.is_accepted
"""
ADDED = {
    f"sources/contracts/{SOURCE}.yml": CONTRACT,
    "dbt_project/models/staging/teacher_training/stg_teacher_training__courses.sql": STAGING,
    "dbt_project/models/validation/dq_frame_teacher_training_courses.sql": FRAME,
}
GENERATED = {
    f"docs/contracts/{SOURCE}.md",
    f"dbt_project/models/staging/{SOURCE}/_{SOURCE}__sources.yml",
    "dbt_project/models/staging/registry/_registry__sources.yml",  # the sources' accepted list
    "dbt_project/seeds/dim_label.csv",
    f"expectations/{SOURCE}.structure.json",
    f"expectations/{SOURCE}.identifiers.json",
    f"expectations/{SOURCE}.domain.json",
}
COPIED = ("pipelines", "sources", "dbt_project", "expectations", "docs", "pyproject.toml")
SKIPPED = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__", ".*")


def _copy_project(dest: Path) -> Path:
    for name in COPIED:
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=SKIPPED)
        else:
            shutil.copy2(src, dest / name)
    return dest


def _files(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name in COPIED:
        base = root / name
        paths = [base] if base.is_file() else base.rglob("*")
        for path in paths:
            rel = path.relative_to(root).as_posix()
            if path.is_file() and not any(p in rel for p in ("/target/", "__pycache__", "/logs/")):
                out[rel] = path.read_bytes()
    return out


def test_a_new_source_is_a_contract_a_staging_model_and_a_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _copy_project(tmp_path / "project")
    before = _files(project)
    for rel, text in ADDED.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # The copy's code and contracts, not the repo's, from here on.
    monkeypatch.setenv("PYTHONPATH", str(project))
    home = tmp_path / "home"

    stale = edustat("contracts", "--check", home=home, check=False)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    edustat("contracts", home=home)
    assert edustat("contracts", "--check", home=home, check=False).returncode == 0

    after = _files(project)
    touched = {rel for rel, data in after.items() if before.get(rel) != data}
    print("\nfiles added by hand:", *sorted(ADDED), sep="\n  ")
    print("files generated by `edustat contracts`:", *sorted(touched - set(ADDED)), sep="\n  ")
    assert touched == set(ADDED) | GENERATED

    # A tiny home: the sample generator's colleges and one teacher-training file about two of
    # them, the second row out of range (hours 9999 > 500).
    edustat("demo-data", "--out", str(home), "--scale", "3", "--years", "2024-2024", home=home)
    bins = sorted(p.name.split("_")[0] for p in (home / "landing" / "nobd").rglob("*_v1.*"))
    landing = home / "landing" / SOURCE / "2024" / f"{SOURCE}_2024.csv"
    landing.parent.mkdir(parents=True)
    landing.write_text(
        "#courses\ncollege_bin,course_name,hours,participants\n"
        f"{bins[0]},Digital didactics,72,\n{bins[-1]},Inclusive education,9999,\n",
        encoding="utf-8",
    )
    run = edustat("run", "--lang", "en", home=home)
    assert "Teacher-training reports" in run.stdout, run.stdout[-3000:]
    # the run said where its products are and what to do next
    for hint in ("published", "edustat sql", "edustat ui"):
        assert hint in run.stdout, run.stdout[-3000:]

    current = home / "published" / "current" / "warehouse.duckdb"
    with duckdb.connect(str(current), read_only=True) as con:

        def one(sql: str) -> tuple:
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
    assert findings == [("domain.range", "courses", "hours", 4, bins[-1], "9999")], findings
