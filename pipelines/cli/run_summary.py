"""The end of `edustat run`: what is loaded, what the run made and where, and what to do next.

Printed to the screen and written to the run's log in the same words (`Say`), so the log says
what the operator saw.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.cli.count_table import count_table
from pipelines.cli.words import say
from pipelines.contracts import source_order
from pipelines.settings import Home

STATUSES = ("loaded", "held_back", "rejected", "superseded")


log = logging.getLogger("edustat.run")


@dataclass
class Say:
    """One line to the console and the same text to the run's log."""

    console: Console

    def __call__(self, text: str, style: str | None = None) -> None:
        shown = f"[{style}]{escape(text)}[/{style}]" if style else escape(text)
        self.console.print(shown, highlight=False, soft_wrap=True)
        log.info("%s", text)


def files_table(
    counts: dict[str, Counter[str]], this_run: dict[str, Counter[str]], lang: str
) -> Table:
    table = count_table(
        say("files_title", lang),
        say("source", lang),
        [say(col, lang) for col in (*STATUSES, "new", "unchanged")],
    )
    for source in source_order(set(counts) | set(this_run)):
        c, r = counts.get(source, Counter()), this_run.get(source, Counter())
        table.add_row(
            say(source, lang),
            *(str(c[s]) for s in STATUSES),
            str(r["loaded"] + r["rejected"]),
            str(r["skipped"]),
        )
    return table


def log_table(counts: dict[str, Counter[str]], this_run: dict[str, Counter[str]]) -> None:
    """The files table in the log, one line per source."""
    for source in source_order(set(counts) | set(this_run)):
        c, r = counts.get(source, Counter()), this_run.get(source, Counter())
        statuses = ", ".join(f"{s} {c[s]}" for s in STATUSES)
        log.info("%s: %s; new %d, unchanged %d", source, statuses, r["loaded"] + r["rejected"],
                 r["skipped"])  # fmt: skip


def current_outputs(home: Home) -> dict[str, list[Path]]:
    """Where the warehouse's products are now, whichever run made them."""
    out: dict[str, list[Path]] = {}
    current = home.published / "current"
    if current.exists():
        out["made_snapshot"] = [current.resolve()]
    packs = home.reports / "dq"
    if packs.is_dir() and any(packs.iterdir()):
        out["made_packs"] = [packs]
    books = home.root / "yearbook"
    if books.is_dir():
        # yearbook/<academic year>/<release>/, `latest` pointing at the newest release
        latest = [
            (year / "latest").resolve()
            if (year / "latest").exists()
            else max((r for r in year.iterdir() if r.is_dir()), key=lambda r: r.name, default=None)
            for year in sorted(books.iterdir())
            if year.is_dir()
        ]
        if any(latest):
            out["made_yearbook"] = [p for p in latest if p is not None]
    return out


def _shown(path: Path) -> str:
    """A path as short as it can be said: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _national_pack(packs: Path, lang: str) -> Path | None:
    """The newest round's national report, in the operator's language (ru for en)."""
    from pipelines.cli.status import round_order

    rounds = sorted((p for p in packs.iterdir() if p.is_dir()), key=lambda p: round_order(p.name))
    for rnd in reversed(rounds):
        national = rnd / "national"
        if national.is_dir():
            report = national / f"report_{'kk' if lang == 'kk' else 'ru'}.html"
            reports = [report] if report.exists() else sorted(national.glob("*.html"))
            return reports[0] if reports else national
    return None


def print_outputs(
    say_line: Say, home: Home, logs_folder: Path, lang: str, built: bool = True
) -> None:
    """What is there to look at (made by this run, or by the last build), and the commands that
    open it."""
    outputs = current_outputs(home)
    say_line(say("made_title" if built else "current_title", lang), "bold")
    for key in ("made_snapshot", "made_packs", "made_yearbook"):
        for path in outputs.get(key, []):
            say_line(f"  {say(key, lang):<20} {_shown(path)}")
    say_line(f"  {say('made_logs', lang):<20} {_shown(logs_folder)}")
    prefix = ""
    if os.environ.get("EDUSTAT_HOME"):
        prefix = f"EDUSTAT_HOME={_shown(home.root)} "
    say_line(say("next_title", lang), "bold")
    commands = [
        ("next_query", f'{prefix}edustat sql "SELECT * FROM marts.fct_indicator_values LIMIT 10"'),
        ("next_status", f"{prefix}edustat status"),
    ]
    pack = _national_pack(outputs["made_packs"][0], lang) if "made_packs" in outputs else None
    if pack is not None:
        commands.append(("next_packs", f"xdg-open {_shown(pack)}"))
    commands.append(("next_ui", f"{prefix}edustat ui"))
    for key, command in commands:
        say_line(f"  {say(key, lang):<20} {command}")
