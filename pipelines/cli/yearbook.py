"""`edustat yearbook`: build the statistical yearbook (TVET chapter) of an academic year.

Reads the warehouse read-only (or a published copy with --warehouse) and writes
$EDUSTAT_HOME/yearbook/<academic_year>/<release>/. The Dagster asset `yearbook` does the same per
partition; this command is for a statistician who wants the book now, without the UI.

No failure shows a Python traceback: a year that cannot be built is named with the error, the
traceback goes to logs/edustat-yearbook.log, the other years are still built, and the command
exits 1 (a yearbook that fails on a warehouse the pipeline built is a fault of the code).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

EXIT_FAILED = 1
EXIT_NO_DATA = 2
EXIT_LOCKED = 3
YEARBOOK_LOG = "edustat-yearbook.log"


def register(app: typer.Typer) -> None:
    @app.command("yearbook")
    def yearbook(
        year: Annotated[
            list[str] | None,
            typer.Option(
                "--year",
                "-y",
                help="Academic year, e.g. 2024-2025 (repeat for several).",
            ),
        ] = None,
        all_years: Annotated[
            bool, typer.Option("--all", help="Every academic year with data in the warehouse.")
        ] = False,
        warehouse: Annotated[
            Path | None,
            typer.Option(
                help="DuckDB file to read (default $EDUSTAT_HOME/warehouse.duckdb); "
                "e.g. published/current/warehouse.duckdb while a run holds the warehouse.",
            ),
        ] = None,
        rerender: Annotated[
            bool,
            typer.Option(
                help="When the figures are unchanged, re-render the latest release in place "
                "(wording or layout fixes) instead of reporting 'no changes'.",
            ),
        ] = False,
        sequential: Annotated[
            bool, typer.Option(help="Render the two languages one after the other.")
        ] = False,
    ) -> None:
        """Build the yearbook (XLSX, kk/ru PDF and HTML); a new release only if figures changed."""
        import duckdb

        from pipelines.cli.run import report_crash
        from pipelines.settings import Home
        from pipelines.yearbook import build, years

        home = Home.from_env()
        path = warehouse or home.warehouse
        failed: list[str] = []
        if not path.exists():
            typer.echo(f"no warehouse at {path}: run `edustat run` first", err=True)
            raise typer.Exit(EXIT_NO_DATA)
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                available = years.years_with_data(con)
                wanted = available if all_years else list(year or [])
                if not wanted:
                    typer.echo("give --year YYYY-YYYY or --all", err=True)
                    raise typer.Exit(EXIT_NO_DATA)
                missing = [y for y in wanted if y not in available]
                if missing:
                    typer.echo(
                        f"no data for {', '.join(missing)} in {path} "
                        f"(years with data: {', '.join(available) or 'none'})",
                        err=True,
                    )
                    raise typer.Exit(EXIT_NO_DATA)
                books = []
                for y in wanted:
                    started = time.perf_counter()
                    try:
                        books.append((build.extract(y, con=con), time.perf_counter() - started))
                    except Exception as exc:
                        failed.append(y)
                        report_crash(home, f"edustat yearbook {y}", exc, YEARBOOK_LOG)
        except duckdb.IOException as exc:
            typer.echo(
                f"cannot read {path}: {exc}\n"
                "A pipeline run holds the warehouse; wait for it, or pass "
                "--warehouse $EDUSTAT_HOME/published/current/warehouse.duckdb",
                err=True,
            )
            raise typer.Exit(EXIT_LOCKED) from exc
        except duckdb.Error as exc:  # e.g. a warehouse whose build stopped before the marts
            raise typer.Exit(report_crash(home, "edustat yearbook", exc, YEARBOOK_LOG)) from None
        # The connection is closed before rendering: a run may want the warehouse meanwhile.
        for book, extract_s in books:
            try:
                result = build.publish_book(
                    book, home, rerender=rerender, parallel=not sequential, extract_s=extract_s
                )
            except Exception as exc:
                failed.append(book.academic_year)
                report_crash(home, f"edustat yearbook {book.academic_year}", exc, YEARBOOK_LOG)
                continue
            typer.echo(result.summary())
            spent = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
            typer.echo(f"  {spent}")
        if failed:
            typer.echo(
                f"yearbook not built for {', '.join(failed)}: see {home.logs / YEARBOOK_LOG}",
                err=True,
            )
            raise typer.Exit(EXIT_FAILED)
