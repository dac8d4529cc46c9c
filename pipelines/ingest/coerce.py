"""Vectorised type coercion of text cells to contract types (polars, no per-row Python).

Every cell arrives as text (the XLSX reader asks calamine for strings, the CSV reader reads
strings), so one code path handles both formats. A cell that cannot be coerced becomes NULL and
is reported as an issue; it never rejects the file (that is for the data-quality rules to judge).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.contracts import Column, boolean_spellings, common, normalise_label

# Spaces that appear as thousands separators: normal, non-breaking, narrow non-breaking, thin.
_SPACES = r"[\s\u00a0\u202f\u2009]"
# Excel's day zero (the 1900 leap-year bug makes 1899-12-30, not 12-31, the epoch that works).
_EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers of 1900-01-01 .. 9999-12-31: anything else is not an Excel date.
_EXCEL_SERIAL_MAX = 2_958_465
# calamine renders date-formatted cells as ISO text; accept those besides the contract formats.
_ISO_DATETIME = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f")

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

ISSUE_SCHEMA = {
    "sheet": pl.String,
    "row_number": pl.Int64,
    "field": pl.String,
    "problem": pl.String,
    "value": pl.String,
}


def empty_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def _number_text(s: pl.Expr) -> pl.Expr:
    """'1 234,5' -> '1234.5': drop space separators, decimal comma to point."""
    return s.str.replace_all(_SPACES, "").str.replace(",", ".", literal=True)


def _integer(s: pl.Expr) -> pl.Expr:
    text = _number_text(s)
    as_float = text.cast(pl.Float64, strict=False)
    # '12.0' (how calamine renders a whole number typed as float) is an integer; '12.5' is not.
    whole = pl.when(as_float.is_finite() & (as_float == as_float.round(0))).then(as_float)
    return pl.coalesce(text.cast(pl.Int64, strict=False), whole.cast(pl.Int64, strict=False))


def _decimal(s: pl.Expr) -> pl.Expr:
    out = _number_text(s).cast(pl.Float64, strict=False)
    return pl.when(out.is_finite()).then(out)


def _excel_serial(s: pl.Expr) -> pl.Expr:
    """Days since 1899-12-30 as a float, for cells typed as plain numbers in a date column."""
    serial = s.cast(pl.Float64, strict=False)
    return pl.when((serial >= 1) & (serial <= _EXCEL_SERIAL_MAX)).then(serial)


def _datetime(s: pl.Expr) -> pl.Expr:
    fmts = list(dict.fromkeys([*common()["datetime_formats"], *_ISO_DATETIME]))
    parsed = [s.str.to_datetime(f, strict=False, time_unit="us") for f in fmts]
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
    parsed += [s.str.to_datetime(f, strict=False).dt.date() for f in _ISO_DATETIME]
    serial = _excel_serial(s)
    from_serial = pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial.floor().cast(pl.Int64))
    return pl.coalesce(*parsed, from_serial)


def _boolean(series: pl.Series) -> pl.Series:
    # Few distinct spellings per column: normalise them in Python with the contract's own
    # normalise_label (exactly the matching rule the generator uses), then map back vectorised.
    spellings = boolean_spellings()
    mapping = {v: spellings.get(normalise_label(v)) for v in series.drop_nulls().unique().to_list()}
    return series.replace_strict(mapping, default=None, return_dtype=pl.Boolean)


_EXPR_COERCERS: dict[str, tuple[Callable[[pl.Expr], pl.Expr], str]] = {
    "integer": (_integer, "not an integer"),
    "decimal": (_decimal, "not a number"),
    "date": (_date, "not a date"),
    "datetime": (_datetime, "not a date-time"),
}


@dataclass(frozen=True)
class Coerced:
    frame: pl.DataFrame
    issues: pl.DataFrame  # ISSUE_SCHEMA


def coerce(df: pl.DataFrame, columns: tuple[Column, ...], sheet: str) -> Coerced:
    """Type the text columns of `df` (named by contract column) per contract; keep `_row_number`.

    Blank cells (empty or whitespace only) are NULL for every type. `string`/`code` keep the
    text exactly as written otherwise: spelling normalisation is staging's job.
    """
    blanked = df.with_columns(
        pl.when(pl.col(c.name).str.strip_chars() == "")
        .then(None)
        .otherwise(pl.col(c.name))
        .alias(c.name)
        for c in columns
    )
    exprs: list[pl.Expr] = []
    for c in columns:
        if c.type in _EXPR_COERCERS:
            fn, _ = _EXPR_COERCERS[c.type]
            exprs.append(fn(pl.col(c.name).str.strip_chars()).alias(c.name))
    typed = blanked.with_columns(exprs) if exprs else blanked
    bools = [c for c in columns if c.type == "boolean"]
    if bools:
        typed = typed.with_columns(
            _boolean(blanked.get_column(c.name)).alias(c.name) for c in bools
        )
    typed = typed.with_columns(pl.col(c.name).cast(POLARS_TYPES[c.type]) for c in columns)
    return Coerced(typed, _issues(blanked, typed, columns, sheet))


def _issues(
    before: pl.DataFrame, after: pl.DataFrame, columns: tuple[Column, ...], sheet: str
) -> pl.DataFrame:
    frames = []
    for c in columns:
        if c.type not in _EXPR_COERCERS and c.type != "boolean":
            continue
        failed = before.get_column(c.name).is_not_null() & after.get_column(c.name).is_null()
        if not failed.any():
            continue
        problem = "not a boolean" if c.type == "boolean" else _EXPR_COERCERS[c.type][1]
        rows = before.filter(failed)
        frames.append(
            pl.DataFrame(
                {
                    "sheet": pl.Series([sheet] * rows.height, dtype=pl.String),
                    "row_number": rows.get_column("_row_number"),
                    "field": pl.Series([c.name] * rows.height, dtype=pl.String),
                    "problem": pl.Series([problem] * rows.height, dtype=pl.String),
                    # An IIN column is never coerced, but keep the rule in one place anyway.
                    "value": None if c.pii else rows.get_column(c.name),
                },
                schema=ISSUE_SCHEMA,
            )
        )
    return pl.concat(frames) if frames else empty_issues()
