"""Vectorised type coercion of text cells to contract types (polars, no per-row Python).

Every cell arrives as text (the XLSX reader asks calamine for strings, the CSV reader reads
strings), so one code path handles both formats. A cell that cannot be coerced becomes NULL and
is reported as an issue; it never rejects the file (that is for the data-quality rules to judge).

Speed matters (about 1,600 files a round nationally), so each sheet is typed in one polars query
with a *fast* expression per column: the one date format seen in the column's first value, a
plain integer cast. Only a column where the fast path left a non-blank cell NULL is typed again
with the *full* expression (every accepted format, Excel serials, '12.0'), which is rare.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import polars as pl

from pipelines.contracts import Column, boolean_spellings, common
from pipelines.ingest.cells import PART, ROW

# Spaces that appear as thousands separators: normal, non-breaking, narrow non-breaking, thin.
_SPACES = r"[\s\u00a0\u202f\u2009]"
# Excel's day zero (the 1900 leap-year bug makes 1899-12-30, not 12-31, the epoch that works).
_EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers of 1900-01-01 .. 9999-12-31: anything else is not an Excel date.
_EXCEL_SERIAL_MAX = 2_958_465
# calamine renders date-formatted cells as ISO text ('2006-07-03 00:00' when the cell's format
# shows no seconds); accept those besides the contract formats.
_ISO_DATETIME = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
)
_BAD = "__bad_"

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "code": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "boolean": "BOOLEAN",
}
POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "code": pl.String(),
    "integer": pl.Int64(),
    "decimal": pl.Float64(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
    "boolean": pl.Boolean(),
}
# A load issue is only ever about a cell that holds something: an empty cell is NULL without an
# issue (whether it may be empty is the data-quality rule domain.required_value's to say).
_PROBLEMS = {
    "integer": "not an integer (the cell is filled but cannot be read; stored as empty)",
    "decimal": "not a number (the cell is filled but cannot be read; stored as empty)",
    "date": "not a date (the cell is filled but cannot be read; stored as empty)",
    "datetime": "not a date-time (the cell is filled but cannot be read; stored as empty)",
    "boolean": "not a yes/no value (the cell is filled but cannot be read; stored as empty)",
}

ISSUE_SCHEMA = {
    "sheet": pl.String,
    "row_number": pl.Int64,
    "field": pl.String,
    "problem": pl.String,
    "value": pl.String,
}


def empty_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def keyed(issues: pl.DataFrame, source: pl.DataFrame, mask: pl.Series) -> pl.DataFrame:
    """`issues` (one per row of `source` where `mask`) with the row's `PART` when `source` has
    one: sheets of several files typed together (readers.py) split their issues by it."""
    if PART not in source.columns:
        return issues
    return issues.hstack([source.get_column(PART).filter(mask)])


# --- full expressions: every accepted spelling ---------------------------------------------------


def _number_text(s: pl.Expr) -> pl.Expr:
    """'1 234,5' -> '1234.5': drop space separators, decimal comma to point."""
    return s.str.replace_all(_SPACES, "").str.replace(",", ".", literal=True)


def _integer(s: pl.Expr) -> pl.Expr:
    text = _number_text(s)
    as_float = text.cast(pl.Float64, strict=False)
    # '12.0' (a whole number typed as decimal) is an integer; '12.5' is not.
    whole = pl.when(as_float.is_finite() & (as_float == as_float.round(0))).then(as_float)
    return pl.coalesce(text.cast(pl.Int64, strict=False), whole.cast(pl.Int64, strict=False))


def _decimal(s: pl.Expr) -> pl.Expr:
    out = _number_text(s).cast(pl.Float64, strict=False)
    return pl.when(out.is_finite()).then(out)


def _excel_serial(s: pl.Expr) -> pl.Expr:
    """Days since 1899-12-30 as a float, for cells typed as plain numbers in a date column."""
    serial = s.cast(pl.Float64, strict=False)
    return pl.when((serial >= 1) & (serial <= _EXCEL_SERIAL_MAX)).then(serial)


def _datetime_formats() -> list[str]:
    return list(dict.fromkeys([*common()["datetime_formats"], *_ISO_DATETIME]))


def _datetime(s: pl.Expr) -> pl.Expr:
    parsed = [s.str.to_datetime(f, strict=False, time_unit="us") for f in _datetime_formats()]
    parsed += [
        s.str.to_date(f, strict=False).cast(pl.Datetime("us")) for f in common()["date_formats"]
    ]
    serial = _excel_serial(s)
    from_serial = pl.lit(_EXCEL_EPOCH).cast(pl.Datetime("us")) + pl.duration(
        microseconds=(serial * 86_400_000_000).round(0).cast(pl.Int64)
    )
    return pl.coalesce(*parsed, from_serial)


def _date(s: pl.Expr) -> pl.Expr:
    parsed = [s.str.to_date(f, strict=False) for f in common()["date_formats"]]
    # A date typed with a time ('03.07.2006 00:00', or a date cell formatted with its time) is
    # still that date.
    parsed += [s.str.to_datetime(f, strict=False).dt.date() for f in _datetime_formats()]
    serial = _excel_serial(s)
    from_serial = pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial.floor().cast(pl.Int64))
    return pl.coalesce(*parsed, from_serial)


_FULL: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "datetime": _datetime,
}


# --- fast expressions: the common spelling only ----------------------------------------------


def sample_format(sample: str | None) -> str | None:
    """The one format (of common.yml and calamine's ISO text) that parses `sample`."""
    if sample is None:
        return None
    candidates = [*common()["date_formats"], *_datetime_formats()]
    for fmt in candidates:
        if "%.f" in fmt:  # polars-only directive; such text takes the full path
            continue
        try:
            datetime.strptime(sample, fmt)
        except ValueError:
            continue
        return fmt
    return None


def _fast(col: Column, s: pl.Expr, fmt: str | None) -> pl.Expr:
    if col.type == "integer":
        return _number_text(s).cast(pl.Int64, strict=False)
    if col.type == "decimal":
        return _decimal(s)
    if fmt is None:
        return _FULL[col.type](s)
    has_time = "%H" in fmt
    if col.type == "date":
        return (
            s.str.to_datetime(fmt, strict=False).dt.date()
            if has_time
            else s.str.to_date(fmt, strict=False)
        )
    if has_time:
        return s.str.to_datetime(fmt, strict=False, time_unit="us")
    return s.str.to_date(fmt, strict=False).cast(pl.Datetime("us"))


def _boolean(s: pl.Expr) -> pl.Expr:
    """Spelling -> bool via common.yml. The vectorised normalisation (trim, lower-case, trailing
    '*:.' dropped) equals contracts.normalise_label on this vocabulary: no spelling has an inner
    space, so collapsing inner whitespace never matters."""
    norm = s.str.strip_chars().str.to_lowercase().str.strip_chars_end("*:. ").str.strip_chars()
    return norm.replace_strict(boolean_spellings(), default=None, return_dtype=pl.Boolean)


# --- identifiers (IIN, BIN) typed as numbers ------------------------------------------------

IDENTIFIER_DIGITS = 12
# Excel keeps a number, not the text: '012345678901' becomes 12345678901 (11 digits; 9 or 10 for
# IINs of people born in 2000), and exports write it as '12345678901.0' or '1.23456789012E+11'.
_SHORT = rf"^\d{{9,{IDENTIFIER_DIGITS - 1}}}$"
_WHOLE_DECIMAL = r"^(\d+)[.,]0+$"
_SCIENTIFIC = r"^(\d+)(?:[.,](\d*))?[eE]\+?(\d+)$"
# Any of the three shapes above (what a number looks like once it was an Excel number).
_RESTORABLE = "|".join((_SHORT, _WHOLE_DECIMAL, _SCIENTIFIC))
_RESTORED = "__restored_"
ZERO_RESTORED = "leading zero restored: the cell was stored as a number"
DIGITS_RESTORED = (
    "digits restored from a number in decimal or scientific notation: "
    "the cell was stored as a number"
)
BOTH_RESTORED = (
    "leading zero and digits restored from a number in decimal or scientific notation: "
    "the cell was stored as a number"
)


def restored_flag(name: str) -> str:
    """Column holding which restoring `name`'s cell needed (NULL: none; dropped after use)."""
    return _RESTORED + name


def _from_number(s: pl.Expr) -> pl.Expr:
    """'12345678901.0' / '1.23456789012E+11' -> '12345678901' / '123456789012'; NULL for any
    text that is not a whole number in those notations (or too long to be an identifier)."""
    whole = s.str.extract(_WHOLE_DECIMAL, 1)
    parts = s.str.extract_groups(_SCIENTIFIC)
    head, tail = parts.struct.field("1"), parts.struct.field("2").fill_null("")
    shift = parts.struct.field("3").cast(pl.Int64, strict=False) - tail.str.len_chars()
    mantissa = head + tail
    width = mantissa.str.len_chars() + shift
    # Exact digits only: a negative shift would leave a fraction, and no identifier is longer.
    sci = pl.when((shift >= 0) & (width <= IDENTIFIER_DIGITS + 3)).then(
        mantissa.str.pad_end(width.clip(0, IDENTIFIER_DIGITS + 3), "0").str.strip_chars_start("0")
    )
    return pl.coalesce(whole, sci)


def identifier_check(name: str) -> pl.Expr:
    """Fast path: flag a cell shaped like a number that lost digits (only then is restoring
    run: its expressions cost milliseconds a column, this check microseconds)."""
    return pl.col(name).str.strip_chars().str.contains(_RESTORABLE).alias(restored_flag(name))


def identifier_columns(name: str) -> list[pl.Expr]:
    """The identifier text with its digits restored, and what was restored (NULL: nothing).

    Vectorised text work; a cell typed as text ('012345678901', '860101 300011') is left exactly
    as written.
    """
    raw = pl.col(name)
    s = raw.str.strip_chars()
    number = _from_number(s)
    digits = pl.coalesce(number, s)
    short = digits.str.contains(_SHORT)
    restored = pl.when(short).then(digits.str.zfill(IDENTIFIER_DIGITS)).otherwise(digits)
    changed = number.is_not_null() | short
    kind = (
        pl.when(number.is_not_null() & short)
        .then(pl.lit(BOTH_RESTORED))
        .when(short)
        .then(pl.lit(ZERO_RESTORED))
        .when(number.is_not_null())
        .then(pl.lit(DIGITS_RESTORED))
    )
    return [
        pl.when(changed).then(restored).otherwise(raw).alias(name),
        kind.alias(restored_flag(name)),
    ]


def restore_identifiers(typed: pl.DataFrame, names: list[str], sheet: str) -> pl.DataFrame:
    """Restore the digits of the identifier columns the fast check flagged (in place in `typed`,
    flags dropped); one issue per restored cell. The value is never shown: an IIN is personal,
    and the restored digits are in the row itself."""
    frames = []
    for name in names:
        flagged = typed.get_column(restored_flag(name)).any()
        typed.drop_in_place(restored_flag(name))
        if not flagged:
            continue
        fixed, kinds = typed.select(identifier_columns(name)).get_columns()
        typed.replace_column(typed.get_column_index(name), fixed)
        restored = kinds.is_not_null()
        rows = typed.get_column(ROW).filter(restored)
        n = rows.len()
        found = pl.DataFrame(
            {
                "sheet": [sheet] * n,
                "row_number": rows.cast(pl.Int64),
                "field": [name] * n,
                "problem": kinds.drop_nulls(),
                "value": [None] * n,
            },
            schema=ISSUE_SCHEMA,
        )
        frames.append(keyed(found, typed, restored))
    return pl.concat(frames) if frames else empty_issues()


def flag(name: str) -> str:
    """Column holding 'the cell had text but did not coerce' for `name` (dropped after use)."""
    return _BAD + name


def typed_columns(columns: tuple[Column, ...], formats: dict[str, str | None]) -> list[pl.Expr]:
    """Fast typed expression plus failure flag for every non-text contract column.

    Meant for one `with_columns` over the text frame (every cell String, blanks NULL): all
    expressions read the text columns before any is replaced. `formats` holds, per date and
    datetime column, the format of its first value (see sample_format), or None.
    """
    exprs: list[pl.Expr] = []
    for c in columns:
        if c.type not in _PROBLEMS:
            continue
        s = pl.col(c.name).str.strip_chars()
        typed = (
            _boolean(pl.col(c.name)) if c.type == "boolean" else _fast(c, s, formats.get(c.name))
        )
        exprs.append(typed.cast(POLARS_TYPES[c.type]).alias(c.name))
        exprs.append((pl.col(c.name).is_not_null() & typed.is_null()).alias(flag(c.name)))
    return exprs


def retype(text: pl.DataFrame, failing: list[Column]) -> list[pl.Series]:
    """Typed columns and flags again with every accepted format, for columns whose fast path
    failed on some cell (a second date spelling in a column, '12.0', an Excel serial)."""
    exprs: list[pl.Expr] = []
    for c in failing:
        s = pl.col(c.name).str.strip_chars()
        typed = _boolean(pl.col(c.name)) if c.type == "boolean" else _FULL[c.type](s)
        exprs.append(typed.cast(POLARS_TYPES[c.type]).alias(c.name))
        exprs.append((pl.col(c.name).is_not_null() & typed.is_null()).alias(flag(c.name)))
    return text.select(exprs).get_columns()


def issues(
    text: pl.DataFrame, typed: pl.DataFrame, failing: list[Column], sheet: str
) -> pl.DataFrame:
    """One issue per cell that had text but no value of its type (value shown unless IIN)."""
    frames = []
    for c in failing:
        mask = typed.get_column(flag(c.name))
        if not mask.any():
            continue
        rows = text.filter(mask)
        n = rows.height
        found = pl.DataFrame(
            {
                "sheet": [sheet] * n,
                "row_number": rows.get_column(ROW).cast(pl.Int64),
                "field": [c.name] * n,
                "problem": [_PROBLEMS[c.type]] * n,
                # An IIN column is never typed, but keep the rule in one place anyway.
                "value": [None] * n if c.pii else rows.get_column(c.name),
            },
            schema=ISSUE_SCHEMA,
        )
        frames.append(keyed(found, text, mask))
    return pl.concat(frames) if frames else empty_issues()
