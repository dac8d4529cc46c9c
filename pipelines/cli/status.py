"""`edustat status`: what the warehouse holds now, for the operator, in kk, ru or en.

- rounds and years loaded, files by status per source (the file registry);
- per round: expected colleges, on time, late, missing, held back, an earlier version kept
  because a correction is held, corrected after the due date (marts.fct_dq_submission_status),
  and the first few missing and held-back colleges by name;
- the last build (logs/last-build/edustat-run.json: when, commit, how long, which steps);
- the current published snapshot (published/current/snapshot.json);
- whether landing/ holds anything not built yet (pipelines/assets/landing_state.py).

Reads the warehouse read-only; while a run holds its writer lock, the published snapshot instead
(it is a copy of the warehouse as the last build left it), and says so.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.markup import escape

from pipelines.cli.count_table import count_table
from pipelines.cli.home_check import HomeProblem, check_home, refuse
from pipelines.cli.run_logs import last_build
from pipelines.cli.words import cli_lang
from pipelines.contracts import all_contracts, source_order
from pipelines.settings import Home

STATUSES = ("loaded", "held_back", "rejected", "superseded")
_MAX_NAMED = 5

# What this command says; source and status names come from pipelines/cli/words.py.
TEXT: dict[str, dict[str, str]] = {
    "title": {"kk": "edustat күйі", "ru": "Состояние edustat", "en": "edustat status"},
    "from_snapshot": {
        "kk": "Қойманы іске қосу жазып жатыр: деректер соңғы жарияланған көшірмеден",
        "ru": "Хранилище сейчас записывается: данные из последней опубликованной копии",
        "en": "A run is writing the warehouse: figures from the last published snapshot",
    },
    "no_warehouse": {
        "kk": "Қойма әлі жоқ: `edustat run` іске қосыңыз",
        "ru": "Хранилища ещё нет: запустите `edustat run`",
        "en": "No warehouse yet: run `edustat run`",
    },
    "loaded_periods": {"kk": "Жүктелген кезеңдер", "ru": "Загружено", "en": "Loaded"},
    "rounds": {"kk": "жинау кезеңдері", "ru": "периоды сбора", "en": "rounds"},
    "years": {"kk": "жылдар", "ru": "годы", "en": "years"},
    "files": {"kk": "Файлдар", "ru": "Файлы", "en": "Files"},
    "colleges": {
        "kk": "Кезеңдер бойынша колледждер",
        "ru": "Колледжи по периодам сбора",
        "en": "Colleges per round",
    },
    "round": {"kk": "кезең", "ru": "период", "en": "round"},
    "expected": {"kk": "тиіс", "ru": "должны", "en": "expected"},
    "on_time": {"kk": "мерзімінде", "ru": "в срок", "en": "on time"},
    "late": {"kk": "кешікті", "ru": "с опозданием", "en": "late"},
    "missing": {"kk": "тапсырмады", "ru": "не сдали", "en": "missing"},
    "held_back": {"kk": "ұсталды", "ru": "задержаны", "en": "held back"},
    "previous_current": {
        "kk": "алдыңғы нұсқа",
        "ru": "пред. версия",
        "en": "earlier version kept",
    },
    "corrected_late": {
        "kk": "мерзімнен кейін түзетілді",
        "ru": "исправлено после срока",
        "en": "corrected after due",
    },
    "missing_list": {"kk": "Тапсырмағандар", "ru": "Не сдали", "en": "Missing"},
    "held_list": {"kk": "Ұсталғандар", "ru": "Задержаны", "en": "Held back"},
    "and_more": {"kk": "тағы {n}", "ru": "ещё {n}", "en": "{n} more"},
    "last_build": {"kk": "Соңғы құрастыру", "ru": "Последняя сборка", "en": "Last build"},
    "no_build": {
        "kk": "журналы жоқ (`edustat run`)",
        "ru": "журнала нет (`edustat run`)",
        "en": "no log kept (`edustat run`)",
    },
    "ok": {"kk": "сәтті", "ru": "успешно", "en": "succeeded"},
    "failed": {"kk": "қатемен аяқталды", "ru": "завершилась с ошибкой", "en": "failed"},
    "commit": {"kk": "код", "ru": "код", "en": "commit"},
    "took": {"kk": "ұзақтығы", "ru": "длилась", "en": "took"},
    "steps": {"kk": "қадамдар", "ru": "шаги", "en": "steps"},
    "published": {
        "kk": "Жарияланған көшірме",
        "ru": "Опубликованная копия",
        "en": "Published snapshot",
    },
    "nothing_published": {
        "kk": "әлі ештеңе жарияланбаған",
        "ru": "ещё ничего не опубликовано",
        "en": "nothing published yet",
    },
    "tables": {"kk": "кесте", "ru": "таблиц", "en": "tables"},
    "landing": {"kk": "landing/ қалтасы", "ru": "Папка landing/", "en": "landing/"},
    "landing_clean": {
        "kk": "барлық файл тізілімде; жаңа құрастыру қажет емес",
        "ru": "все файлы в реестре; новая сборка не нужна",
        "en": "every file is in the registry; nothing waits for a build",
    },
    "landing_pending": {
        "kk": "{n} файл әлі жүктелмеген ({groups}): `edustat run`",
        "ru": "{n} файл(ов) ещё не загружено ({groups}): `edustat run`",
        "en": "{n} file(s) not loaded yet ({groups}): `edustat run`",
    },
    "landing_gone": {
        "kk": "{n} ағымдағы файл landing/ ішінде жоқ: `edustat run`",
        "ru": "{n} текущих файл(ов) нет в landing/: `edustat run`",
        "en": "{n} current file(s) no longer under landing/: `edustat run`",
    },
    "landing_unbuilt": {
        "kk": "файлдар жүктелген, бірақ қойма әлі қайта құрастырылмаған: `edustat run`",
        "ru": "файлы загружены, но хранилище ещё не пересобрано: `edustat run`",
        "en": "files are loaded but the warehouse is not rebuilt yet: `edustat run`",
    },
    "landing_busy": {
        "kk": "тексерілмеді: қойманы іске қосу жазып жатыр",
        "ru": "не проверено: хранилище сейчас записывается",
        "en": "not checked: a run is writing the warehouse",
    },
}


def tr(key: str, lang: str, **params: object) -> str:
    from pipelines.cli.words import say

    entry = TEXT.get(key)
    if entry is None:
        return say(key, lang, **params)
    text = entry.get(lang) or entry["en"]
    return text.format(**params) if params else text


@dataclass
class Source:
    """Where the figures come from: the warehouse, or the published copy while it is busy."""

    con: duckdb.DuckDBPyConnection
    from_snapshot: bool


def open_source(home: Home) -> Source | None:
    from pipelines.publish.snapshot import NothingPublishedError, current_database

    if home.warehouse.exists():
        try:
            return Source(duckdb.connect(str(home.warehouse), read_only=True), False)
        except duckdb.IOException:
            pass  # a run holds the writer lock
    try:
        return Source(duckdb.connect(str(current_database(home)), read_only=True), True)
    except (NothingPublishedError, duckdb.Error):
        return None


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def registry_section(con: duckdb.DuckDBPyConnection, out: Console, lang: str) -> None:
    from pipelines.cli.words import say

    if not _has(con, "raw", "landing_files"):
        return
    rows = con.execute(
        "SELECT coalesce(source, '(unknown)'), partition_key, status, count(*) "
        "FROM raw.landing_files GROUP BY ALL"
    ).fetchall()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    periods: dict[str, set[str]] = defaultdict(set)
    for source, key, status, n in rows:
        counts[source][status] += n
        if status in ("loaded", "held_back") and key:
            periods[source].add(key)
    by_partition: dict[str, set[str]] = defaultdict(set)  # round_id | year -> loaded keys
    for source, contract in all_contracts().items():
        by_partition[contract.partition] |= periods.get(source, set())
    rounds = sorted(by_partition["round_id"], key=round_order)
    years = sorted(by_partition["year"])
    out.print(f"[bold]{tr('loaded_periods', lang)}[/bold]")
    out.print(f"  {tr('rounds', lang)}: {', '.join(rounds) or '—'}")
    out.print(f"  {tr('years', lang)}: {', '.join(years) or '—'}")
    table = count_table(tr("files", lang), say("source", lang), [say(s, lang) for s in STATUSES])
    for source in source_order(set(counts)):
        table.add_row(say(source, lang), *(str(counts[source][s]) for s in STATUSES))
    out.print(table)


def round_order(round_id: str) -> tuple[str, int]:
    """2022-autumn < 2023-spring < 2023-autumn: spring comes first in its calendar year."""
    year, _, season = round_id.partition("-")
    return year, 0 if season == "spring" else 1


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def _names(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """college_bin -> its name in `lang` (the latest passport), when the marts have it."""
    if not _has(con, "marts", "dim_college"):
        return {}
    column = "name_kk" if lang == "kk" else "name_ru"
    rows = con.execute(
        f"SELECT college_bin, coalesce({column}, name_ru, name_kk) FROM marts.dim_college "
        "WHERE is_latest"
    ).fetchall()
    return {bin_: name for bin_, name in rows if name}


# The columns of the colleges-per-round table, in the order of its query.
COLLEGE_COUNTS = (
    "expected",
    "on_time",
    "late",
    "missing",
    "held_back",
    "previous_current",
    "corrected_late",
)


def colleges_section(con: duckdb.DuckDBPyConnection, out: Console, lang: str) -> None:
    if not _has(con, "marts", "fct_dq_submission_status"):
        return
    have = _columns(con, "marts", "fct_dq_submission_status")

    def flag(column: str) -> str:  # a warehouse built by older code may lack a flag: 0 then
        return f"count(*) FILTER (WHERE {column})" if column in have else "0"

    held = "is_held_back" if "is_held_back" in have else "false"
    rows = con.execute(
        f"""SELECT round_id,
                  count(*) FILTER (WHERE status <> 'superseded'),
                  count(*) FILTER (WHERE status = 'on_time'),
                  count(*) FILTER (WHERE status = 'late'),
                  count(*) FILTER (WHERE status = 'missing'),
                  {flag("is_held_back")},
                  {flag("previous_version_current")},
                  {flag("corrected_after_due_date")}
           FROM marts.fct_dq_submission_status GROUP BY round_id"""
    ).fetchall()
    rows.sort(key=lambda r: round_order(r[0]))
    table = count_table(
        tr("colleges", lang),
        tr("round", lang),
        [tr(k, lang) for k in COLLEGE_COUNTS],
        label_no_wrap=True,
    )
    for row in rows:
        table.add_row(row[0], *(str(v) for v in row[1:]))
    out.print(table)
    names = _names(con, lang)
    listed = con.execute(
        f"""SELECT round_id, college_bin, {held} FROM marts.fct_dq_submission_status
           WHERE status = 'missing' ORDER BY round_id, 3 DESC, college_bin"""
    ).fetchall()
    by_round: dict[tuple[str, bool], list[str]] = defaultdict(list)
    for round_id, college_bin, held in listed:
        by_round[(round_id, bool(held))].append(college_bin)
    for (round_id, is_held), bins in sorted(by_round.items(), key=lambda i: round_order(i[0][0])):
        label = tr("held_list" if is_held else "missing_list", lang)
        shown = [f"{names.get(b, '')} ({b})".strip() for b in bins[:_MAX_NAMED]]
        more = (
            f"; {tr('and_more', lang, n=len(bins) - _MAX_NAMED)}" if len(bins) > _MAX_NAMED else ""
        )
        out.print(f"  {round_id} {label}: {escape('; '.join(shown))}{more}", soft_wrap=True)


def build_section(home: Home, out: Console, lang: str) -> None:
    from pipelines.cli.run_progress import step_label

    logs = last_build(home)
    out.print(f"[bold]{tr('last_build', lang)}[/bold]")
    if logs is None or not logs.report.exists():
        out.print(f"  {tr('no_build', lang)}")
        return
    report: dict[str, Any] = json.loads(logs.report.read_text(encoding="utf-8"))
    outcome = tr("ok", lang) if report.get("success") else tr("failed", lang)
    out.print(
        f"  {report.get('started_at', '?')}  {outcome}; {tr('commit', lang)} "
        f"{report.get('commit') or '?'}; {tr('took', lang)} "
        f"{tr('seconds', lang, seconds=float(report.get('wall_seconds', 0)))}"
    )
    steps: dict[str, float] = {}
    for run in report.get("runs", []):
        for key, seconds in run.get("steps", {}).items():
            steps[key] = steps.get(key, 0.0) + float(seconds)
    shown = ", ".join(
        f"{step_label(k, lang)} {tr('seconds', lang, seconds=v)}" for k, v in steps.items()
    )
    out.print(f"  {tr('steps', lang)}: {escape(shown) or '—'}", soft_wrap=True)
    out.print(f"  {logs.folder}", soft_wrap=True)


def published_section(home: Home, out: Console, lang: str) -> None:
    from pipelines.publish.snapshot import NothingPublishedError, current_dir

    out.print(f"[bold]{tr('published', lang)}[/bold]")
    try:
        folder = current_dir(home)
    except NothingPublishedError:
        out.print(f"  {tr('nothing_published', lang)}")
        return
    meta_path = folder / "snapshot.json"
    meta: dict[str, Any] = {}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    size = float(meta.get("size_bytes", 0)) / 1e6
    out.print(
        f"  {folder.name}  ({meta.get('build_time', '?')}, {len(meta.get('tables', {}))} "
        f"{tr('tables', lang)}, {size:.1f} MB)"
    )
    out.print(f"  {folder}", soft_wrap=True)


def landing_section(home: Home, out: Console, lang: str) -> None:
    from pipelines.assets.landing_state import (
        WarehouseBusy,
        landing_versions,
        pending_groups,
        read_registry,
    )
    from pipelines.cli import build_stamp
    from pipelines.reference import source_partition_keys

    out.print(f"[bold]{tr('landing', lang)}[/bold]")
    partitions = source_partition_keys()
    jobs = {source: source for source in partitions}
    groups = {(s, k): (s, k) for s, keys in partitions.items() for k in keys}
    try:
        registry = read_registry(home.warehouse)
    except WarehouseBusy:
        out.print(f"  {tr('landing_busy', lang)}")
        return
    now = landing_versions(home.landing, partitions, jobs, "(unknown)")
    pending = pending_groups(now, registry, groups)
    new = [
        (group, path)
        for group in pending
        for path, sha in now.get(group, {}).items()
        if (path, sha) not in registry.present
    ]
    here = {(p, s) for files in now.values() for p, s in files.items()}
    gone = [v for v in registry.current if v not in here]
    if new:
        names = sorted({f"{src} {key}".strip() for (src, key), _ in new})
        out.print(f"  {tr('landing_pending', lang, n=len(new), groups=', '.join(names))}")
    if gone:
        out.print(f"  {tr('landing_gone', lang, n=len(gone))}")
    if not new and not gone:
        if home.warehouse.exists() and not build_stamp.is_up_to_date(home):
            out.print(f"  {tr('landing_unbuilt', lang)}")
        else:
            out.print(f"  {tr('landing_clean', lang)}")


def show_status(home: Home, out: Console, lang: str) -> None:
    out.print(f"[bold]{tr('title', lang)}[/bold]  EDUSTAT_HOME={escape(str(home.root))}")
    source = open_source(home)
    if source is None:
        out.print(tr("no_warehouse", lang))
    else:
        with source.con as con:
            if source.from_snapshot:
                out.print(f"[yellow]{tr('from_snapshot', lang)}[/yellow]")
            registry_section(con, out, lang)
            colleges_section(con, out, lang)
    build_section(home, out, lang)
    published_section(home, out, lang)
    landing_section(home, out, lang)


def status(
    lang: Annotated[
        str | None, typer.Option("--lang", help="kk, ru or en (default: EDUSTAT_LANG, LANG).")
    ] = None,
) -> None:
    """What the warehouse holds now: rounds, files, colleges missing or held back, the last
    build, the published snapshot, and whether landing/ holds anything not built yet."""
    home = Home.from_env()
    try:
        check_home(home, writable=False)  # status only reads
    except HomeProblem as problem:
        raise typer.Exit(refuse(problem)) from None
    try:
        # Piped (a file, a test, less), rich would squeeze the tables into 80 columns.
        wide = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
        show_status(home, Console(soft_wrap=False, width=wide), cli_lang(lang))
    except (duckdb.Error, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: edustat status: {first}", file=sys.stderr)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    app.command("status")(status)
