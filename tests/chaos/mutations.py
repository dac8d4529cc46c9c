"""The catalogue: damage real clerks do to hand-typed Excel, each with the fate the acceptance
policy (docs/ARCHITECTURE.md "Acceptance policy") gives it.

A mutation takes the `Sample`, picks its target(s) deterministically, changes the landing tree in
one way and returns the checks that state its fate through the warehouse.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from openpyxl.utils import get_column_letter

from chaos.book import PASSPORT, Book, as_sections_csv, middle_row
from chaos.checks import (
    BASELINE,
    Check,
    Count,
    FileStatus,
    Finding,
    InRegister,
    LoadIssue,
    OnlyWarnings,
    Quarantined,
    RegisterRegion,
    SameFigures,
    SameSql,
    Submission,
)
from chaos.sample import Sample, Target, passport_year
from pipelines.identifiers import complete

ENROLMENT = "fct_enrolment"
LIBRARY = "fct_library_fund"


@dataclass
class Applied:
    target: str
    checks: list[Check] = field(default_factory=list)
    skipped: str | None = None


@dataclass(frozen=True)
class Mutation:
    name: str
    damage: str  # what the clerk did
    fate: str  # what the policy makes of it
    rule: str  # the rule behind the fate ("—" when the file simply loads)
    apply: Callable[[Sample], Applied]


# --- small edits -----------------------------------------------------------------------------


def break_check_digit(number: str) -> str:
    return f"{number[:11]}{(int(number[11]) + 1) % 10}"


def mistype_bin(bin_: str) -> str:
    """Swap two serial digits (a typing slip); change one when they are equal."""
    a, b = bin_[8], bin_[9]
    if a == b:
        return f"{bin_[:9]}{(int(b) + 1) % 10}{bin_[10:]}"
    return f"{bin_[:8]}{b}{a}{bin_[10:]}"


def edit(t: Target, change: Callable[[Book], Any], dest: str | None = None) -> Book:
    book = Book(t.path)
    change(book)
    book.save(t.path.parents[2] / dest if dest else None)
    return book


def set_signed_at(book: Book, when: datetime) -> None:
    book.set("header", 2, "signed_at", when)


def break_iins(book: Book, share: float) -> list[int]:
    """Break the check digit of every row whose position falls in the first `share`."""
    rows = book.rows("students")
    broken = rows[: max(2, int(len(rows) * share) + 1)]
    for r in broken:
        book.set("students", r, "iin", break_check_digit(str(book.get("students", r, "iin"))))
    return broken


def loaded_unchanged(t: Target, rel: str | None = None) -> list[Check]:
    """The file loads and the college's figures and status equal the baseline's."""
    path = rel or t.rel
    return [
        FileStatus(path, "loaded"),
        OnlyWarnings(path),
        SameFigures(t.college_bin, t.round_id),
    ]


def held(t: Target, rule: str, sheet: str | None = None, path: str | None = None) -> list[Check]:
    rel = path or t.rel
    return [
        FileStatus(rel, "held_back", rule),
        Finding(rel, rule, sheet),
        Submission(t.college_bin, t.round_id, "missing"),
    ]


def rejected(t: Target, rule: str | None, rel: str | None = None) -> list[Check]:
    return [
        FileStatus(rel or t.rel, "rejected", rule),
        Submission(t.college_bin, t.round_id, "missing"),
    ]


# --- identifiers -----------------------------------------------------------------------------


def iin_as_numbers(s: Sample) -> Applied:
    t = s.take(lambda t: True)

    def change(book: Book) -> None:
        for r in book.rows("students"):
            cell = book.cell("students", r, "iin")
            cell.value = int(str(cell.value))
            cell.number_format = "0"

    edit(t, change)
    checks = [LoadIssue(t.rel, "iin"), *loaded_unchanged(t)]
    return Applied(t.rel, checks)


def iin_one_bad_check_digit(s: Sample) -> Applied:
    t = s.take()
    row = middle_row(Book(t.path), "students")
    edit(t, lambda b: b.set("students", row, "iin",
                            break_check_digit(b.get("students", row, "iin"))))  # fmt: skip
    return Applied(t.rel, [
        FileStatus(t.rel, "loaded"),
        Finding(t.rel, "identifiers.iin_checksum", "students", "iin", row),
        Quarantined(t.rel, "students", row),
        Count(ENROLMENT, t.college_bin, t.round_id, -1),
        Submission(t.college_bin, t.round_id, BASELINE),
    ])  # fmt: skip


def iin_many_bad(s: Sample) -> Applied:
    t = s.take()
    edit(t, lambda b: break_iins(b, 0.2))
    return Applied(t.rel, held(t, "submission.defective_rows", "students"))


def unknown_specialty_one_row(s: Sample) -> Applied:
    t = s.take()
    row = middle_row(Book(t.path), "students")
    edit(t, lambda b: b.set("students", row, "specialty_code", "061301000"))
    return Applied(t.rel, [
        FileStatus(t.rel, "loaded"),
        Finding(t.rel, "identifiers.unknown_specialty", "students", "specialty_code", row),
        Quarantined(t.rel, "students", row),
        Count(ENROLMENT, t.college_bin, t.round_id, -1),
    ])  # fmt: skip


# --- identity of the submission --------------------------------------------------------------


def header_bin_mistyped(s: Sample) -> Applied:
    t = s.take()
    edit(t, lambda b: b.set("header", 2, "college_bin", mistype_bin(t.college_bin)))
    checks = held(t, "identity.bin_mismatch", "header")
    return Applied(t.rel, checks)


def header_bin_fixed_next_day(s: Sample) -> Applied:
    """v1 with a mistyped header BIN; v2 a day later with the right one (the original bytes)."""
    t = s.take()
    v2 = t.rel_version(2)
    shutil.copyfile(t.path, s.landing / v2)

    def change(book: Book) -> None:
        book.set("header", 2, "college_bin", mistype_bin(t.college_bin))
        set_signed_at(book, t.signed_at - timedelta(days=1))

    edit(t, change)
    return Applied(f"{t.rel} + {v2}", [
        FileStatus(v2, "loaded"),
        FileStatus(t.rel, "superseded"),
        Submission(t.college_bin, t.round_id, BASELINE),
        SameFigures(t.college_bin, t.round_id),
    ])  # fmt: skip


def last_round_copied(s: Sample) -> Applied:
    """Last round's file uploaded again under this round's name and folder."""

    def fits(t: Target) -> bool:
        prev = s.previous_round(t.round_id)
        before = s.clean(t.college_bin, prev) if prev else None
        return before is not None and before.ext == t.ext

    t = s.take(fits)
    before = s.clean(t.college_bin, s.previous_round(t.round_id) or "")
    assert before is not None
    shutil.copyfile(before.path, t.path)
    checks = [*held(t, "identity.round_mismatch", "header"),
              SameFigures(before.college_bin, before.round_id)]  # fmt: skip
    return Applied(f"{before.rel} -> {t.rel}", checks)


def saved_under_other_name(s: Sample) -> Applied:
    """A's file saved as B's next version: B keeps its own v1, A is missing."""
    a, b = s.take_pair(lambda a, b: a.signed_at > b.signed_at)
    wrong = b.rel_version(2)
    os.replace(a.path, s.landing / wrong)
    return Applied(f"{a.rel} -> {wrong}", [
        FileStatus(wrong, "held_back", "identity.bin_mismatch"),
        Finding(wrong, "identity.bin_mismatch", "header"),
        Submission(a.college_bin, a.round_id, "missing"),
        FileStatus(b.rel, "loaded"),
        Submission(b.college_bin, b.round_id, BASELINE, previous_version_current=True),
        SameFigures(b.college_bin, b.round_id),
    ])  # fmt: skip


def header_two_rows(s: Sample) -> Applied:
    t = s.take()
    edit(t, lambda b: b.ws("header").append(b.values("header", 2)))
    return Applied(t.rel, held(t, "identity.header_rows", "header"))


# --- sheets ----------------------------------------------------------------------------------


def second_students_sheet(book: Book, header: list[Any], rows: list[list[Any]]) -> None:
    ws = book.ws("students")
    extra = book.wb.create_sheet(f"{ws.title} (2)", book.wb.index(ws) + 1)
    extra.append(header)
    for values in rows:
        extra.append(values)


def students_split_same_header(s: Sample) -> Applied:
    t = s.take()

    def change(book: Book) -> None:
        ws = book.ws("students")
        rows = book.rows("students")
        moved = rows[len(rows) // 2 :]
        second_students_sheet(book, book.values("students", 1),
                              [book.values("students", r) for r in moved])  # fmt: skip
        ws.delete_rows(moved[0], len(moved))

    edit(t, change)
    return Applied(t.rel, loaded_unchanged(t))


def students_second_sheet_other_columns(s: Sample) -> Applied:
    t = s.take()

    def change(book: Book) -> None:
        iin, course = book.col("students", "iin"), book.col("students", "course")
        head = book.values("students", 1)
        rows = [book.values("students", r) for r in book.rows("students")[:3]]
        second_students_sheet(book, [head[iin - 1], head[course - 1], "Группа"],
                              [[v[iin - 1], v[course - 1], "ПО-21"] for v in rows])  # fmt: skip

    edit(t, change)
    return Applied(t.rel, rejected(t, "structure.conflicting_sheets"))


def students_sheet_title_case(s: Sample) -> Applied:
    t = s.take()

    def change(book: Book) -> None:
        ws = book.ws("students")
        ws.title = f"{ws.title.upper()} "

    edit(t, change)
    return Applied(t.rel, loaded_unchanged(t))


# --- layout of hand-made sheets --------------------------------------------------------------


def title_and_blank_rows(s: Sample) -> Applied:
    """A title line and a blank row above the header, a blank row amid the data."""
    t = s.take()

    def change(book: Book) -> None:
        ws = book.ws("students")
        middle = middle_row(book, "students")
        ws.insert_rows(middle)
        ws.insert_rows(1, 2)
        ws["A1"] = "Сведения об обучающихся / Білім алушылар туралы мәліметтер"

    edit(t, change)
    return Applied(t.rel, loaded_unchanged(t))


def merged_title_cells(s: Sample) -> Applied:
    t = s.take()

    def change(book: Book) -> None:
        ws = book.ws("library")
        width = ws.max_column
        ws.insert_rows(1)
        ws["A1"] = f"Библиотечный фонд на {t.round_id}"
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)

    edit(t, change)
    return Applied(t.rel, loaded_unchanged(t))


def hidden_extra_column(s: Sample) -> Applied:
    t = s.take()

    def change(book: Book) -> None:
        ws = book.ws("students")
        ws.insert_cols(3)
        ws.cell(1, 3, "Примечание")
        for r in book.rows("students")[::3]:
            ws.cell(r, 3, "переведён из другой группы")
        ws.column_dimensions[get_column_letter(3)].hidden = True

    edit(t, change)
    return Applied(t.rel, loaded_unchanged(t))


def index_column(s: Sample) -> Applied:
    t = s.take()

    def change(book: Book) -> None:
        ws = book.ws("students")
        rows = book.rows("students")
        ws.insert_cols(1)
        ws.cell(1, 1, "№")
        for i, r in enumerate(rows, start=1):
            ws.cell(r, 1, i)

    edit(t, change)
    return Applied(t.rel, loaded_unchanged(t))


def library_totals_row(s: Sample) -> Applied:
    """A totals row at the bottom of the library sheet: quarantined, so the sums keep."""
    t = s.take()
    book = Book(t.path)
    ws = book.ws("library")
    rows = book.rows("library")
    total = ["Итого" if book.is_russian() else "Барлығы"]
    for j in range(2, ws.max_column + 1):
        total.append(sum(int(ws.cell(r, j).value or 0) for r in rows))
    ws.append(total)
    row = ws.max_row
    book.save()
    return Applied(t.rel, [
        FileStatus(t.rel, "loaded"),
        Quarantined(t.rel, "library", row),
        Finding(t.rel, "domain.allowed_values", "library", "subject_area", row),
        SameFigures(t.college_bin, t.round_id),
    ])  # fmt: skip


# --- values ----------------------------------------------------------------------------------


def dates_as_text(s: Sample) -> Applied:
    t = s.take()

    def change(book: Book) -> None:
        for r in book.rows("students"):
            cell = book.cell("students", r, "birth_date")
            cell.value = f"{cell.value:%Y-%m-%d} 00:00"
            cell.number_format = "@"

    edit(t, change)
    null_dates = (
        "select count(*) from marts.fct_enrolment"
        " where college_bin = ? and round_id = ? and birth_date is null"
    )
    key = (t.college_bin, t.round_id)
    return Applied(t.rel, [*loaded_unchanged(t),
                           SameSql("birth dates read", null_dates, key, key)])  # fmt: skip


def codes_spaces_and_case(s: Sample) -> Applied:
    t = s.take()

    def change(book: Book) -> None:
        for i, r in enumerate(book.rows("students")):
            for col in ("specialty_code", "qualification_code", "gender", "funding"):
                v = str(book.get("students", r, col))
                book.set("students", r, col, f"{v.lower() if i % 2 else v.upper()}  ")
            form = str(book.get("students", r, "study_form"))
            book.set("students", r, "study_form", f" {form.capitalize()}")

    edit(t, change)
    return Applied(t.rel, loaded_unchanged(t))


def kazakh_copies_above_total(s: Sample) -> Applied:
    t = s.take()
    row = Book(t.path).rows("library")[0]
    edit(t, lambda b: b.set("library", row, "copies_kk",
                            int(b.get("library", row, "copies_total")) + 50))  # fmt: skip
    return Applied(t.rel, [
        FileStatus(t.rel, "loaded"),
        Finding(t.rel, "logic.kazakh_copies_exceed_total", "library", "copies_kk", row),
        Quarantined(t.rel, "library", row),
        Count(LIBRARY, t.college_bin, t.round_id, -1),
        Count(ENROLMENT, t.college_bin, t.round_id),
    ])  # fmt: skip


def student_at_two_colleges(s: Sample) -> Applied:
    a, b = s.take_pair(lambda a, b: True)
    source = Book(a.path)
    a_row = middle_row(source, "students")
    values = source.values("students", a_row)
    book = Book(b.path)
    book.ws("students").append(values)
    b_row = book.ws("students").max_row
    book.save()
    rule = "logic.duplicate_student_across_colleges"
    return Applied(f"{a.rel} row {a_row} -> {b.rel}", [
        FileStatus(a.rel, "loaded"),
        FileStatus(b.rel, "loaded"),
        Finding(a.rel, rule, "students", "iin", a_row),
        Finding(b.rel, rule, "students", "iin", b_row),
        Count(ENROLMENT, a.college_bin, a.round_id),
        Count(ENROLMENT, b.college_bin, b.round_id, +1),
    ])  # fmt: skip


def fresh_iins(template: str, taken: set[str], n: int) -> list[str]:
    """n valid IINs sharing the template's birth date, unused anywhere in the sample."""
    out: list[str] = []
    for serial in range(9999, 0, -1):
        iin = complete(f"{template[:7]}{serial:04d}")
        if iin and iin not in taken:
            out.append(iin)
            taken.add(iin)
            if len(out) == n:
                return out
    raise LookupError("serials exhausted")


