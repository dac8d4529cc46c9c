"""Unique, valid Kazakh identifiers for the generated world (check digits: pipelines.identifiers).

IIN = birth date YYMMDD + century/gender digit + 4-digit serial + check digit.
BIN = registration YYMM + entity type `4` (resident legal entity) + `0` (head office) + 5-digit
serial + check digit. Digits 5–6 of a BIN are therefore `40`, which no IIN can have (they are an
IIN's day of birth), so IINs and BINs are disjoint by construction; the factory also checks it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pipelines.identifiers import complete, is_valid


def century_gender_digit(birth: date, gender: str) -> str:
    """3/4 = man/woman born in the 1900s, 5/6 = born in the 2000s."""
    base = 3 if birth.year < 2000 else 5
    return str(base + (1 if gender == "F" else 0))


class IdFactory:
    """Hands out identifiers that are valid, never repeated, and never both an IIN and a BIN."""

    def __init__(self) -> None:
        self._serial: dict[str, int] = defaultdict(int)
        self.used: set[str] = set()

    def _next(self, prefix: str, width: int) -> str:
        while True:
            self._serial[prefix] += 1
            n = self._serial[prefix]
            if n >= 10**width:
                raise RuntimeError(f"identifier serials exhausted for prefix {prefix}")
            number = complete(f"{prefix}{n:0{width}d}")
            if number is not None and number not in self.used:
                self.used.add(number)
                return number

    def iin(self, birth: date, gender: str) -> str:
        prefix = f"{birth:%y%m%d}{century_gender_digit(birth, gender)}"
        return self._next(prefix, 4)

    def bin(self, registered: date) -> str:
        return self._next(f"{registered:%y%m}40", 5)


def corrupt(number: str, shift: int = 1) -> str:
    """The same 12 digits with a wrong check digit (a typo the checksum must catch)."""
    shift = 1 + (shift - 1) % 9
    bad = f"{number[:11]}{(int(number[11]) + shift) % 10}"
    assert not is_valid(bad), bad
    return bad
