"""`edustat sql`: query the current published snapshot, read-only.

Never the live warehouse: a run holds its writer lock for minutes and DuckDB refuses any second
opener meanwhile (STACK.md trap 4). The published copy is never opened for writing by anyone, so
reads succeed during a run, and every reader opens it with `read_only=True` (a shared lock).

The connection is read-only by construction (pipelines/publish/reader.py): no file outside the
snapshot can be read or written from a query; `-o FILE` is the one way out, and it writes only the
query's result.

Errors are one line on stderr and a non-zero exit code, never a traceback:
exit 1 = the query failed, exit 2 = nothing to query (no snapshot yet, unknown --snapshot).
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.publish.reader import open_snapshot, refusal
from pipelines.publish.snapshot import DB_FILE, NothingPublishedError, current_dir, list_snapshots
from pipelines.settings import Home

NOTHING_PUBLISHED = (
    "Әлі ештеңе жарияланбаған / Ещё ничего не опубликовано / Nothing published yet"
    " — run `edustat run` first"
)
HISTORY_FILE = ".sql_history"
HISTORY_LENGTH = 1000
EXIT_QUERY_ERROR = 1
EXIT_NO_SNAPSHOT = 2

REPL_HELP = """\
End a statement with ';' (it may span lines). Dot commands:
  .tables            list tables and views
  .schema TABLE      columns of a table (schema.table)
  .snapshot          which snapshot is open
  .format table|csv|json
  .help              this text
  .quit / .exit      leave (Ctrl-D too; Ctrl-C clears the current input)"""


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class SqlError(Exception):
    """A query failed; the message is already one line."""


def one_line_error(exc: BaseException) -> str:
    """DuckDB's message without the multi-line caret picture, keeping a 'Did you mean' hint."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    if not lines:
        return type(exc).__name__
    msg = lines[0]
    hint = next((ln for ln in lines[1:] if ln.lower().startswith("did you mean")), None)
    return f"{msg} {hint}" if hint else msg


def resolve_snapshot(home: Home, snapshot: str | None) -> Path:
    """The DuckDB file to open: `current`, or a named snapshot folder."""
    if snapshot is None:
        return current_dir(home) / DB_FILE
    if snapshot not in list_snapshots(home):
        available = ", ".join(list_snapshots(home)) or "none"
        raise NothingPublishedError(f"no snapshot {snapshot!r} (available: {available})")
    return home.published / snapshot / DB_FILE


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return open_snapshot(db_path)
    except duckdb.Error as exc:
        raise SqlError(one_line_error(exc)) from exc


def run_query(
    con: duckdb.DuckDBPyConnection, query: str, limit: int | None
) -> tuple[list[str], list[tuple[Any, ...]], bool]:
    """Execute `query`; returns column names, up to `limit` rows, and whether more rows exist."""
    try:
        con.execute(query)
        desc = con.description
        if desc is None:
            return [], [], False
        cols = [d[0] for d in desc]
        if limit is None:
            return cols, con.fetchall(), False
        rows = con.fetchmany(limit + 1)
        more = len(rows) > limit
        if more:
            # Drain the rest: DuckDB 2.0 refuses the next statement after a partial fetch
            # (STACK.md trap 2). Fetched in chunks so a huge result does not pile up in memory.
            while con.fetchmany(10_000):
                pass
        return cols, rows[:limit], more
    except duckdb.Error as exc:
        raise SqlError(refusal(exc) or one_line_error(exc)) from exc


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, timedelta):
        return v.total_seconds()
    if isinstance(v, bytes | bytearray):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_value(x) for x in v]
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def _cell(v: Any) -> str:
    if v is None:
        return "[dim]NULL[/dim]"
    if isinstance(v, float):
        # Six decimals are plenty on screen (shares, rates), but never exponent notation for a
        # large count (`.6g` would print 1234567.0 as 1.23457e+06); csv/json keep full precision.
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return escape(repr(round(v, 6)) if math.isfinite(v) else repr(v))
    return escape(str(v))