def students_six_times_capacity(s: Sample) -> Applied:
    t = s.take()
    capacity = s.capacity(t.college_bin, passport_year(t.round_id))
    book = Book(t.path)
    rows = book.rows("students")
    iin_col = book.col("students", "iin")
    taken = s.iins()
    extra = 6 * capacity - len(rows)
    templates = [book.values("students", r) for r in rows]
    for k in range(extra):
        values = list(templates[k % len(templates)])
        values[iin_col - 1] = fresh_iins(str(values[iin_col - 1]), taken, 1)[0]
        book.ws("students").append(values)
    book.save()
    return Applied(f"{t.rel} ({6 * capacity} students)",
                   held(t, "cross.contingent_implausible", "students"))  # fmt: skip


# --- file formats and damage -----------------------------------------------------------------


def cp1251_csv_export(s: Sample) -> Applied:
    """The workbook exported as a 1C-style CSV: Windows-1251, ';', CRLF, decimal commas."""

    def fits(t: Target) -> bool:
        book = Book(t.path)
        if not book.is_russian():
            return False
        try:
            as_sections_csv(book, ";", True, "\r\n").encode("cp1251")
        except UnicodeEncodeError:
            return False
        return True

    t = s.take(fits)
    csv_rel = t.rel_version(1, "csv")
    text = as_sections_csv(Book(t.path), ";", True, "\r\n")
    (s.landing / csv_rel).write_bytes(text.encode("cp1251"))
    t.path.unlink()
    fte = (
        "select coalesce(sum(fte), 0) from raw.nobd_staff s join raw.landing_files f"
        " on f.file_id = s._file_id where f.path = ?"
    )
    return Applied(f"{t.rel} -> {csv_rel}", [
        *loaded_unchanged(t, csv_rel),
        SameSql("staff FTE (decimal commas)", fte, (csv_rel,), (t.rel,)),
    ])  # fmt: skip


