"""What a developer adds to extend the project: a fourth source and a fifth indicator.

tests/test_extending.py applies both to one copy of the repository and takes them through one
`edustat run`; tests/test_indicator_registry.py checks the registry's refusal of a stale copy with
the same entry.

The source: teacher-training courses that colleges report once a year, added with exactly the three
files in SOURCE_ADDED; `edustat contracts` generates SOURCE_GENERATED. The indicator: the share of
students with special educational needs (the students sheet's `sen` flag), added by editing exactly
`indicators.yml` and the base model (INDICATOR_EDITS).
"""

from __future__ import annotations

from pathlib import Path

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
SOURCE_ADDED = {
    f"sources/contracts/{SOURCE}.yml": CONTRACT,
    "dbt_project/models/staging/teacher_training/stg_teacher_training__courses.sql": STAGING,
    "dbt_project/models/validation/dq_frame_teacher_training_courses.sql": FRAME,
}
SOURCE_GENERATED = {
    f"docs/contracts/{SOURCE}.md",
    f"dbt_project/models/staging/{SOURCE}/_{SOURCE}__sources.yml",
    "dbt_project/models/staging/registry/_registry__sources.yml",  # the sources' accepted list
    "dbt_project/seeds/dim_label.csv",
    f"expectations/{SOURCE}.structure.json",
    f"expectations/{SOURCE}.identifiers.json",
    f"expectations/{SOURCE}.domain.json",
}
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
INDICATOR_EDITS = (
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