def render(
    cols: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    fmt: OutputFormat,
    out: Console,
    more: bool = False,
) -> None:
    if fmt is OutputFormat.csv:
        w = csv.writer(out.file, lineterminator="\n")
        w.writerow(cols)
        w.writerows(["" if v is None else v for v in r] for r in rows)
        out.file.flush()
        return
    if fmt is OutputFormat.json:
        data = [{c: _json_value(v) for c, v in zip(cols, r, strict=True)} for r in rows]
        out.file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        out.file.flush()
        return
    if not cols:
        out.print("[dim]OK[/dim]")
        return
    table = Table(show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(escape(c), overflow="fold")
    for r in rows:
        table.add_row(*(_cell(v) for v in r))
    out.print(table)
    tail = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    if more:
        tail += " shown, more exist (raise --max-rows or use --format csv)"
    out.print(f"[dim]{tail}[/dim]")


class Repl:
    """A small line-based prompt: statements end with ';', dot commands, readline history."""

    def __init__(
        self,
        home: Home,
        snapshot: str | None,
        fmt: OutputFormat,
        max_rows: int,
        out: Console,
        err: Console,
        read: Callable[[str], str] = input,
    ) -> None:
        self.home, self.snapshot, self.fmt, self.max_rows = home, snapshot, fmt, max_rows
        self.out, self.err, self.read = out, err, read
        self.interactive = sys.stdin.isatty()
        self.db_path = resolve_snapshot(home, snapshot)
        self.con = connect(self.db_path)

    def _follow_current(self) -> None:
        """Reopen when a newer build swapped `current` meanwhile (unless a snapshot was pinned)."""
        if self.snapshot is not None:
            return
        try:
            latest = resolve_snapshot(self.home, None)
        except NothingPublishedError:
            return
        if latest != self.db_path:
            self.con.close()
            self.db_path, self.con = latest, connect(latest)
            self.err.print(f"[dim]now on snapshot {latest.parent.name}[/dim]")

    def _execute(self, query: str) -> None:
        self._follow_current()
        limit = self.max_rows if self.fmt is OutputFormat.table else None
        try:
            cols, rows, more = run_query(self.con, query, limit)
        except SqlError as exc:
            self.err.print(f"[red]error:[/red] {escape(str(exc))}")
            return
        render(cols, rows, self.fmt, self.out, more)

    def _dot(self, line: str) -> bool:
        """Handle a dot command; False means leave the prompt."""
        cmd, _, arg = line.partition(" ")
        arg = arg.strip()
        if cmd in (".quit", ".exit", ".q"):
            return False
        if cmd == ".help":
            self.out.print(escape(REPL_HELP))
        elif cmd == ".tables":
            self._execute(
                "SELECT table_schema AS schema, table_name AS name, table_type AS type "
                "FROM information_schema.tables ORDER BY 1, 2"
            )
        elif cmd == ".schema" and arg:
            schema, _, table = arg.rpartition(".")
            cond = f"table_name = '{table.replace(chr(39), '')}'"
            if schema:
                cond += f" AND table_schema = '{schema.replace(chr(39), '')}'"
            self._execute(
                "SELECT table_schema AS schema, column_name AS column, data_type AS type "
                f"FROM information_schema.columns WHERE {cond} ORDER BY table_schema, "
                "ordinal_position"
            )
        elif cmd == ".snapshot":
            self.out.print(f"{self.db_path.parent.name}  ({self.db_path})")
        elif cmd == ".format" and arg in OutputFormat.__members__:
            self.fmt = OutputFormat(arg)
        else:
            self.err.print(f"[red]error:[/red] unknown command {escape(line)!s} (try .help)")
        return True

    def _prompt(self, text: str) -> str:
        # Like sqlite3: no prompt when the input is piped, so a script's output stays clean.
        return text if self.interactive else ""

    def loop(self) -> None:
        history = _setup_readline(self.home)
        self.err.print(
            f"edustat sql — snapshot [bold]{self.db_path.parent.name}[/bold] (read-only). "
            "End statements with ';'. .help for commands, .quit or Ctrl-D to leave."
        )
        buf: list[str] = []
        try:
            while True:
                try:
                    line = self.read(self._prompt("sql> " if not buf else "...> "))
                except KeyboardInterrupt:
                    buf.clear()
                    self.err.print()
                    continue
                except EOFError:
                    self.err.print()
                    break
                stripped = line.strip()
                if not buf and stripped.startswith("."):
                    if not self._dot(stripped):
                        break
                    continue
                if not buf and not stripped:
                    continue
                buf.append(line)
                if stripped.endswith(";"):
                    self._execute("\n".join(buf))
                    buf.clear()
        finally:
            self.con.close()
            if history is not None:
                history()


def _setup_readline(home: Home) -> Callable[[], None] | None:
    """Load readline history; returns the function that saves it (None without readline)."""
    try:
        import readline
    except ImportError:  # not on every platform; the prompt still works without history
        return None
    path = Path(os.environ.get("EDUSTAT_SQL_HISTORY", home.root / HISTORY_FILE))
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LENGTH)

    def save() -> None:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)

    return save


