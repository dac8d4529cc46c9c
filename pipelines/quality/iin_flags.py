"""Frame columns that turn the ingest's masked IINs into findings.

The ingest replaced every IIN outside the IIN column by IIN_MASK (pipelines/ingest/masking.py).
Where it did, the data-quality step reports it, per row:

- `iin_outside_iin_column`: the text columns (string or code, not BIN) of the row that held an
  IIN, e.g. "gender" when the ИИН and Пол headers are swapped, "college_name" when someone typed
  an IIN into the name (identifiers.iin_outside_iin_column; the finding's value names the
  columns, the IIN itself is gone);
- `<bin column>_holds_iin`: the masked value when a BIN column held a person's IIN
  (identifiers.iin_in_bin_column, field = that column).
"""

from __future__ import annotations

from pipelines.contracts import Column, Sheet, load_contract
from pipelines.identifiers import IIN_MASK

TEXT_FLAG = "iin_outside_iin_column"
TEXT_RULE = "identifiers.iin_outside_iin_column"
BIN_RULE = "identifiers.iin_in_bin_column"


def bin_flag(column: str) -> str:
    return f"{column}_holds_iin"


def text_columns(sheet: Sheet) -> list[Column]:
    return [c for c in sheet.columns if c.type in ("string", "code") and not c.pii and not c.is_bin]


def bin_columns(sheet: Sheet) -> list[Column]:
    return [c for c in sheet.columns if c.is_bin]


def _sheet(frame: str) -> Sheet | None:
    """The contract sheet of a row frame (`<source>.<sheet>`); None for other frames."""
    source, _, part = frame.partition(".")
    return next((s for s in load_contract(source).sheets if s.name == part), None)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def with_flags(frame: str, sql: str, present: list[str]) -> str:
    """The frame's query with the flag columns added, computed by DuckDB over the columns the
    frame has (`present`): vectorised, so a national frame costs milliseconds, not seconds."""
    sheet = _sheet(frame)
    if sheet is None:
        return sql
    mask = _literal(IIN_MASK)
    texts = [c.name for c in text_columns(sheet) if c.name in present]
    hits = ", ".join(f'case when contains("{n}", {mask}) then {_literal(n)} end' for n in texts)
    flags = [f"nullif(concat_ws(', ', {hits}), '') as {TEXT_FLAG}" if texts else
             f"cast(null as varchar) as {TEXT_FLAG}"]  # fmt: skip
    flags += [
        f'case when contains("{c.name}", {mask}) then "{c.name}" end as {bin_flag(c.name)}'
        for c in bin_columns(sheet)
        if c.name in present
    ]
    return f"select *, {', '.join(flags)} from ({sql})"
