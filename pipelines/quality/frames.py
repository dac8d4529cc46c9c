"""The frames the suites validate: one DuckDB query per frame, each a dbt view in `dq_prep`
(dbt_project/models/validation/), read whole into pandas.

A frame holds every current submission of every round at once, with the submission key
(`_file_id`) and the row (`_row_number`) as columns, so GX runs once per frame, never per file.
Besides the contract columns each frame has `_college_bin`, the college a finding is about.

Memory: every expectation in the suites is row-wise (the rules that look across rows, such as
duplicates across colleges or the change against the previous round, are columns computed by the
dbt views), so a frame can be validated in chunks of rows with the same findings. The row frames
are copied to an Arrow IPC file under a short-lived connection (no writer lock held while GX works)
and read back CHUNK_ROWS rows at a time: the DQ step's memory is bounded by the chunk, not by the
size of the country. Arrow both ways, not Parquet: at national scale encoding and decoding Parquet
and DuckDB's own conversion to pandas cost more than the queries themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.contracts import all_contracts
from pipelines.identifiers import IIN_MASK, is_valid
from pipelines.quality.iin_flags import with_flags

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

SCHEMA = "dq_prep"
CHUNK_ROWS = 100 * 2048  # rows validated at once (a multiple of DuckDB's 2,048-row vector)
# Rows per Arrow batch while spilling: DuckDB's larger batches raise the step's peak memory
# (national students frame: 765 MB at CHUNK_ROWS, 645 MB at this size) at no gain in speed.
SPILL_BATCH_ROWS = 8 * 2048
DIGEST = "_row_digest"  # a spilled row's hash, for reuse.py
Digests = dict[str, tuple[int, int]]  # file id -> (rows, XOR of the rows' hashes)

# Frame name (`<source>.<sheet>`, `<source>.submissions`, `<source>.files`) -> dbt view. Every
# contract sheet has a row frame, the view `dq_frame_<raw table>`; submission frames are the
# rules of one source.
ROW_FRAMES: dict[str, str] = {
    f"{source}.{sheet.name}": f"dq_frame_{sheet.raw_table}"
    for source, contract in all_contracts().items()
    for sheet in contract.sheets
}
SUBMISSION_FRAMES: dict[str, str] = {
    "nobd_submission.submissions": "dq_frame_nobd_submissions",
}
FILES_VIEW = "dq_frame_files"  # one view for all sources, filtered by `_source`

# Check-digit flags GX cannot compute (mod 11): frame -> {flag column: BIN column}. NULL where the
# BIN is empty, so only domain.required_value / logic rules speak about an empty cell.
BIN_FLAGS: dict[str, dict[str, str]] = {
    "nobd_submission.header": {"college_bin_valid": "college_bin"},
    "nobd_submission.students": {"enterprise_bin_valid": "enterprise_bin"},
}


def frame_name(source: str, level: str, sheet: str | None) -> str:
    """Which frame an expectation runs on, from its suite's source and its meta."""
    if level == "file":
        return f"{source}.files"
    if level == "submission":
        return f"{source}.submissions"
    return f"{source}.{sheet}"


def frame_sql(name: str) -> tuple[str, list[str]]:
    source, _, part = name.partition(".")
    if part == "files":
        return f"select * from {SCHEMA}.{FILES_VIEW} where _source = ?", [source]
    view = ROW_FRAMES.get(name) or SUBMISSION_FRAMES.get(name)
    if view is None:
        raise KeyError(f"no frame {name!r}: add a dq_prep view and register it in frames.py")
    return f"select * from {SCHEMA}.{view}", []


def _flagged_sql(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, list[str]]:
    """frame_sql plus the masked-IIN flags (iin_flags.py) over the columns the frame has."""
    sql, params = frame_sql(name)
    present = [d[0] for d in con.execute(f"select * from ({sql}) limit 0", params).description]
    return with_flags(name, sql, present), params


