"""How a number reads in every edition: HTML and PDF text, and the XLSX number format.

Kazakh and Russian statistical publications group thousands with a space and use a decimal
comma. The space is a no-break space so a number never wraps inside a narrow column; negative
numbers take the minus sign U+2212 so they cannot be mistaken for the «–» mark.

An XLSX cell holds the value in the unit its number format displays: a percent column holds 12.3
shown as 12.3 (the heading says %), a 0–1 rate holds 0.123 shown by Excel's own % format as
12.3%, a change in percentage points holds 20.0 for +20 points. `excel_format` is the only
place that maps a kind to its format, `text` the only place that prints it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

NBSP = "\u00a0"
MINUS = "\u2212"

# int: a count; delta: a signed change of a count; dec1: one decimal; pct: a percent already
# multiplied by 100 (12.3 means 12.3 %); rate: a 0–1 share printed as a percent;
# pp: a change of a percent, in percentage points (20.0 means +20 points).
Kind = Literal["int", "delta", "dec1", "pct", "rate", "pp"]
KINDS: tuple[Kind, ...] = ("int", "delta", "dec1", "pct", "rate", "pp")
DECIMALS: dict[Kind, int] = {"int": 0, "delta": 0, "dec1": 1, "pct": 1, "rate": 1, "pp": 1}
SIGNED: frozenset[Kind] = frozenset({"delta", "pp"})

# Why a cell has no number (national-statistics convention; a true zero is printed as 0):
#   not_reported   «…»  data expected but not received (or held back as a whole)
#   suppressed     «…»  received, withheld from publication (coverage below the threshold)
#   not_applicable «–»  the figure cannot exist (no target, no population, nothing to compare)
Mark = Literal["not_reported", "suppressed", "not_applicable"]
MARKS: tuple[Mark, ...] = ("not_reported", "suppressed", "not_applicable")
SYMBOLS: dict[Mark, str] = {"not_reported": "…", "suppressed": "…", "not_applicable": "–"}
# A count based on part of the expected colleges: printed after the number, explained in a note.
PARTIAL = "*"

_UNITS: dict[str, dict[str, str]] = {
    "pct": {"kk": "%", "ru": "%"},
    "rate": {"kk": "%", "ru": "%"},
    "pp": {"kk": "п.т.", "ru": "п.п."},
}


def _half_up(value: float | Decimal, decimals: int) -> Decimal:
    """`value` rounded as Excel rounds what a number format shows: on its decimal digits, a half
    away from zero (96.25 -> 96.3). Python's round() and format() round the binary value half to
    even (96.25 -> 96.2), so a rate of 77/80 read 96,2 % in HTML and 96.3% in the workbook."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def number(value: float, decimals: int, *, signed: bool = False) -> str:
    """`12345.6, 1` -> «12 345,6»; `signed` puts «+» before a positive value."""
    rounded = _half_up(value, decimals)
    body = f"{abs(rounded):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    if rounded < 0:
        return MINUS + body
    return ("+" + body) if signed and rounded > 0 else body


def shown_value(value: float, kind: Kind) -> float:
    """The number a reader sees: a rate as a percent, everything else as stored."""
    return float(_half_up(Decimal(str(value)) * 100, 1)) if kind == "rate" else value


def text(
    value: float | None,
    kind: Kind,
    lang: str,
    *,
    mark: Mark | None = None,
    unit: bool = False,
    partial: bool = False,
) -> str:
    """A cell as printed. `unit` appends %/п.п. (for a value without a unit in its heading)."""
    if mark is not None or value is None:
        return SYMBOLS[mark or "not_applicable"]
    out = number(shown_value(value, kind), DECIMALS[kind], signed=kind in SIGNED)
    if unit and kind in _UNITS:
        out += NBSP + _UNITS[kind][lang]
    return out + (PARTIAL if partial else "")


def percent(num: int, den: int) -> str:
    """A rate for running text («97,5»); «–» when nothing was expected."""
    return SYMBOLS["not_applicable"] if den == 0 else number(100 * num / den, 1)


_EXCEL: dict[Kind, str] = {
    "int": "#,##0",
    "delta": '+#,##0;"−"#,##0;0',
    "dec1": "0.0",
    "pct": "0.0",
    "rate": "0.0%",
    "pp": '+0.0;"−"0.0;0.0',
}


def excel_format(kind: Kind, *, partial: bool = False) -> str:
    """The XLSX number format of a kind; a partial-coverage count keeps its «*» in the format,
    so the cell stays a number a user can compute with."""
    fmt = _EXCEL[kind]
    if not partial:
        return fmt
    return ";".join(f'{section}"{PARTIAL}"' for section in fmt.split(";"))


def excel_text(value: float, number_format: str, lang: str) -> str:
    """What `text` prints for an XLSX cell of `number_format` (the proofreading tests compare
    the HTML edition with the workbook through it)."""
    partial = number_format.endswith(f'"{PARTIAL}"')
    base = number_format.replace(f'"{PARTIAL}"', "") if partial else number_format
    kind = next(k for k, f in _EXCEL.items() if f == base)
    return text(value, kind, lang, partial=partial)