def sql(
    query: Annotated[
        str | None,
        typer.Argument(help="SQL to run; '-' reads it from stdin; omit for an interactive prompt."),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.table,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Rows shown in table format.")
    ] = 1000,
    snapshot: Annotated[
        str | None,
        typer.Option("--snapshot", help="Query an older snapshot (a folder under published/)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the result to this file (the only way to export)."
        ),
    ] = None,
) -> None:
    """Query the current published snapshot (read-only; works while a run is writing)."""
    home = Home.from_env()
    # Piped into a file or another program, rich would assume 80 columns and fold every table;
    # a wide fixed width keeps one row per line there (COLUMNS still wins when set).
    wide = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 220
    out = Console(soft_wrap=False, width=wide)
    # soft_wrap: an error stays on one line even when stderr is not a terminal (80 columns).
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        if query is None:
            Repl(home, snapshot, fmt, max_rows, out, err).loop()
            return
        if query == "-":
            query = sys.stdin.read()
        db_path = resolve_snapshot(home, snapshot)
        con = connect(db_path)
        try:
            limit = max_rows if fmt is OutputFormat.table else None
            cols, rows, more = run_query(con, query, limit)
        finally:
            con.close()
        if output is None:
            render(cols, rows, fmt, out, more)
        else:
            _write_result(output, cols, rows, fmt, more)
    except NothingPublishedError as exc:
        msg = NOTHING_PUBLISHED if snapshot is None else str(exc)
        err.print(f"[red]error:[/red] {escape(msg)}")
        raise typer.Exit(EXIT_NO_SNAPSHOT) from None
    except SqlError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(EXIT_QUERY_ERROR) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except BrokenPipeError:
        # `edustat sql ... | head`: the reader left; not an error worth a traceback.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter exit quiet
        return
    except (OSError, ValueError, UnicodeError) as exc:
        # Anything else that reaches here (an unreadable snapshot, a value that cannot be shown)
        # is still reported in one line: a statistician should never see a traceback.
        err.print(f"[red]error:[/red] {escape(one_line_error(exc))}")
        raise typer.Exit(EXIT_QUERY_ERROR) from None


def _write_result(
    path: Path, cols: Sequence[str], rows: Sequence[tuple[Any, ...]], fmt: OutputFormat, more: bool
) -> None:
    """The query's result, and nothing else, into `path` (written whole, then renamed)."""
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        render(cols, rows, fmt, Console(file=fh, soft_wrap=False, width=220), more)
    partial.replace(path)


def register(app: typer.Typer) -> None:
    app.command("sql")(sql)
