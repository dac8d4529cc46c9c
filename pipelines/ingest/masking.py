"""No IIN outside the IIN column: every text cell a sheet writes to the raw layer is masked.

The IIN column itself never reaches the warehouse (pseudonym.py hashes it). An IIN can still be
typed anywhere else: a name or position field, a BIN column, a cell of a CIS skill, or a whole
column when two headers are swapped (ИИН ↔ Пол). Each text cell holding an IIN-shaped number
(pipelines.identifiers.mask_iins: valid check digit, 5th digit not a BIN's 4-6) is replaced by
the masked form, and a load issue names the row and field (never the value). The data-quality
step then reports the masked cells as findings (identifiers.iin_outside_iin_column,
identifiers.iin_in_bin_column).

Cost: one polars query per sheet finds the few columns with candidates (12 digits); only their
candidate cells are checked in Python. A BIN column's plain BINs are not candidates.
"""

from __future__ import annotations

import polars as pl

from pipelines.identifiers import CANDIDATE_PATTERN, mask_iins
from pipelines.ingest.cells import PART, ROW
from pipelines.ingest.coerce import ISSUE_SCHEMA

MASKED_PROBLEM = "IIN-shaped number masked (an IIN outside the IIN column)"
# A cell that is exactly a BIN (5th digit 4-6) needs no Python look: the common case of BIN
# columns, where every row holds 12 digits.
_PLAIN_BIN = r"^\s*\d{4}[456]\d{7}\s*$"


def _text_columns(frame: pl.DataFrame) -> list[str]:
    return [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String and not name.endswith("_hash") and not name.startswith("_")
    ]


def _candidate(name: str) -> pl.Expr:
    col = pl.col(name)
    return col.str.contains(CANDIDATE_PATTERN) & ~col.str.contains(_PLAIN_BIN)


def mask_frame(frame: pl.DataFrame, sheet: str) -> pl.DataFrame:
    """Mask IINs in every text column of `frame` in place; returns the load issues (one per
    masked cell, value NULL)."""
    columns = _text_columns(frame)
    if not columns or frame.height == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    has = frame.select(_candidate(c).any().alias(c) for c in columns).row(0, named=True)
    issues: list[dict[str, object]] = []
    rows = frame.get_column(ROW).to_list() if ROW in frame.columns else [None] * frame.height
    # Sheets of several files typed together carry the part each row came from (readers.py).
    parts = frame.get_column(PART).to_list() if PART in frame.columns else None
    for name in (c for c in columns if has[c]):
        values = frame.get_column(name).to_list()
        masked = [None if v is None else mask_iins(v) for v in values]
        changed = [i for i, (a, b) in enumerate(zip(values, masked, strict=True)) if a != b]
        if not changed:
            continue
        frame.replace_column(frame.get_column_index(name), pl.Series(name, masked, dtype=pl.String))
        issues += [
            {"sheet": sheet, "row_number": rows[i], "field": name, "problem": MASKED_PROBLEM,
             "value": None} | ({PART: parts[i]} if parts is not None else {})
            for i in changed
        ]  # fmt: skip
    schema = ISSUE_SCHEMA | ({PART: frame.schema[PART]} if parts is not None else {})
    return pl.DataFrame(issues, schema=schema)


def mask_issue_values(issues: pl.DataFrame) -> pl.DataFrame:
    """Load issues echo the cell that did not coerce (a date cell holding an IIN, say)."""
    if issues.height == 0:
        return issues
    return issues.with_columns(
        pl.col(c).map_elements(mask_iins, return_dtype=pl.String)
        for c in ("sheet", "field", "problem", "value")
        if c in issues.columns
    )
