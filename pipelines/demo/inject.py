"""Defect injection: each function changes one file in one known way and records the `Defect`s
(rule id, sheet, 0-based data row, field) that the data-quality step must report for it.

One file gets one story, so the expected findings are exactly the recorded ones plus those that
`truth.py` evaluates over what was written: the identity rules (header against file name and
folder), the share of quarantined rows, and the cross-source and temporal rules that depend on
other files.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from pipelines import reference
from pipelines.contracts import load_contract
from pipelines.demo import names
from pipelines.demo.defect_types import Defect
from pipelines.demo.files import OutFile, utf8_csv_style, xlsx_style
from pipelines.demo.ids import corrupt
from pipelines.demo.tables import Table, Verbatim

# The required column dropped by structure.missing_column, and the sheet left out by
# structure.missing_sheet.
MISSING_COLUMN = ("students", "gender")
MISSING_SHEET = "library"


def malform(f: OutFile, rule: str) -> None:
    """Make the file unreadable in the way `rule` (a structure.* id) describes: it is rejected."""
    if rule == "structure.unreadable_file":
        f.style, f.post = xlsx_style(f.style.lang, f.style.variant), "truncate"
        f.defects.append(Defect(rule, None, None, None))
    elif rule == "structure.empty_file":
        f.post = "empty"
        f.defects.append(Defect(rule, None, None, None))
    elif rule == "structure.bad_encoding":
        f.style, f.post = utf8_csv_style(f.style.lang, f.style.variant), "utf16"
        f.defects.append(Defect(rule, None, None, None))
    elif rule == "structure.missing_sheet":
        f.style = xlsx_style(f.style.lang, f.style.variant)
        del f.tables[MISSING_SHEET]
        f.defects.append(Defect(rule, MISSING_SHEET, None, None))
    elif rule == "structure.missing_column":
        f.style = xlsx_style(f.style.lang, f.style.variant)
        sheet, column = MISSING_COLUMN
        f.tables[sheet].drop_column(column)
        f.defects.append(Defect(rule, sheet, None, column))
    else:
        raise ValueError(rule)
    _rename(f)


def _rename(f: OutFile) -> None:
    """Keep the file name's extension in line with a changed container."""
    stem = f.path.rsplit(".", 1)[0]
    f.path = f"{stem}.{f.style.ext}"


def row_defect(f: OutFile, variant: str, rng: random.Random, enterprises: list[str]) -> None:
    """One row-level defect; `variant` is a plan.ROW_DEFECT_VARIANTS entry."""
    rule, _, detail = variant.partition(":")
    students, library = f.tables["students"], f.tables["library"]
    i = rng.randrange(len(students.rows))
    j = rng.randrange(len(library.rows))
    if rule == "identifiers.iin_checksum":
        students.set(i, "iin", corrupt(students.get(i, "iin"), rng.randint(1, 9)))
        f.defects.append(Defect(rule, "students", i, "iin"))
    elif rule == "identifiers.bin_checksum":
        i = _dual_row(students, rng, enterprises)
        students.set(
            i, "enterprise_bin", corrupt(students.get(i, "enterprise_bin"), rng.randint(1, 9))
        )
        f.defects.append(Defect(rule, "students", i, "enterprise_bin"))
    elif rule == "identifiers.unknown_region":
        spelling = rng.choice(names.UNKNOWN_REGIONS[f.style.lang])
        f.tables["header"].set(0, "region", spelling)
        f.defects.append(Defect(rule, "header", 0, "region"))
    elif rule == "identifiers.unknown_specialty":
        students.set(i, "specialty_code", rng.choice(names.UNKNOWN_SPECIALTIES))
        f.defects.append(Defect(rule, "students", i, "specialty_code"))
    elif rule == "identifiers.unknown_qualification":
        students.set(i, "qualification_code", rng.choice(names.UNKNOWN_QUALIFICATIONS))
        f.defects.append(Defect(rule, "students", i, "qualification_code"))
    elif rule == "domain.allowed_values":
        column = rng.choice(sorted(names.BAD_CODE_VALUES))
        students.set(i, column, Verbatim(names.BAD_CODE_VALUES[column][f.style.lang]))
        f.defects.append(Defect(rule, "students", i, column))
    elif rule == "domain.range" and detail == "copies":
        library.set(j, "copies_ru", -rng.randint(1, 60))
        f.defects.append(Defect(rule, "library", j, "copies_ru"))
    elif rule == "domain.range":
        students.set(i, "course", rng.choice([0, 5, 7]))
        f.defects.append(Defect(rule, "students", i, "course"))
    elif rule == "domain.required_value":
        students.set(i, "birth_date", None)
        f.defects.append(Defect(rule, "students", i, "birth_date"))
    elif rule == "logic.kazakh_copies_exceed_total":
        library.set(j, "copies_kk", library.get(j, "copies_total") + rng.randint(10, 400))
        f.defects.append(Defect(rule, "library", j, "copies_kk"))
    elif rule == "logic.dual_without_enterprise":
        i = _dual_row(students, rng, enterprises)
        students.set(i, "enterprise_bin", None)
        f.defects.append(Defect(rule, "students", i, "enterprise_bin"))
    elif rule == "logic.duplicate_student_in_submission":
        # Appended, so no other row index moves; the first occurrence counts, only the repeat
        # carries the finding.
        students.rows.append(list(students.rows[i]))
        f.defects.append(Defect(rule, "students", len(students.rows) - 1, "iin"))
    else:
        raise ValueError(variant)