def csv_students_only(s: Sample) -> Applied:
    """Only the students rows saved as CSV: no section markers, no header or library."""
    t = s.take()
    book = Book(t.path)
    ws = book.ws("students")
    lines = [",".join("" if v is None else str(v) for v in row)
             for row in ws.iter_rows(values_only=True)]  # fmt: skip
    csv_rel = t.rel_version(1, "csv")
    (s.landing / csv_rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
    t.path.unlink()
    return Applied(f"{t.rel} -> {csv_rel}", rejected(t, "structure.missing_sheet", csv_rel))


def empty_file(s: Sample) -> Applied:
    t = s.take()
    t.path.write_bytes(b"")
    return Applied(t.rel, rejected(t, "structure.empty_file"))


def truncated_xlsx(s: Sample) -> Applied:
    t = s.take()
    data = t.path.read_bytes()
    t.path.write_bytes(data[: len(data) * 2 // 3])
    return Applied(t.rel, rejected(t, "structure.unreadable_file"))


# --- names and places ------------------------------------------------------------------------


def dangling_symlink(s: Sample) -> Applied:
    """A v2 that is a link into someone's Desktop: the link lands, the file never does."""
    t = s.take()
    link = t.rel_version(2)
    os.symlink(f"/home/operator/Desktop/{t.college_bin}_{t.round_id}_v2.xlsx", s.landing / link)
    return Applied(link, [FileStatus(link, "rejected"), *loaded_unchanged(t)])


def name_without_version(s: Sample) -> Applied:
    t = s.take()
    wrong = t.sibling(f"{t.college_bin}_{t.round_id}.xlsx")
    os.replace(t.path, s.landing / wrong)
    return Applied(wrong, rejected(t, None, wrong))


def browser_download_copy(s: Sample) -> Applied:
    """A second download of the same file, '… (1).xlsx', beside the original."""
    t = s.take()
    copy = t.sibling(f"{t.path.stem} (1).xlsx")
    shutil.copyfile(t.path, s.landing / copy)
    return Applied(copy, [FileStatus(copy, "rejected"), *loaded_unchanged(t)])


def excel_lock_file(s: Sample) -> Applied:
    """The `~$…` owner file Excel leaves while the workbook is open, copied with the folder."""
    t = s.take()
    lock = t.sibling(f"~${t.path.name}")
    (s.landing / lock).write_bytes(b"\x08operator" + b"\x00" * 44 + b"\x08\x00o\x00p" + b" " * 110)
    return Applied(lock, [FileStatus(lock, "rejected"), *loaded_unchanged(t)])


def unknown_round_folder(s: Sample) -> Applied:
    t = s.take()
    year = t.round_id.split("-")[0]
    stray = f"nobd/{year}-осень/{t.path.name}"
    (s.landing / stray).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(t.path, s.landing / stray)
    return Applied(stray, [FileStatus(stray, "rejected", "structure.unreadable_file"),
                           *loaded_unchanged(t)])  # fmt: skip


# --- versions and timeliness -----------------------------------------------------------------


def held_v2_after_accepted_v1(s: Sample) -> Applied:
    """A re-export a day later with IINs mangled in a fifth of the rows."""
    t = s.take()
    v2 = t.rel_version(2)

    def change(book: Book) -> None:
        break_iins(book, 0.2)
        set_signed_at(book, t.signed_at + timedelta(days=1))

    edit(t, change, dest=v2)
    return Applied(v2, [
        FileStatus(v2, "held_back", "submission.defective_rows"),
        FileStatus(t.rel, "loaded"),
        Submission(t.college_bin, t.round_id, BASELINE, previous_version_current=True),
        SameFigures(t.college_bin, t.round_id),
    ])  # fmt: skip


def clean_correction_after_deadline(s: Sample) -> Applied:
    t = s.take(lambda t: s.status(t.college_bin, t.round_id) == "on_time")
    v2 = t.rel_version(2)
    late = s.deadline(t) + timedelta(days=5)
    edit(t, lambda b: set_signed_at(b, late.replace(microsecond=0)), dest=v2)
    return Applied(f"{v2} signed {late:%Y-%m-%d}", [
        FileStatus(v2, "loaded"),
        FileStatus(t.rel, "superseded"),
        Submission(t.college_bin, t.round_id, "on_time", corrected_after_due_date=True),
        SameFigures(t.college_bin, t.round_id),
    ])  # fmt: skip


# --- passports -------------------------------------------------------------------------------


def passport_row(book: Book, college_bin: str) -> int:
    for r in book.rows("colleges"):
        if book.get("colleges", r, "college_bin") == college_bin:
            return r
    raise LookupError(college_bin)


def passport_ambiguous_region(s: Sample) -> Applied:
    """'Almaty' (city or oblast) in the first passport: no earlier passport settles it."""
    year = s.passport_years()[0]
    bin_ = s.take_college(lambda c: c["region_code"] in ("75", "19"))
    rel = s.passport_rel(year)
    book = Book(s.landing / rel, PASSPORT)
    row = passport_row(book, bin_)
    book.set("colleges", row, "region", "Almaty")
    book.save()
    return Applied(f"{rel} row {row} ({bin_})", [
        FileStatus(rel, "loaded"),
        Finding(rel, "identifiers.ambiguous_region", "colleges", "region", row),
        InRegister(bin_, year),
        RegisterRegion(bin_, year, None),
    ])  # fmt: skip


def passport_ambiguous_region_resolved(s: Sample) -> Applied:
    """'Almaty' in a later passport: the college's previous passport names one of the two."""
    year = s.passport_years()[-1]
    region: dict[str, str] = {}

    def fits(c: dict[str, Any]) -> bool:
        region[c["college_bin"]] = c["region_code"]
        return c["region_code"] in ("75", "19")

    bin_ = s.take_college(fits)
    rel = s.passport_rel(year)
    book = Book(s.landing / rel, PASSPORT)
    row = passport_row(book, bin_)
    book.set("colleges", row, "region", "Almaty")
    book.save()
    return Applied(f"{rel} row {row} ({bin_})", [
        FileStatus(rel, "loaded"),
        InRegister(bin_, year),
        RegisterRegion(bin_, year, region[bin_]),
    ])  # fmt: skip


def passport_region_not_yet_established(s: Sample) -> Applied:
    early = [y for y in s.passport_years() if y < 2022]
    if not early:
        return Applied("—", skipped="the sample has no passport written before 2022-06-08")
    year = early[0]
    bin_ = s.take_college(lambda c: c["region_code"] == "63")
    rel = s.passport_rel(year)
    book = Book(s.landing / rel, PASSPORT)
    row = passport_row(book, bin_)
    book.set("colleges", row, "region", "Абай облысы")
    book.save()
    return Applied(f"{rel} row {row} ({bin_})", [
        Finding(rel, "identifiers.region_not_yet_established", "colleges", "region", row),
        InRegister(bin_, year),
    ])  # fmt: skip


def passport_conflicting_duplicate(s: Sample) -> Applied:
    year = s.passport_years()[0]
    bin_ = s.take_college(lambda c: True)
    rel = s.passport_rel(year)
    book = Book(s.landing / rel, PASSPORT)
    values = book.values("colleges", passport_row(book, bin_))
    values[book.col("colleges", "capacity") - 1] += 100
    book.ws("colleges").append(values)
    book.save()
    return Applied(f"{rel} ({bin_})", [
        FileStatus(rel, "loaded"),
        Finding(rel, "identifiers.passport_conflict", "colleges"),
        InRegister(bin_, year),
    ])  # fmt: skip


def _m(apply: Callable[[Sample], Applied], damage: str, fate: str, rule: str = "—") -> Mutation:
    return Mutation(apply.__name__, damage, fate, rule, apply)


CATALOGUE: tuple[Mutation, ...] = (
    _m(iin_as_numbers, "IIN column stored as Excel numbers (leading zero lost)",
       "loaded, zeros restored, load issue on iin; figures = baseline"),
    _m(iin_one_bad_check_digit, "one IIN with a wrong check digit",
       "loaded; the row quarantined", "identifiers.iin_checksum"),
    _m(iin_many_bad, "IINs wrong in 20% of rows", "held_back; college missing",
       "submission.defective_rows"),
    _m(unknown_specialty_one_row, "specialty code typed with an extra zero in one row",
       "loaded; the row quarantined", "identifiers.unknown_specialty"),
    _m(header_bin_mistyped, "header BIN mistyped (differs from the file name)",
       "held_back; college missing", "identity.bin_mismatch"),
    _m(header_bin_fixed_next_day, "v1 with a mistyped header BIN, right v2 signed a day later",
       "v2 loaded, v1 superseded; status and figures = baseline"),
    _m(last_round_copied, "last round's file uploaded under this round's name and folder",
       "held_back; college missing; last round unchanged", "identity.round_mismatch"),
    _m(saved_under_other_name, "college A's file saved as college B's v2",
       "held_back; A missing; B's v1 current (previous_version_current), figures = baseline",
       "identity.bin_mismatch"),
    _m(header_two_rows, "header sheet with the row typed twice", "held_back; college missing",
       "identity.header_rows"),
    _m(students_split_same_header, "students split over 'Обучающиеся' and '… (2)', same header",
       "loaded; rows of both sheets count (figures = baseline)"),
    _m(students_second_sheet_other_columns, "a second students sheet with other columns",
       "rejected; college missing", "structure.conflicting_sheets"),
    _m(students_sheet_title_case, "students sheet title upper-cased with a trailing space",
       "loaded; figures = baseline"),
    _m(title_and_blank_rows, "title line and blank row above the header, blank row amid data",
       "loaded; figures = baseline"),
    _m(merged_title_cells, "merged title cell above the library header",
       "loaded; figures = baseline"),
    _m(hidden_extra_column, "hidden 'Примечание' column inside the students table",
       "loaded (unknown column ignored); figures = baseline"),
    _m(index_column, "'№' index column before the students table",
       "loaded (unknown column ignored); figures = baseline"),
    _m(library_totals_row, "totals row ('Итого'/'Барлығы') at the bottom of the library sheet",
       "loaded; the totals row quarantined, library sums = baseline", "domain.allowed_values"),
    _m(dates_as_text, "birth dates typed as text '2006-07-03 00:00'",
       "loaded; every date read; figures = baseline"),
    _m(codes_spaces_and_case, "trailing/leading spaces and mixed case in code cells",
       "loaded; figures = baseline"),
    _m(kazakh_copies_above_total, "Kazakh copies above the total in one library row",
       "loaded; that library row quarantined, students still count",
       "logic.kazakh_copies_exceed_total"),
    _m(student_at_two_colleges, "a student of college A also listed at college B",
       "both loaded, warning on both, the student counts at both",
       "logic.duplicate_student_across_colleges"),
    _m(students_six_times_capacity, "students sheet 6x the passport capacity (unique IINs)",
       "held_back; college missing", "cross.contingent_implausible"),
    _m(cp1251_csv_export, "workbook exported as Windows-1251 CSV, ';', decimal commas",
       "loaded; figures and staff FTE = baseline"),
    _m(csv_students_only, "only the students rows saved as CSV, no section markers",
       "rejected; college missing", "structure.missing_sheet"),
    _m(empty_file, "0-byte file under the right name", "rejected; college missing",
       "structure.empty_file"),
    _m(truncated_xlsx, "xlsx cut short (interrupted copy)", "rejected; college missing",
       "structure.unreadable_file"),
    _m(dangling_symlink, "dangling symlink as the college's v2",
       "link rejected with a reason; v1 loaded, figures = baseline"),
    _m(name_without_version, "file named without '_v<N>'", "rejected; college missing"),
    _m(browser_download_copy, "second download '… (1).xlsx' beside the original",
       "copy rejected; original loaded, figures = baseline"),
    _m(excel_lock_file, "Excel owner file '~$….xlsx' copied with the folder",
       "lock file rejected; original loaded, figures = baseline"),
    _m(unknown_round_folder, "copy in a folder named '<year>-осень'",
       "copy rejected; original loaded, figures = baseline", "structure.unreadable_file"),
    _m(held_v2_after_accepted_v1, "v2 a day later with IINs mangled in 20% of rows",
       "v2 held_back, v1 stays current (loaded), previous_version_current",
       "submission.defective_rows"),
    _m(clean_correction_after_deadline, "clean correction v2 signed after the deadline",
       "v2 loaded, v1 superseded; on_time, corrected_after_due_date"),
    _m(passport_ambiguous_region_resolved, "passport region typed 'Almaty', earlier passport known",
       "resolved to the region of the college's previous passport; in the register"),
    _m(passport_ambiguous_region, "passport region typed 'Almaty'",
       "finding; college stays in the register", "identifiers.ambiguous_region"),
    _m(passport_region_not_yet_established, "'Абай облысы' in a 2021 passport",
       "finding; college stays in the register (skipped without a 2021 passport)",
       "identifiers.region_not_yet_established"),
    _m(passport_conflicting_duplicate, "passport row typed twice, capacity differs",
       "finding; college stays in the register", "identifiers.passport_conflict"),
)  # fmt: skip
