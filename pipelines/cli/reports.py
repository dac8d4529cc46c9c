"""`edustat reports`: build the DQ report packs (reports/dq/<round>/<region>/) from the warehouse.

Errors a user can fix (no warehouse yet, unknown round or region, a run holding the warehouse)
are printed in Kazakh, Russian and English with exit code 2, never as a traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer

EXIT_NOTHING_TO_REPORT = 2


def register(app: typer.Typer) -> None:
    @app.command("reports")
    def reports(
        round_id: Annotated[
            str | None,
            typer.Option(
                "--round", help="Collection round, e.g. 2024-autumn (default: every round)."
            ),
        ] = None,
        region: Annotated[
            str | None,
            typer.Option(
                help="KATO region code, e.g. 75, or 'national' (default: all + national)."
            ),
        ] = None,
    ) -> None:
        """Write the kk/ru data-quality packs (XLSX + HTML) per region and the national overview."""
        from pipelines.reports.build import build_packs
        from pipelines.reports.load import UnknownSelection, WarehouseNotReady
        from pipelines.settings import Home

        home = Home.from_env()
        try:
            summary = build_packs(home, round_id=round_id, region=region)
        except (WarehouseNotReady, UnknownSelection) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(EXIT_NOTHING_TO_REPORT) from None

        for pack in summary.packs:
            typer.echo(
                f"{pack.round_id:<12} {pack.region_code:<9} colleges={pack.colleges:<4} "
                f"findings={pack.findings:<5} {pack.path}"
            )
        typer.echo(
            f"{len(summary.packs)} packs for {len(summary.rounds)} round(s): "
            f"read {summary.seconds_reading:.2f} s, wrote {summary.seconds_writing:.2f} s"
        )
