"""IINs typed into every kind of place a clerk can put one, on top of the catalogue's damage.

Each NOBD injection takes a clean target of its own through `Sample.take`, so those colleges count
as touched; the CIS file and the stray file belong to no college. tests/test_chaos.py then scans
everything the run wrote for the sample's and these IINs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chaos.book import Book
from chaos.sample import Sample
from pipelines.demo.ids import IdFactory
from pipelines.identifiers import is_iin_shaped


@dataclass(frozen=True)
class Typed:
    iins: list[str]  # the IINs typed in, none of them a sample person's
    where: dict[str, str]  # what was typed where -> the landing file (relative)
    typed_file: str  # the file with IINs in header fields, enterprise BIN and birth date
    typed_bin: str  # its college
    stray_file: str  # a file named with an IIN


def _unseen_iins(n: int) -> list[str]:
    """Valid IINs of people born in 1961: no student or competitor of the sample."""
    ids = IdFactory()
    out = [ids.iin(date(1961, 2, 3 + i), "MF"[i % 2]) for i in range(n)]
    assert all(is_iin_shaped(i) for i in out)
    return out


def type_iins(sample: Sample) -> Typed:
    iins = _unseen_iins(6)
    where: dict[str, str] = {}

    swapped = sample.take()  # ИИН ↔ Пол headers swapped: a whole column of IINs under «Пол»
    book = Book(swapped.path)
    ws = book.ws("students")
    a, b = book.col("students", "iin"), book.col("students", "gender")
    ha, hb = ws.cell(1, a).value, ws.cell(1, b).value
    ws.cell(1, a).value, ws.cell(1, b).value = hb, ha
    book.save()
    where["swapped headers"] = swapped.rel

    typed = sample.take()
    book = Book(typed.path)
    book.set("header", 2, "college_name", f"Колледж {iins[0]}")
    book.set("header", 2, "signer_position", iins[1])
    rows = book.rows("students")
    book.set("students", rows[0], "enterprise_bin", iins[2])
    book.set("students", rows[1], "birth_date", iins[3])
    book.save()
    where["college_name, signer_position, enterprise_bin, birth_date"] = typed.rel

    landing = sample.landing
    cis = sorted((landing / "worldskills").rglob("cis_championships_*.xlsx"))[0]
    book = Book(cis, "worldskills_export")
    book.set("results", book.rows("results")[0], "skill", f"Welding {iins[4]}")
    book.save()
    where["CIS skill"] = str(cis.relative_to(landing))

    stray = landing / "nobd" / typed.round_id / f"справка_{iins[5]}.pdf"
    stray.write_bytes(b"%PDF-1.4 not a submission")
    where["stray file name"] = str(stray.relative_to(landing))
    return Typed(iins, where, typed.rel, typed.college_bin, where["stray file name"])
