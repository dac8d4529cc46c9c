"""The data-quality step (group `quality`): asset `dq_findings` with one asset check per suite.

It runs between the two dbt steps (pipelines/assets/warehouse.py): after `dbt_staging` has built
staging and the `dq_prep` frames, it validates them with the committed suites
(pipelines/quality/runner.py), writes `dq.findings`, and decides which NOBD version of each
college and round is current (a version with a hold finding is `held_back`). `dbt_marts` reads
`dq.findings` through the dbt source whose asset key is `dq_findings`, so Dagster runs the marts
after this step.

Check semantics (docs/STACK.md trap 9): bad data is routed to the regions, it is not a pipeline
failure, so a suite with failing rows is a failed check of severity WARN. An expectation that
could not be evaluated (GX `exception_info`) is a broken rule, never "bad data": its check fails
with severity ERROR and, the checks being blocking, the run fails and the marts are not rebuilt.
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource
from duckdb import DuckDBPyConnection

from pipelines.quality.frames import (
    FILES_VIEW,
    ROW_FRAMES,
    SCHEMA,
    SUBMISSION_FRAMES,
)
from pipelines.settings import DQ_MEMORY_LIMIT, EXPECTATIONS_DIR, duckdb_memory_limit

DQ_FINDINGS = AssetKey(["dq_findings"])
# What the step reads: the dq_prep views (built by dbt_staging from the staging models) and the
# registry it updates. dbt asset keys are `<schema>/<model>`.
DEPS = [
    *(
        AssetKey([SCHEMA, view])
        for view in (*ROW_FRAMES.values(), *SUBMISSION_FRAMES.values(), FILES_VIEW)
    ),
    AssetKey(["raw", "landing_files"]),
]
# Suite names from the committed files (no GX import at code-location load).
SUITES = sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))


def check_name(suite: str) -> str:
    """Dagster names allow [A-Za-z0-9_]: `nobd_submission.domain` -> `nobd_submission__domain`."""
    return suite.replace(".", "__")


@contextmanager
def _capped_connection(duckdb: DuckDBResource) -> Iterator[DuckDBPyConnection]:
    """A warehouse connection under the step's own memory cap (settings.DQ_MEMORY_LIMIT)."""
    with duckdb.get_connection() as con:
        con.execute(f"SET memory_limit = '{duckdb_memory_limit(DQ_MEMORY_LIMIT)}'")
        yield con


@asset(
    key=DQ_FINDINGS,
    group_name="quality",
    deps=DEPS,
    kinds={"duckdb", "pandas"},
    check_specs=[
        AssetCheckSpec(
            check_name(suite),
            asset=DQ_FINDINGS,
            blocking=True,
            description=f"Expectation suite expectations/{suite}.json",
        )
        for suite in SUITES
    ],
    description=(
        "Validate every current submission with the GX suites in expectations/ (files whose "
        "rows did not change keep their findings), write dq.findings (replaced per run), hold "
        "back NOBD submissions that cannot be trusted and decide which version of each is current."
    ),
)
def dq_findings(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    from pipelines.quality import runner  # lazy: keeps the code location import fast

    outcome = runner.run(partial(_capped_connection, duckdb))
    by_rule: dict[str, int] = {}
    checks = []
    for name in SUITES:
        suite = outcome.suites[name]
        by_rule.update(suite.failing_rows)
        if suite.errors:
            for error in suite.errors:
                context.log.error(f"{name}: {error}")
            severity = AssetCheckSeverity.ERROR
        else:
            severity = AssetCheckSeverity.WARN
        checks.append(
            AssetCheckResult(
                check_name=check_name(name),
                asset_key=DQ_FINDINGS,
                passed=suite.passed,
                severity=severity,
                metadata={
                    "expectations": suite.expectations,
                    "failing_rows": sum(suite.failing_rows.values()),
                    "failing_rows_by_rule": MetadataValue.json(
                        dict(sorted(suite.failing_rows.items()))
                    ),
                    "errored_expectations": MetadataValue.json(suite.errors),
                },
            )
        )
    context.log.info(
        f"{outcome.findings} findings; {outcome.held_back} submissions held back "
        f"({outcome.newly_held_back} newly, {outcome.released} released)"
    )
    return MaterializeResult(
        metadata={
            "findings": outcome.findings,
            "findings_by_rule": MetadataValue.json(dict(sorted(by_rule.items()))),
            "held_back_submissions": outcome.held_back,
            "newly_held_back": outcome.newly_held_back,
            "released": outcome.released,
            "rows_validated": outcome.rows_validated,
            "rows_reused": outcome.rows_reused,
            "timings_s": MetadataValue.json({k: round(v, 3) for k, v in outcome.timings.items()}),
        },
        check_results=checks,
    )


assets = [dq_findings]
