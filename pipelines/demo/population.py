"""Students: cohorts that persist across rounds, so a pseudonymous key can be followed.

Each college keeps a list of `Student`s. In autumn the final-course students graduate, the others
move up a course and a new intake arrives; in spring a few drop out or join. The headcount of a
round is exactly the planned size (model.World.sizes), so natural changes stay small.
Ages: intake at 15–19 and at most four courses, so everyone is 15–22 at any reference date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter

from pipelines import reference
from pipelines.demo.model import RETIRED_QUALIFICATIONS, College, World
from pipelines.demo.rng import stream
from pipelines.demo.tables import Table, contract_sheet
from pipelines.reference import Round

# Sectors where most students are women / men (gender is drawn per student).
_FEMALE_SECTORS = {"health": 0.85, "education": 0.8, "services": 0.7, "light_industry": 0.85}
_MALE_SECTORS = {"engineering": 0.15, "energy": 0.12, "mining": 0.1, "oil_gas": 0.2,
                 "transport": 0.15, "construction": 0.12, "agriculture": 0.25}  # fmt: skip


@dataclass(slots=True)
class Student:
    # Field names are the contract's `students` columns, so rows come out by attrgetter.
    iin: str
    gender: str
    birth_date: date
    specialty_code: str
    qualification_code: str
    course: int
    study_language: str
    study_form: str
    funding: str
    dual_training: bool
    enterprise_bin: str | None
    sen: bool
    status: str
    length: int  # courses of the programme (not a contract column)


class Populations:
    """The student body of every college, advanced round by round."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.by_college: dict[str, list[Student]] = {}
        self._quals = {
            s: [q for q in reference.qualifications_of(s) if q not in RETIRED_QUALIFICATIONS]
            for s in reference.specialties()
        }
        columns = [c.name for c in contract_sheet("nobd_submission", "students").columns]
        self.columns = columns
        self._row = attrgetter(*columns)

    # -- one round ------------------------------------------------------------------------------

    def advance(self, college: College, rnd: Round) -> list[Student]:
        """The college's students at the round's reference date (mutates the population)."""
        rng = stream(self.world.seed, "students", college.bin, rnd.round_id)
        target = self.world.sizes[(college.bin, rnd.round_id)]
        students = self.by_college.get(college.bin)
        if students is None:
            students = [self._new(college, rnd, rng, course=None) for _ in range(target)]
        else:
            students = self._move_on(college, rnd, rng, students)
            rng.shuffle(students)  # dropouts are random, not the newest rows
            del students[target:]
            students.sort(key=lambda s: (s.course, s.specialty_code, s.iin))
            students += [
                self._new(college, rnd, rng, course=1) for _ in range(target - len(students))
            ]
        for s in students:
            s.status = "academic_leave" if rng.random() < 0.015 else "studying"
        students.sort(key=lambda s: (s.course, s.specialty_code, s.iin))
        self.by_college[college.bin] = students
        return students

    def extra(self, college: College, rnd: Round, n: int, key: str) -> list[Student]:
        """Students that appear in one file only (an injected enrolment surge); not persisted."""
        rng = stream(self.world.seed, "extra", college.bin, rnd.round_id, key)
        return [self._new(college, rnd, rng, course=1) for _ in range(n)]

    def table(self, students: list[Student]) -> Table:
        t = Table("nobd_submission", "students", list(self.columns))
        row = self._row
        t.rows = [list(row(s)) for s in students]
        return t

    def row(self, student: Student) -> list[object]:
        return list(self._row(student))

    # -- cohort mechanics -----------------------------------------------------------------------

    def _move_on(
        self, college: College, rnd: Round, rng: random.Random, students: list[Student]
    ) -> list[Student]:
        if rnd.season != "autumn":
            return list(students)
        staying = [s for s in students if s.course < s.length]
        for s in staying:
            s.course += 1
            if not s.dual_training and s.course >= 2 and rng.random() < college.dual_rate / 2:
                self._make_dual(college, s, rng)
        return staying

    def _new(self, college: College, rnd: Round, rng: random.Random, course: int | None) -> Student:
        specialty = rng.choice(college.specialties)
        qual = rng.choice(self._quals[specialty] or sorted(reference.qualifications()))
        length, intake_age = _programme(qual, rng)
        if course is None:  # the first population of a college: all courses present
            course = rng.randint(1, length)
        age = intake_age + course - 1
        ref = rnd.reference_date
        birth = ref.replace(year=ref.year - age) - timedelta(days=rng.randint(0, 364))
        gender = _gender(specialty, rng)
        s = Student(
            iin=self.world.ids.iin(birth, gender),
            gender=gender,
            birth_date=birth,
            specialty_code=specialty,
            qualification_code=qual,
            course=course,
            study_language=_language(college, rng),
            study_form=rng.choices(["full_time", "part_time", "evening"], [90, 7, 3])[0],
            funding=rng.choices(["state_order", "paid", "enterprise"], [68, 30, 2])[0],
            dual_training=False,
            enterprise_bin=None,
            sen=rng.random() < 0.03,
            status="studying",
            length=length,
        )
        if s.funding == "enterprise" or (course >= 2 and rng.random() < college.dual_rate):
            self._make_dual(college, s, rng)
        return s

    def _make_dual(self, college: College, s: Student, rng: random.Random) -> None:
        s.dual_training = True
        s.enterprise_bin = rng.choice(self.world.enterprises[college.region])


def _programme(qualification: str, rng: random.Random) -> tuple[int, int]:
    """(courses, age at intake): after grade 9 a longer programme from 15–16, after grade 11 a
    shorter one from 17–18; applied bachelors (5AB) two years from 19."""
    if qualification.startswith("5AB"):
        return 2, 19
    if rng.random() < 0.7:
        return (4 if qualification.startswith("4S") else 3), rng.randint(15, 16)
    return (3 if qualification.startswith("4S") else 2), rng.randint(17, 18)


def _gender(specialty: str, rng: random.Random) -> str:
    sector = reference.specialties()[specialty]["sector"]
    p_female = _FEMALE_SECTORS.get(sector, _MALE_SECTORS.get(sector, 0.5))
    return "F" if rng.random() < p_female else "M"


def _language(college: College, rng: random.Random) -> str:
    x = rng.random()
    if x < 0.005:
        return "en"
    return "kk" if x < college.kk_study_share else "ru"