def read_frame(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """One query, whole frame, plus the flags computed in Python."""
    sql, params = _flagged_sql(con, name)
    return prepare(name, con.sql(sql, params=params or None).to_arrow_table())


def spill_frame(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> Digests:
    """Write the frame to an Arrow IPC file, batch by batch (one batch held in Python at a time),
    each row with its DuckDB hash (DIGEST); returns each file's row count and the XOR of its rows'
    hashes (reuse.py: which files' findings can be reused), summed up as the batches pass."""
    import pyarrow as pa

    sql, params = _flagged_sql(con, name)
    digested = f"select frame_row.*, hash(frame_row) as {DIGEST} from ({sql}) as frame_row"
    batches = con.sql(digested, params=params or None).to_arrow_reader(SPILL_BATCH_ROWS)
    digests: Digests = {}
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batches.schema) as out:
        for batch in batches:
            out.write_batch(batch)
            _add_digests(digests, batch)
    return digests


def _add_digests(digests: Digests, batch: pa.RecordBatch) -> None:
    """Fold one batch's rows into their files' (rows, XOR of hashes)."""
    import numpy as np
    import pyarrow.compute as pc

    files = pc.dictionary_encode(batch["_file_id"])
    codes = files.indices.to_numpy()
    xor = np.zeros(len(files.dictionary), dtype=np.uint64)
    np.bitwise_xor.at(xor, codes, batch[DIGEST].to_numpy())
    counts = np.bincount(codes, minlength=len(files.dictionary))
    for file_id, n, x in zip(files.dictionary.to_pylist(), counts, xor, strict=True):
        rows, digest = digests.get(file_id, (0, 0))
        digests[file_id] = (rows + int(n), digest ^ int(x))


def frame_chunks(
    name: str, path: Path, rows: int | None = None, files: set[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The spilled frame in chunks of `rows` (CHUNK_ROWS), typed as read_frame types a frame;
    only the rows of `files` when given."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = rows or CHUNK_ROWS
    wanted = None if files is None else pa.array(sorted(files), pa.string())
    # Read, not memory-mapped: mapped pages would stay resident until the file is closed.
    with pa.OSFile(str(path)) as source:
        spilled = pa.ipc.open_file(source)
        # Every validation run costs the same set-up whatever its size: the spilled batches are
        # joined into chunks of exactly `rows`.
        pending: list[pa.RecordBatch] = []
        size = 0
        for i in range(spilled.num_record_batches):
            batch = spilled.get_batch(i).drop_columns([DIGEST])
            if wanted is not None:
                batch = batch.filter(pc.is_in(batch["_file_id"], value_set=wanted))
            pending.append(batch)
            size += batch.num_rows
            while size >= rows:
                table = pa.Table.from_batches(pending)
                yield prepare(name, table.slice(0, rows))
                rest = table.slice(rows)
                pending, size = rest.to_batches(), rest.num_rows
        if size:
            yield prepare(name, pa.Table.from_batches(pending))


def prepare(name: str, data: pa.Table) -> pd.DataFrame:
    """Arrow -> the pandas frame GX validates, with the BIN flags."""
    df = _pandas(data)
    for flag, column in BIN_FLAGS.get(name, {}).items():
        df[flag] = _bin_flags(df[column])
    return df


def _pandas(data: pa.Table) -> pd.DataFrame:
    """Column by column, typed for GX's pandas engine (as DuckDB's own `.df()` types them, but
    strings as categoricals and nullable integers as float64):
    - strings: GX filters the whole frame for every expectation (domain, row condition), and a
      boolean take on Arrow-backed strings dominated validation at national scale; categorical
      codes are cheap to take and GX's set/null checks work on them unchanged. Encoded by Arrow,
      which costs a fraction of pandas' `astype("category")`.
    - integers with NULLs: GX's pandas "between" falls back to a Python function per value for
      extension dtypes (nullable Int64), ~4x slower at 10^6 rows; float64 with NaN is exact for
      counts < 2^53 (Arrow's own conversion).
    - booleans with NULLs: pandas' nullable boolean, not Arrow's default object column.
    - dates: datetime64[us], as DuckDB gives them.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    columns: dict[str, Any] = {}
    for column, values in zip(data.column_names, data.columns, strict=True):
        kind = values.type
        if (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_string_view(kind)
        ):
            columns[column] = pc.dictionary_encode(values).to_pandas()
        elif pa.types.is_boolean(kind) and values.null_count:
            columns[column] = pd.BooleanDtype().__from_arrow__(values)
        elif pa.types.is_date(kind):
            columns[column] = pc.cast(values, pa.timestamp("us")).to_pandas()
        else:
            columns[column] = values.to_pandas()
    return pd.DataFrame(columns, index=pd.RangeIndex(data.num_rows), copy=False)


def _bin_flags(values: pd.Series) -> pd.Series:
    import pandas as pd

    # Few distinct BINs (colleges, enterprises): check each once, then map.
    # A masked IIN is no BIN with a wrong check digit: identifiers.iin_in_bin_column says it.
    checked: dict[str, bool | None] = {
        v: None if IIN_MASK in v else is_valid(v) for v in values.dropna().unique()
    }
    flag: Callable[[object], object] = checked.get
    return values.map(flag).astype("boolean").where(values.notna(), pd.NA)
