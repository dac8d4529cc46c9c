"""`edustat demo-data`: write deterministic sample landing files and their ground-truth manifest.

OUT/landing/ receives the files (nobd/, passports/, worldskills/), OUT/manifest.json what the
pipeline must find in them. The generator itself lives in pipelines/demo/.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from pipelines.demo.config import Options
    from pipelines.demo.generate import Summary

MANIFEST = "manifest.json"
LANDING_DIRS = ("nobd", "passports", "worldskills", "responses")


def register(app: typer.Typer) -> None:
    app.command("demo-data")(demo_data)
    app.command("demo-answers")(demo_answers)


def demo_answers(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="A home built from demo data (its packs and manifest); default EDUSTAT_HOME.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same answers.")] = 42,
) -> None:
    """Answer the built packs as the regions would (with defective answers among them): the
    returned workbooks go to landing/responses/<round>/, the expected outcome of every answer
    and the state of every finding to manifest.json. `edustat run` then ingests them."""
    from pipelines.demo.answers import answer_packs
    from pipelines.settings import Home

    where = (home or Home.from_env().root).resolve()
    if not (where / MANIFEST).exists() or not (where / "warehouse.duckdb").exists():
        raise typer.BadParameter(
            f"{where} has no manifest.json or no warehouse: run `edustat demo-data` and "
            "`edustat run` first",
            param_hint="--home",
        )
    truth = answer_packs(where, seed)
    outcomes: dict[str, int] = {}
    for row in truth["rows"]:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    typer.echo(
        f"wrote {len(truth['files'])} answer files under {where / 'landing' / 'responses'}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + " answer rows expected"
    )


def demo_data(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Target folder: files go to OUT/landing/, the truth to OUT/manifest.json."
        ),
    ],
    scale: Annotated[
        str,
        typer.Option(
            help="sample (~100 colleges), national (~800 colleges, ~500k students per round) "
            "or a number of colleges."
        ),
    ] = "sample",
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 42,
    years: Annotated[
        str, typer.Option(help="Academic years A-B: A-(A+1) … B-(B+1), two rounds each.")
    ] = "2022-2024",
    skip_if_present: Annotated[
        bool, typer.Option("--skip-if-present", help="Do nothing when OUT/manifest.json exists.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace OUT/landing/{nobd,passports,worldskills} and the manifest."
        ),
    ] = False,
    jobs: Annotated[
        int, typer.Option(help="Writer processes (0 = automatic: a pool only for large rounds).")
    ] = 0,
) -> None:
    """Generate sample NOBD submissions, college passports and WorldSkills exports with defects
    injected at known rates, plus OUT/manifest.json with the expected findings and figures."""
    from pipelines.demo.config import Options, parse_scale, parse_years

    out = out.resolve()
    if skip_if_present and (out / MANIFEST).exists():
        typer.echo(f"demo data already present: {out / MANIFEST} (skipped)")
        return
    try:
        scale_name, n_colleges = parse_scale(scale)
        first, last = parse_years(years)
        options = Options(seed, n_colleges, scale_name, first, last, jobs)
        _check_calendar(first, last)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    _prepare(out, force)
    from pipelines.cli.home_check import mark_home

    mark_home(out, "edustat demo-data")  # a home made on purpose, even before its first run
    started = time.perf_counter()
    summary = _run(out, options)
    elapsed = time.perf_counter() - started
    typer.echo(
        f"wrote {summary.files} files ({summary.bytes / 1e6:.1f} MB) for {summary.colleges} "
        f"colleges, rounds {summary.rounds[0]} … {summary.rounds[-1]}, in {elapsed:.1f} s"
    )
    typer.echo("submissions: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items())))
    typer.echo(f"landing:  {out / 'landing'}\nmanifest: {summary.manifest}")


def _check_calendar(first: int, last: int) -> None:
    from pipelines.reference import calendar, rounds_of_years

    have = {r.year for r in rounds_of_years(first, last)}
    missing = [y for y in range(first, last + 1) if y not in have]
    if missing:
        known = sorted({r.year for r in calendar().values()})
        raise ValueError(
            f"--years: no rounds in sources/reference/calendar.csv for academic year(s) "
            f"{', '.join(f'{y}-{y + 1}' for y in missing)} (known: {known[0]}-{known[-1]})"
        )


def _prepare(out: Path, force: bool) -> None:
    """Never mix a new run with files of an older one (the manifest must list exactly the files
    in landing/); --force removes only what the generator writes."""
    landing = out / "landing"
    existing = [landing / d for d in LANDING_DIRS if (landing / d).is_dir()]
    existing = [d for d in existing if any(d.iterdir())]
    if (existing or (out / MANIFEST).exists()) and not force:
        raise typer.BadParameter(
            f"{out} already holds landing files or a manifest; use --force to replace them "
            "or --skip-if-present to keep them",
            param_hint="--out",
        )
    for d in existing:
        shutil.rmtree(d)
    (out / MANIFEST).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def _run(out: Path, options: Options) -> Summary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipelines.demo.generate import generate

    columns = (
        TextColumn("{task.description:<30}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # No auto-refresh thread: the writer pool forks, and forking next to a running thread can
    # deadlock the child.
    with Progress(*columns, auto_refresh=False) as bar:
        return generate(out, options, _Bar(bar, bar.add_task("planning", total=None)))


class _Bar:
    """pipelines.demo.generate.Reporter on a rich progress bar."""

    def __init__(self, bar: Any, task: Any) -> None:
        self.bar, self.task = bar, task

    def total(self, files: int) -> None:
        self.bar.update(self.task, total=files)
        self.bar.refresh()

    def stage(self, text: str) -> None:
        self.bar.update(self.task, description=text)
        self.bar.refresh()

    def written(self, path: str) -> None:
        self.bar.advance(self.task, 1)
        self.bar.refresh()
