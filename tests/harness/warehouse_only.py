"""`python -m harness.warehouse_only ARGS…`: `edustat ARGS…` whose `run` leaves out the yearbook
and publish runs (pipelines/assets/jobs.py `run_order`), for a test that only reads the warehouse.

Everything up to the marts and the DQ packs runs exactly as in `edustat run`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import edustat_main
from pipelines.assets import jobs

_LEFT_OUT = {jobs.yearbook_job.name, jobs.publish_job.name}


def main(args: list[str]) -> None:
    original = jobs.run_order

    def run_order(
        landing: Path, ingest: set[tuple[str, str]] | None = None
    ) -> list[jobs.PlannedRun]:
        return [p for p in original(landing, ingest) if p.job_name not in _LEFT_OUT]

    jobs.run_order = run_order  # type: ignore[assignment]
    edustat_main(args)


if __name__ == "__main__":
    main(sys.argv[1:])
