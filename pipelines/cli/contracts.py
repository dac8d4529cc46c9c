"""`edustat contracts`: render what is generated from the source contracts.

From sources/contracts/*.yml: the readable Markdown (docs/contracts/), dbt's `raw` sources
(pipelines/dbt_sources.py), the contract wording in the `dim_label` seed
(pipelines/contract_labels.py) and the expectation suites (pipelines/quality/build_suites.py). After
adding or changing a contract, run it and commit what it wrote; `--check` writes nothing and exits
1 while any of them differs from what the contracts give (CI, tests/test_contracts.py).
"""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("contracts")
    def contracts(
        check: Annotated[
            bool, typer.Option("--check", help="Write nothing; exit 1 when a file is stale.")
        ] = False,
    ) -> None:
        """Render sources/contracts/*.yml into docs, dbt's raw sources, labels and the suites."""
        from pipelines import contract_labels, dbt_sources
        from pipelines.contract_docs import stale_docs, write_docs
        from pipelines.quality import build_suites

        if check:
            stale = [*stale_docs(), *dbt_sources.stale()]
            if not contract_labels.is_current():
                stale.append(contract_labels.PATH)
            for path in stale:
                typer.echo(f"stale: {path}", err=True)
            suites_code = build_suites.main(["--check"])
            if stale or suites_code:
                raise typer.Exit(1)
            return
        for path in write_docs():
            typer.echo(f"wrote {path}")
        for path in dbt_sources.write():
            typer.echo(f"wrote {path}")
        if contract_labels.write():
            typer.echo(f"wrote {contract_labels.PATH}")
        build_suites.main([])
