"""`python -m harness.pause_in_transaction N MARKER ARGS…`: `edustat ARGS…` whose ingest stops
inside an open transaction once N batches are committed.

The next batch's writer (pipelines/ingest/writer.py `FileWriter`) inserts its first sheet table,
then MARKER is written (with this process's pid) and the process sleeps with the transaction
open, for the test to kill -9 it there. Commits are counted across every writer of the process,
so the pause comes after N committed batches (N files at least) whatever the partition.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from harness import edustat_main
from pipelines.ingest import writer
from pipelines.ingest.schema import ISSUES_TABLE, REGISTRY_TABLE, SCHEMA

_NOT_SHEETS = (f"{SCHEMA}.{REGISTRY_TABLE}", f"{SCHEMA}.{ISSUES_TABLE}")


class _Pausing:
    """The writer's connection: statements pass through; the pause comes after the first
    INSERT into a sheet table once enough COMMITs have gone by."""

    commits = 0  # class-wide: every writer of the process

    def __init__(self, con: duckdb.DuckDBPyConnection, after: int, marker: Path) -> None:
        self._con, self._after, self._marker = con, after, marker

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        result = self._con.execute(sql, *args, **kwargs)
        statement = " ".join(sql.split()).upper()
        if statement.startswith("COMMIT"):
            _Pausing.commits += 1
        elif (
            _Pausing.commits >= self._after
            and statement.startswith(f"INSERT INTO {SCHEMA.upper()}.")
            and not statement.startswith(tuple(f"INSERT INTO {t.upper()} " for t in _NOT_SHEETS))
        ):
            self._marker.write_text(str(os.getpid()))
            print(f"paused inside a transaction (pid {os.getpid()})", file=sys.stderr, flush=True)
            time.sleep(3600)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main(argv: list[str]) -> None:
    after, marker, *args = argv
    original = writer.FileWriter.__init__

    def init(self: writer.FileWriter, con: duckdb.DuckDBPyConnection) -> None:
        original(self, _Pausing(con, int(after), Path(marker)))  # type: ignore[arg-type]

    writer.FileWriter.__init__ = init  # type: ignore[method-assign]
    edustat_main(args)


if __name__ == "__main__":
    main(sys.argv[1:])
