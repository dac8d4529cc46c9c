"""The registry row of a file version and the lineage columns of its rows: built where the file is
parsed (a worker process, pipelines/ingest/prepare.py), written by the writer (writer.py). Kept
apart from the writer so that the workers do not import it, and with it pyarrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from pipelines.identifiers import mask_iins
from pipelines.ingest.readers import ParsedFile


@dataclass(frozen=True)
class Registration:
    """The registry row of one file version (docs/ARCHITECTURE.md, raw.landing_files)."""

    file_id: str
    path: str
    source: str | None
    partition_key: str | None
    sha256: str
    size_bytes: int
    status: str
    reason: str | None = None
    reason_rule: str | None = None
    reason_kk: str | None = None
    reason_ru: str | None = None
    reason_sheet: str | None = None
    reason_field: str | None = None
    college_bin: str | None = None
    name_round_id: str | None = None
    header_college_bin: str | None = None
    header_round_id: str | None = None
    signed_at: datetime | None = None
    version: int | None = None
    is_present: bool = True


# Registry fields written by people (a file name, what the header says) and the reasons quoting
# them: any IIN in them is masked. Never the digests and ids: a hex digest can hold 12 digits in
# a row that look like an IIN, and it must stay the file's digest.
_FREE_TEXT = frozenset(
    {"path", "reason", "reason_kk", "reason_ru", "college_bin", "name_round_id",
     "header_college_bin", "header_round_id"}
)  # fmt: skip


def masked_field(field: str, value: object) -> object:
    """A registry field as written: IINs masked in the free-text ones."""
    return mask_iins(value) if field in _FREE_TEXT and isinstance(value, str) else value


def utc_now() -> datetime:
    """Naive UTC, the convention of every TIMESTAMP the ingest writes."""
    return datetime.now(UTC).replace(tzinfo=None)


def lineage(reg: Registration, sheet: str) -> tuple[tuple[str, str | None], ...]:
    """The lineage columns of a sheet's rows but `_loaded_at` (set at commit), with values."""
    return (
        ("_file_id", reg.file_id),
        ("_file_path", mask_iins(reg.path)),
        ("_file_sha256", reg.sha256),
        ("_sheet", sheet),
        ("_partition", reg.partition_key),
    )


def add_lineage(parsed: ParsedFile, reg: Registration) -> None:
    """Append the lineage columns (all but `_loaded_at`, set at commit) to every sheet frame.

    Runs in the reader's worker thread, in place, with direct column operations: the single
    writer thread then only converts and inserts. Spilled rows get theirs as they are inserted.
    """
    for ps in parsed.sheets:
        n = ps.frame.height
        values = lineage(reg, ps.sheet.name)
        ps.frame.hstack(
            [pl.Series(name, [v], dtype=pl.String).new_from_index(0, n) for name, v in values],
            in_place=True,
        )
