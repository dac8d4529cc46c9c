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

from typing import TYPE_CHECKING

from pipelines.contracts import Column, Sheet, load_contract
from pipelines.identifiers import IIN_MASK

if TYPE_CHECKING:
    import pandas as pd

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


def add_flags(frame: str, df: pd.DataFrame) -> None:
    """Add the flag columns to a chunk of a row frame, in place (before strings become
    categories). Rows with a masked cell are rare: only they are joined in Python."""
    sheet = _sheet(frame)
    if sheet is None:
        return
    import pandas as pd

    hits = {
        c.name: df[c.name].astype("string").str.contains(IIN_MASK, regex=False).fillna(False)
        for c in text_columns(sheet)
        if c.name in df.columns
    }
    flag = pd.Series(pd.NA, index=df.index, dtype="string")
    if hits:
        any_hit = pd.concat(hits.values(), axis=1).any(axis=1)
        for i in any_hit[any_hit].index:
            flag.at[i] = ", ".join(name for name, hit in hits.items() if hit.at[i])
    df[TEXT_FLAG] = flag
    for c in bin_columns(sheet):
        if c.name in df.columns:
            values = df[c.name].astype("string")
            hit = values.str.contains(IIN_MASK, regex=False).fillna(False)
            df[bin_flag(c.name)] = values.where(hit, pd.NA)
