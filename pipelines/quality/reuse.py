"""Findings of unchanged files, reused: a row or file frame is validated again only for the files
whose rows changed since the last run.

Every expectation is row-wise (frames.py), so the findings a file gets from a row- or file-level
frame are a function of that file's frame rows, the suites, the contracts (which IIN columns are
masked) and the code that turns results into findings. For each frame and file the step keeps the
row count and an order-independent digest of the rows it validated (the XOR of DuckDB's row hashes,
frames.spill_frame) and the findings they gave. The next run validates only the files whose count
or digest differs (a resubmission, or a file whose cross-file columns moved: a duplicate in another
college, the previous round's figure) and takes the others' findings as they were, so its findings
equal a validation of everything (tests/test_yearbook.py compares every mart with a build from
scratch). The key covers the suites, the contracts, this package's code and DuckDB's version (its
hash function): a change in any of them validates everything again. Dropping `dq.validated_files`
does the same by hand.

The submission frame (one row per NOBD version, re-read while statuses settle) is always validated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import identifiers
from pipelines.contracts import CONTRACTS_DIR
from pipelines.digests import add_tree
from pipelines.quality.frames import Digests
from pipelines.settings import EXPECTATIONS_DIR

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

FILES_TABLE = "dq.validated_files"
FINDINGS_TABLE = "dq.validated_findings"


def validation_key() -> str:
    """What the reused findings depend on besides the rows themselves."""
    import duckdb

    digest = hashlib.sha256(f"duckdb {duckdb.__version__}\0".encode())
    for root in (EXPECTATIONS_DIR, CONTRACTS_DIR, Path(__file__).parent):
        add_tree(digest, root, root.parent, skip={"__pycache__"})
    digest.update(Path(identifiers.__file__).read_bytes())  # IIN masks and BIN check digits
    return digest.hexdigest()


@dataclass
class Validated:
    """What the last run validated under the same key: digests by frame, and their findings."""

    digests: dict[str, Digests]
    findings: pd.DataFrame  # `frame` plus the runner's finding columns

    def changed(self, frame: str, digests: Digests) -> set[str]:
        """The files of `frame` to validate: new, or with other rows than last time."""
        before = self.digests.get(frame, {})
        return {file_id for file_id, d in digests.items() if before.get(file_id) != d}

    def reused(self, frame: str, files: set[str]) -> pd.DataFrame:
        """The findings `frame` gave these files last time."""
        rows = self.findings.loc[
            (self.findings["frame"] == frame) & self.findings["file_id"].isin(files)
        ]
        return rows.reset_index(drop=True)


def load(con: duckdb.DuckDBPyConnection, key: str) -> Validated:
    """The last run's digests and findings; none when its key differs or it kept none."""
    import pandas as pd

    empty = Validated({}, pd.DataFrame({"frame": [], "file_id": []}))
    present = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database()"
        ).fetchall()
    }
    if not {FILES_TABLE, FINDINGS_TABLE} <= present:
        return empty
    digests: dict[str, Digests] = {}
    rows = con.execute(
        f"select frame, file_id, rows, digest from {FILES_TABLE} where validation_key = ?", [key]
    ).fetchall()
    if not rows:
        return empty
    for frame, file_id, n, digest in rows:
        digests.setdefault(frame, {})[file_id] = (int(n), int(digest))
    return Validated(digests, con.sql(f"select * from {FINDINGS_TABLE}").df())


def save(
    con: duckdb.DuckDBPyConnection,
    key: str,
    digests: dict[str, Digests],
    findings: pd.DataFrame,
) -> None:
    """Replace what is kept with this run's digests and findings (inside the step's transaction)."""
    import pandas as pd

    files = pd.DataFrame(
        [
            (frame, file_id, n, digest)
            for frame, by_file in digests.items()
            for file_id, (n, digest) in by_file.items()
        ],
        columns=["frame", "file_id", "rows", "digest"],
    ).astype({"rows": "int64", "digest": "uint64"})
    kept = findings.astype({c: "object" for c in findings.columns if c != "row_number"})
    con.register("_validated_files", files)
    con.register("_validated_findings", kept)
    try:
        con.execute(
            f"create or replace table {FILES_TABLE} as "
            "select ?::varchar as validation_key, frame::varchar as frame, "
            "file_id::varchar as file_id, rows, digest from _validated_files",
            [key],
        )
        con.execute(
            f"create or replace table {FINDINGS_TABLE} as select "
            "cast(columns(* exclude (row_number)) as varchar), row_number::double as row_number "
            "from _validated_findings"
        )
    finally:
        con.unregister("_validated_files")
        con.unregister("_validated_findings")


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Keep nothing: the next run validates everything (after an expectation errored)."""
    con.execute(f"drop table if exists {FILES_TABLE}")
    con.execute(f"drop table if exists {FINDINGS_TABLE}")
