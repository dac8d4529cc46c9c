"""Kazakhstan BIN/IIN check digits: the one implementation, used by the generator and the ingest.

Both are 12 digits; the 12th is a check digit: weights 1..11 mod 11; if that gives 10, weights
3..11,1,2 mod 11; if that gives 10 again the number cannot be valid.
"""

from __future__ import annotations

import re

_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first11: str) -> int | None:
    """The check digit for 11 leading digits, or None when no digit can make them valid."""
    digits = [ord(c) - 48 for c in first11]
    d = sum(w * x for w, x in zip(_W1, digits, strict=True)) % 11
    if d == 10:
        d = sum(w * x for w, x in zip(_W2, digits, strict=True)) % 11
    return None if d == 10 else d


def is_valid(number: object) -> bool:
    """True when `number` is 12 digits with a correct check digit (works for BIN and IIN)."""
    s = str(number) if number is not None else ""
    if len(s) != 12 or not s.isdigit():
        return False
    return check_digit(s[:11]) == ord(s[11]) - 48


def complete(first11: str) -> str | None:
    """Append the check digit, or None when these 11 digits admit none."""
    d = check_digit(first11)
    return None if d is None else f"{first11}{d}"


# --- IIN or BIN: telling them apart, and masking IINs in free text --------------------------
#
# Both are 12 digits with the same check digit, so the check digit alone cannot tell them apart.
# Their 5th digit can: in a BIN it is the kind of legal entity (4 resident, 5 non-resident,
# 6 individual entrepreneur in joint venture; digits 1-4 are the registration's YYMM), in an IIN
# it is the first digit of the day of birth (digits 1-6 are YYMMDD), so 0-3. The rule, used
# everywhere text is written: a 12-digit number with a valid check digit is an IIN, and masked,
# unless its 5th digit is 4, 5 or 6. Every BIN the system needs (college_bin, enterprise_bin,
# the file names `<college_bin>_<round>_vN.xlsx`) keeps its 5th digit 4-6 and is never masked;
# a "BIN" with another 5th digit is no BIN, and when its check digit holds it is masked too.

IIN_MASK = "[ЖСН/ИИН]"  # what replaces an IIN in any text; dbt_project.yml var `iin_mask` too
_BIN_ENTITY_DIGITS = frozenset("456")
# 12 digits, or 6 + 6 with one space between (as typed: '860101 300011'), no digit either side.
_TWELVE = re.compile(r"(?<!\d)(\d{6})[ \u00a0]?(\d{6})(?!\d)")
# The same candidates in the regex dialect of polars (no look-around): a superset, checked above.
CANDIDATE_PATTERN = r"\d{6}[ \u00a0]?\d{6}"


def is_bin_shaped(number: str) -> bool:
    """A valid 12-digit number whose 5th digit is a legal entity's kind (4, 5, 6)."""
    return is_valid(number) and number[4] in _BIN_ENTITY_DIGITS


def is_iin_shaped(number: str) -> bool:
    """A valid 12-digit number that is not BIN-shaped: treated as an IIN wherever it appears."""
    return is_valid(number) and number[4] not in _BIN_ENTITY_DIGITS


def mask_iins(text: str) -> str:
    """`text` with every IIN-shaped number replaced by IIN_MASK (BINs and other numbers kept).

    The one masking function: cells, offending values, load issues, file names, log lines and
    metadata all pass through it before they are written (docs/ARCHITECTURE.md "Privacy")."""
    if len(text) < 12:
        return text
    return _TWELVE.sub(
        lambda m: IIN_MASK if is_iin_shaped(m.group(1) + m.group(2)) else m.group(0), text
    )


def has_iin(text: str) -> bool:
    return mask_iins(text) != text
