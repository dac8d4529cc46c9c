"""Kazakhstan BIN/IIN check digits: the one implementation, used by the generator and the ingest.

Both are 12 digits; the 12th is a check digit: weights 1..11 mod 11; if that gives 10, weights
3..11,1,2 mod 11; if that gives 10 again the number cannot be valid.
"""

from __future__ import annotations

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