def wrong_header_bin(f: OutFile, variant: str, rng: random.Random, enterprises: list[str]) -> None:
    """The header names a BIN other than the file name's; `variant` is a
    plan.HELD_RESUBMISSION_VARIANTS entry. identity.bin_mismatch itself is evaluated by truth.py
    (header against file name), so only the check-digit finding is recorded here."""
    header = f.tables["header"]
    if variant == "identity.bin_mismatch":  # a valid BIN: the dual-training partner's
        header.set(0, "college_bin", rng.choice(enterprises))
    elif variant == "identifiers.bin_checksum:header":  # a typo in the check digit
        header.set(0, "college_bin", corrupt(header.get(0, "college_bin"), rng.randint(1, 9)))
        f.defects.append(Defect("identifiers.bin_checksum", "header", 0, "college_bin"))
    else:
        raise ValueError(variant)


# Share of student rows whose IIN check digit is wrong in a systematic fault: far above
# rules.DEFECTIVE_ROWS_SHARE, so the submission is held back whatever its size.
SYSTEMATIC_SHARE = 0.2


def systematic_iins(f: OutFile, rng: random.Random) -> None:
    """IINs mistyped throughout: a fifth of the rows (at least three) with a wrong check digit.
    Each row is quarantined; submission.defective_rows (held) is evaluated by truth.py."""
    students = f.tables["students"]
    n = len(students.rows)
    for i in sorted(rng.sample(range(n), max(3, math.ceil(SYSTEMATIC_SHARE * n)))):
        students.set(i, "iin", corrupt(students.get(i, "iin"), rng.randint(1, 9)))
        f.defects.append(Defect("identifiers.iin_checksum", "students", i, "iin"))


def header_round(f: OutFile, round_id: str) -> None:
    """The header names another round (last round's header copied); identity.round_mismatch is
    evaluated by truth.py. The reference date is left alone: only the round id is wrong."""
    f.tables["header"].set(0, "round_id", round_id)


def second_header_row(f: OutFile) -> None:
    """The header row pasted twice (identity.header_rows, evaluated by truth.py). The copy is
    identical, so it raises no other finding and the signing time stays the same."""
    header = f.tables["header"]
    header.rows.append(list(header.rows[0]))


def _dual_row(students: Table, rng: random.Random, enterprises: list[str]) -> int:
    """A dual-training student with an enterprise; makes one if the file has none."""
    rows = [k for k, v in enumerate(students.column_values("enterprise_bin")) if v]
    if rows:
        return rng.choice(rows)
    i = rng.randrange(len(students.rows))
    students.set(i, "dual_training", True)
    students.set(i, "enterprise_bin", rng.choice(enterprises))
    return i


def implausible_age(f: OutFile, reference_date: date, rng: random.Random) -> None:
    """Warning logic.age_implausible: a 12-year-old, or a birth year typed as 1957."""
    students = f.tables["students"]
    i = rng.randrange(len(students.rows))
    if rng.random() < 0.5:
        birth = reference_date.replace(year=reference_date.year - 12) - timedelta(
            days=rng.randint(5, 300)
        )
    else:
        birth = date(1957, rng.randint(1, 12), rng.randint(1, 28))
    students.set(i, "birth_date", birth)
    f.defects.append(Defect("logic.age_implausible", "students", i, "birth_date"))


def duplicate_across(source: OutFile, target: OutFile, rng: random.Random) -> None:
    """A student of `source` also listed by `target` in the same round: both submissions carry
    logic.duplicate_student_across_colleges (ARCHITECTURE: every submission involved)."""
    src, dst = source.tables["students"], target.tables["students"]
    i = rng.randrange(len(src.rows))
    row = dict(zip(src.columns, src.rows[i], strict=True))
    dst.add(row)
    rule = "logic.duplicate_student_across_colleges"
    source.defects.append(Defect(rule, "students", i, "iin"))
    target.defects.append(Defect(rule, "students", len(dst.rows) - 1, "iin"))


def check_injection_values() -> list[str]:
    """The 'unknown' and 'bad' values really are unknown to the reference data and contracts."""
    problems = []
    for spellings in names.UNKNOWN_REGIONS.values():
        problems += [f"region {s!r} is known" for s in spellings if reference.resolve_region(s)]
    problems += [
        f"specialty {s}" for s in names.UNKNOWN_SPECIALTIES if s in reference.specialties()
    ]
    problems += [
        f"qualification {q}"
        for q in names.UNKNOWN_QUALIFICATIONS
        if q in reference.qualifications()
    ]
    students = load_contract("nobd_submission").sheet("students")
    for column, by_lang in names.BAD_CODE_VALUES.items():
        accepted = students.column(column).value_spellings()
        problems += [f"{column} {v!r}" for v in by_lang.values() if v.lower() in accepted]
    return problems
