"""The frames the suites validate: one DuckDB query per frame, each a dbt view in `dq_prep`
(dbt_project/models/validation/), read whole into pandas.

A frame holds every current submission of every round at once, with the submission key
(`_file_id`) and the row (`_row_number`) as columns, so GX runs once per frame, never per file.
Besides the contract columns each frame has `_college_bin`, the college a finding is about.

Memory: every expectation in the suites is row-wise (the rules that look across rows, such as
duplicates across colleges or the change against the previous round, are columns computed by the
dbt views), so a frame can be validated in chunks of rows with the same findings. The row frames
are copied to a Parquet file under a short-lived connection (no writer lock held while GX works)
and read back CHUNK_ROWS rows at a time: the DQ step's memory is bounded by the chunk, not by the
size of the country.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.contracts import all_contracts
from pipelines.identifiers import IIN_MASK, is_valid
from pipelines.quality.iin_flags import with_flags

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

SCHEMA = "dq_prep"
CHUNK_ROWS = 100 * 2048  # rows validated at once (a multiple of DuckDB's 2,048-row vector)

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
    df = con.execute(sql, params).df() if params else con.sql(sql).df()
    return prepare(name, df)


def spill_frame(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    """Write the frame to a Parquet file (DuckDB streams it; nothing is held in Python)."""
    sql, params = _flagged_sql(con, name)
    # COPY takes no parameters; the one parameter is a source name from the suites (frame_name).
    for value in params:
        sql = sql.replace("?", "'" + str(value).replace("'", "''") + "'", 1)
    con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")


def frame_chunks(name: str, path: Path, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """The spilled frame in chunks of `rows` (CHUNK_ROWS), typed as read_frame types a frame."""
    import duckdb

    rows = rows or CHUNK_ROWS

    with duckdb.connect() as mem:  # in memory: the warehouse stays free for other writers
        result = mem.execute("SELECT * FROM read_parquet(?)", [str(path)])
        while True:
            chunk = result.fetch_df_chunk(rows // 2048)
            if chunk.empty:
                return
            yield prepare(name, chunk)


def prepare(name: str, df: pd.DataFrame) -> pd.DataFrame:
    # GX's pandas "between" falls back to a Python function per value for extension dtypes
    # (nullable Int64): ~4x slower at 10^6 rows. float64 with NaN is exact for counts < 2^53.
    # GX filters the whole frame for every expectation (domain, row condition); a boolean take on
    # pyarrow-backed strings dominated validation at national scale. Categorical codes are
    # cheap to take and GX's set/null checks work on them unchanged.
    for col in df.columns:
        dtype = str(df[col].dtype)
        if dtype == "Int64":
            df[col] = df[col].astype("float64")
        elif dtype == "str":
            df[col] = df[col].astype("category")
    for flag, column in BIN_FLAGS.get(name, {}).items():
        df[flag] = _bin_flags(df[column])
    return df


def _bin_flags(values: pd.Series) -> pd.Series:
    import pandas as pd

    # Few distinct BINs (colleges, enterprises): check each once, then map.
    # A masked IIN is no BIN with a wrong check digit: identifiers.iin_in_bin_column says it.
    checked: dict[str, bool | None] = {
        v: None if IIN_MASK in v else is_valid(v) for v in values.dropna().unique()
    }
    flag: Callable[[object], object] = checked.get
    return values.map(flag).astype("boolean").where(values.notna(), pd.NA)
