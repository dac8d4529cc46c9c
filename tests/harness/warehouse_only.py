"""`python -m harness.warehouse_only ARGS…`: `edustat ARGS…` whose `run` leaves out the yearbook
and publish runs (pipelines/assets/plan.py), for a test that only reads the warehouse.

Everything up to the marts and the DQ packs runs exactly as in `edustat run`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import Definitions

from harness import edustat_main
from pipelines.assets import plan
from pipelines.assets.publish import GROUP as PUBLISH_GROUP

_LEFT_OUT = {"yearbook", PUBLISH_GROUP}


def main(args: list[str]) -> None:
    original = plan.plan_runs

    def plan_runs(defs: Definitions, landing: Path) -> list[plan.PlannedRun]:
        graph = defs.resolve_asset_graph()
        return [
            p
            for p in original(defs, landing)
            if not p.asset_keys or {graph.get(k).group_name for k in p.asset_keys} - _LEFT_OUT
        ]

    plan.plan_runs = plan_runs  # type: ignore[assignment]
    edustat_main(args)


if __name__ == "__main__":
    main(sys.argv[1:])
