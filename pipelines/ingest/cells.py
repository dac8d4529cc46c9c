"""The shared shape of a sheet before it meets the contract, and the rejection a reader raises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl

from pipelines.contracts import normalise_label
from pipelines.identifiers import mask_iins

ROW = "_row_number"
# Which sheet of which file a row came from, while the sheets of several files are typed in one
# query (pipelines/ingest/readers.py); never written.
PART = "_part"
# Runs of 6+ digits in texts we echo back (a header cell, a sheet name) are masked: if a file has
# no header row, its "headers" are data and could be an IIN.
_LONG_DIGITS = re.compile(r"\d{6,}")
# Excel names a copied sheet 'Обучающиеся (2)': the same sheet, spelled with a copy number.
_COPY_NUMBER = re.compile(r"\s*\(\d+\)$")
# A sheet (XLSX) or section (CSV) larger than this is read, typed and written in row chunks of
# about this size, so that the ingest's memory is bounded by a chunk, not by the largest file:
# the cells of a sheet take ~2x its XML in calamine and its typed rows far less. Smaller ones,
# the common case, are one chunk.
CHUNK_BYTES = 32_000_000
# The first chunk holds at least this many rows: the header row is looked for among the top 50,
# and the date formats sampled in the 50 below it (pipelines/ingest/readers.py).
HEAD_ROWS = 100


def safe_text(text: object) -> str:
    return _LONG_DIGITS.sub(lambda m: "*" * len(m.group()), str(text))


def sheet_key(label: object) -> str:
    """A sheet or section name as matched against the contract's sheet spellings."""
    return normalise_label(_COPY_NUMBER.sub("", normalise_label(label)))


@dataclass(frozen=True)
class CellSheet:
    """One sheet (XLSX) or section (CSV) as text cells.

    `frame` has String columns `c0..cN` in file order (header row included, not yet recognised)
    and `_row_number` (any integer type): the row as a person sees it (Excel row, or CSV
    physical line). A sheet larger than a chunk has its first chunk of rows in `frame` and the
    others in `rest`, read one at a time as it is consumed (same columns, `cN` the same column
    of the sheet in every chunk, possibly fewer of them).
    """

    label: str
    frame: pl.DataFrame
    rest: Iterator[pl.DataFrame] = field(default_factory=lambda: iter(()))


class Unchunkable(Exception):
    """A sheet whose rows cannot be cut into chunks that read exactly as the whole sheet would
    (rows without numbers, out of order...): it is read whole instead."""


class Rejected(Exception):
    """A file that cannot be read. `rule` is a structure.* rule id from ARCHITECTURE.md.

    The message names file, sheet, row and field where they apply, never a cell value: it ends up
    in the registry, logs and Dagster events, and a value could be an IIN. `kk` and `ru` are the
    same detail in Kazakh and Russian, for the clerk who has to fix the file (the registry's
    `reason_kk` / `reason_ru`); without them the reason exists in English only. `sheet` and
    `field` are the contract's names of the sheet and column the rule is about, where it names
    one (the registry's `reason_sheet` / `reason_field`, the finding's sheet and field).
    """

    def __init__(
        self,
        rule: str,
        path: str,
        detail: str,
        kk: str | None = None,
        ru: str | None = None,
        sheet: str | None = None,
        field: str | None = None,
    ) -> None:
        self.rule = rule
        self.sheet = sheet
        self.field = field
        # The path may hold an IIN (a stray 'справка_<IIN>.pdf'): masked like any text.
        path, detail = mask_iins(path), mask_iins(detail)
        self.reason = f"{rule}: {path}: {detail}"
        self.reason_kk = f"{path}: {mask_iins(kk)}" if kk else None
        self.reason_ru = f"{path}: {mask_iins(ru)}" if ru else None
        # args = the constructor's arguments, positionally, so the exception pickles back from a
        # worker process (pickle calls the class with `args`; keywords would be lost).
        super().__init__(rule, path, detail, kk, ru, sheet, field)

    def __str__(self) -> str:
        return self.reason


def is_blank(df: pl.DataFrame) -> bool:
    """No cell of the frame holds anything but whitespace."""
    cols = [c for c in df.columns if c != ROW]
    if not cols or df.height == 0:
        return True
    return not df.select(pl.any_horizontal(pl.col(cols).str.strip_chars().ne("")).any()).item()


def numbered(df: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """Name columns c0..cN and add `_row_number` = first_row, first_row + 1, ...

    Direct frame operations, not a polars query: each query costs a fixed overhead that, at
    ~25 queries per file, used to cost more than calamine's parsing itself.
    """
    df.columns = [f"c{i}" for i in range(df.width)]
    return df.with_row_index(ROW, offset=first_row)


def string_frame(rows: list[list[str | None]], row_numbers: list[int]) -> pl.DataFrame:
    """Ragged Python rows -> a rectangular String frame (used only on fallback paths)."""
    width = max((len(r) for r in rows), default=0)
    cols = {f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(width)}
    df = pl.DataFrame(cols, schema={k: pl.String for k in cols})
    return df.with_columns(pl.Series(ROW, row_numbers, dtype=pl.Int64))
