"""`edustat bench`: the pipeline at national scale against the raw floor and a naive loader.

Data is generated once per (scale, seed) under EDUSTAT_HOME/bench/data/ and reused; results go
to the terminal and to EDUSTAT_HOME/bench/latest.json. See pipelines/bench/runner.py.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Annotated

import typer

from pipelines.settings import Home


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    scale: Annotated[
        str,
        typer.Option(help="national (~800 colleges, ~500k students/round), sample or a number."),
    ] = "national",
    runs: Annotated[int, typer.Option(min=1, help="Measured rounds (median, min, max).")] = 3,
    seed: Annotated[int, typer.Option(help="Generator seed (the dataset cache key).")] = 42,
    skip_scaling: Annotated[
        bool, typer.Option("--skip-scaling", help="Skip the 4× colleges run.")
    ] = False,
    code: Annotated[
        str,
        typer.Option(
            help="head: measure the committed HEAD (exported once, immune to edits during the "
            "bench); worktree: the checkout as it is, uncommitted edits included."
        ),
    ] = "head",
    timeout: Annotated[
        float, typer.Option(help="Seconds before a measured process is killed.")
    ] = 3600.0,
    large_rows: Annotated[
        int,
        typer.Option(
            min=1, help="Rows of the one-large-file measure's students sheet (generated once)."
        ),
    ] = 1_000_000,
) -> None:
    """Measure ingest, dbt, checks, reports, yearbook and the whole `edustat run` (cold and
    unchanged) against the raw read floor and a pandas+openpyxl loader; print PASS/MISS per
    target and write EDUSTAT_HOME/bench/latest.json."""
    from rich.console import Console

    from pipelines.bench.runner import BenchOptions, print_report, run_bench
    from pipelines.bench.source import MODES
    from pipelines.demo.config import parse_scale

    try:
        parse_scale(scale)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--scale") from e
    if code not in MODES:
        raise typer.BadParameter(f"one of {', '.join(MODES)}", param_hint="--code")
    # A bench stopped with SIGTERM must stop the `edustat run` it measures (own session) too.
    signal.signal(signal.SIGTERM, _interrupt)
    console = Console()
    options = BenchOptions(
        scale, runs, seed, skip_scaling, timeout, code=code, large_rows=large_rows
    )
    result = run_bench(Home.from_env(), options, console)
    print_report(result, console)
