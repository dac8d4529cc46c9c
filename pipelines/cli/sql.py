"""`edustat sql`: query the current published snapshot, read-only.

Never the live warehouse: a run holds its writer lock for minutes and DuckDB refuses any second
opener meanwhile (docs/STACK.md trap 4). The published copy is never opened for writing by
anyone, so reads succeed during a run, and every reader opens it with `read_only=True` (a shared
lock).

Output: on screen an aligned table that turns vertical when rows are too wide
(pipelines/cli/sql_table.py), capped at --max-rows; CSV, Excel CSV, JSON, JSON lines and Parquet
stream every row in record batches with flat memory (pipelines/cli/sql_output.py). `.tables`,
`.schema` and `DESCRIBE` show the marts first, with descriptions in the chosen language
(pipelines/cli/sql_catalog.py).

The connection is read-only by construction (pipelines/publish/reader.py): no file outside the
snapshot can be read or written from a query; `-o FILE` is the one way out, and it writes only the
query's result.

Errors are one line on stderr and a non-zero exit code, never a traceback:
exit 1 = the query failed, exit 2 = nothing to query (no snapshot yet, unknown --snapshot).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.markup import escape

from pipelines.cli import sql_catalog
from pipelines.cli.sql_table import Layout, render_rows
from pipelines.cli.words import cli_lang
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
DEFAULT_MAX_ROWS = 1000

REPL_HELP = """\
End a statement with ';' (it may span lines). Dot commands:
  .tables [all]      the public marts (all: the internal schemas too)
  .schema TABLE      columns of a table with their descriptions (DESCRIBE TABLE too)
  .mode table|vertical|csv|json|jsonl
                     how results show (table turns vertical by itself when rows are too wide)
  .maxrows N         rows shown in table and vertical mode
  .lang kk|ru|en     language of the column descriptions
  .snapshot          which snapshot is open
  .help              this text
  .quit / .exit      leave (Ctrl-D too; Ctrl-C clears the current input)"""


class OutputFormat(StrEnum):
    table = "table"  # aligned columns, vertical by itself when the rows do not fit
    vertical = "vertical"  # one block per row
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    parquet = "parquet"  # needs --output


SCREEN_FORMATS = {OutputFormat.table: Layout.auto, OutputFormat.vertical: Layout.vertical}
PROMPT_FORMATS = ("table", "vertical", "csv", "json", "jsonl")


class SqlError(Exception):
    """A query failed; the message is already one line."""


def one_line_error(exc: BaseException) -> str:
    """DuckDB's message without the multi-line caret picture, keeping a 'Did you mean' hint; a
    statement the read-only construction refuses is said so in kk/ru/en."""
    refused = refusal(exc)
    if refused:
        return refused
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
    """Execute `query`; returns column names, up to `limit` rows, and whether more rows exist.

    The limit goes into the query plan (a relation's LIMIT), so DuckDB stops after `limit` + 1
    rows instead of computing, and then draining, a result nobody will see."""
    try:
        rel = con.sql(query)
        if rel is None:  # a statement without a result (SET, a transaction command)
            return [], [], False
        cols = list(rel.columns)
        if limit is None:
            return cols, rel.fetchall(), False
        rows = rel.limit(limit + 1).fetchall()
        return cols, rows[:limit], len(rows) > limit
    except duckdb.Error as exc:
        raise SqlError(one_line_error(exc)) from exc


def _binary(out: IO[Any]) -> IO[bytes]:
    """A binary view of an output stream (stdout's buffer, or an adapter for a text buffer)."""
    out.flush()
    buffer = getattr(out, "buffer", None)
    return buffer if buffer is not None else _TextSink(out)


class _TextSink:
    """Bytes written to a text stream (the prompt's console in tests, a StringIO)."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.closed = False

    def write(self, data: bytes) -> int:
        self.text.write(bytes(data).decode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


def stream_query(
    con: duckdb.DuckDBPyConnection,
    query: str,
    fmt: OutputFormat,
    out: IO[Any],
    output: Path | None = None,
    excel: bool = False,
) -> int:
    """Every row of `query` in `fmt`, batch by batch, to `output` or `out`; returns the rows."""
    from pipelines.cli import sql_output

    try:
        rel = con.sql(query)
        if rel is None:
            return 0
        batches = rel.to_arrow_reader(sql_output.BATCH_ROWS)
        if fmt is OutputFormat.parquet:
            if output is None:
                raise SqlError("-f parquet needs --output FILE")
            return sql_output.write_parquet(batches, str(output))
        with contextlib.ExitStack() as stack:
            sink = stack.enter_context(open(output, "wb")) if output else _binary(out)
            if fmt is OutputFormat.csv:
                return sql_output.write_csv(batches, sink, excel=excel)
            if fmt is OutputFormat.jsonl:
                return sql_output.write_jsonl(batches, sink)
            return sql_output.write_json(batches, sink)
    except duckdb.Error as exc:
        raise SqlError(one_line_error(exc)) from exc


def show(
    cols: list[str],
    rows: list[tuple[Any, ...]],
    layout: Layout,
    out: Console,
    more: bool = False,
) -> None:
    """Rows on screen, then how many (and whether more exist)."""
    if not cols:
        out.file.write("OK\n")
        out.file.flush()
        return
    render_rows(cols, rows, out.file, layout, out.width)
    tail = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    if more:
        tail += " shown, more exist (raise --max-rows / .maxrows, or --format csv for all)"
    out.file.write(tail + "\n")
    out.file.flush()


class Session:
    """One query at a time against an open snapshot, in the chosen format and language."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        db_path: Path,
        fmt: OutputFormat,
        max_rows: int,
        lang: str,
        out: Console,
    ) -> None:
        self.con, self.db_path, self.fmt, self.max_rows = con, db_path, fmt, max_rows
        self.lang, self.out = lang, out

    @property
    def manifest(self) -> Path:
        return self.db_path.parent / "docs" / "manifest.json"

    def run(self, query: str, output: Path | None = None, excel: bool = False) -> None:
        target = sql_catalog.describe_target(query)
        if target is not None:
            self.describe(target)
            return
        layout = SCREEN_FORMATS.get(self.fmt)
        if layout is None:
            stream_query(self.con, query, self.fmt, self.out.file, output, excel)
            return
        cols, rows, more = run_query(self.con, query, self.max_rows)
        show(cols, rows, layout, self.out, more)

    def _rows(self, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        layout = SCREEN_FORMATS.get(self.fmt)
        if layout is not None:
            show(cols, rows, layout, self.out)
            return
        # Machine formats from rows already in memory (a catalog listing, never large).
        import pyarrow as pa

        from pipelines.cli import sql_output

        table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})
        sink = _binary(self.out.file)
        writer = {
            OutputFormat.csv: sql_output.write_csv,
            OutputFormat.jsonl: sql_output.write_jsonl,
        }.get(self.fmt, sql_output.write_json)
        writer(table.to_reader(), sink)

    def describe(self, target: str) -> None:
        try:
            cols, rows = sql_catalog.schema_rows(self.con, target, self.lang, self.manifest)
        except duckdb.Error as exc:
            raise SqlError(one_line_error(exc)) from exc
        if not rows:
            raise SqlError(f"no table or view {target!r} (try .tables)")
        self._rows(cols, rows)

    def tables(self, include_internal: bool) -> None:
        try:
            cols, rows, _ = run_query(
                self.con, sql_catalog.tables_query(include_internal), limit=None
            )
            hidden = 0 if include_internal else sql_catalog.internal_count(self.con)
        except duckdb.Error as exc:
            raise SqlError(one_line_error(exc)) from exc
        self._rows(cols, rows)
        if hidden:
            self.out.file.write(
                f"(+ {hidden} internal tables and views in raw, staging, intermediate, dq…: "
                ".tables all)\n"
            )
            self.out.file.flush()


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
        lang: str = "en",
    ) -> None:
        self.home, self.snapshot = home, snapshot
        self.out, self.err, self.read = out, err, read
        self.interactive = sys.stdin.isatty()
        self.db_path = resolve_snapshot(home, snapshot)
        self.session = Session(connect(self.db_path), self.db_path, fmt, max_rows, lang, out)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.session.con

    def _follow_current(self) -> None:
        """Reopen when a newer build swapped `current` meanwhile (unless a snapshot was pinned)."""
        if self.snapshot is not None:
            return
        try:
            latest = resolve_snapshot(self.home, None)
        except NothingPublishedError:
            return
        if latest != self.db_path:
            self.session.con.close()
            self.db_path = latest
            self.session.con, self.session.db_path = connect(latest), latest
            self.err.print(f"[dim]now on snapshot {latest.parent.name}[/dim]")

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except SqlError as exc:
            self.err.print(f"[red]error:[/red] {escape(str(exc))}")

    def _execute(self, query: str) -> None:
        self._follow_current()
        self._guarded(lambda: self.session.run(query))

    def _dot(self, line: str) -> bool:
        """Handle a dot command; False means leave the prompt."""
        cmd, _, arg = line.partition(" ")
        arg = arg.strip()
        session = self.session
        if cmd in (".quit", ".exit", ".q"):
            return False
        if cmd == ".help":
            self.out.print(escape(REPL_HELP))
        elif cmd == ".tables" and arg in ("", "all"):
            self._follow_current()
            self._guarded(lambda: session.tables(include_internal=arg == "all"))
        elif cmd == ".schema" and arg:
            self._follow_current()
            self._guarded(lambda: session.describe(arg))
        elif cmd == ".snapshot":
            self.out.print(f"{self.db_path.parent.name}  ({self.db_path})")
        elif cmd in (".format", ".mode") and arg in PROMPT_FORMATS:
            session.fmt = OutputFormat(arg)
        elif cmd == ".maxrows" and arg.isdigit() and int(arg) > 0:
            session.max_rows = int(arg)
        elif cmd == ".lang" and arg in ("kk", "ru", "en"):
            session.lang = arg
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
            "End statements with ';'. .tables lists the marts, .help the commands, .quit or "
            "Ctrl-D leaves."
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
            self.session.con.close()
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
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="table (vertical by itself when rows are too wide), vertical, csv, json, "
            "jsonl, parquet (with --output). csv/json/jsonl/parquet stream every row.",
        ),
    ] = OutputFormat.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of the screen."),
    ] = None,
    excel: Annotated[
        bool,
        typer.Option(
            "--excel",
            help="CSV for Excel: UTF-8 with BOM, ';' between fields, decimal comma.",
        ),
    ] = False,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Rows shown in table and vertical format.")
    ] = DEFAULT_MAX_ROWS,
    snapshot: Annotated[
        str | None,
        typer.Option("--snapshot", help="Query an older snapshot (a folder under published/)."),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Column descriptions in kk, ru or en (default: EDUSTAT_LANG)."),
    ] = None,
) -> None:
    """Query the current published snapshot (read-only; works while a run is writing)."""
    home = Home.from_env()
    if excel:
        fmt = OutputFormat.csv
    # Piped into a file or another program, rich would assume 80 columns; a wide fixed width
    # keeps one row per line there (COLUMNS still wins when set).
    wide = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 220
    out = Console(soft_wrap=False, width=wide)
    # soft_wrap: an error stays on one line even when stderr is not a terminal (80 columns).
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        if query is None:
            Repl(home, snapshot, fmt, max_rows, out, err, lang=cli_lang(lang)).loop()
            return
        if query == "-":
            query = sys.stdin.read()
        db_path = resolve_snapshot(home, snapshot)
        con = connect(db_path)
        try:
            Session(con, db_path, fmt, max_rows, cli_lang(lang), out).run(query, output, excel)
        finally:
            con.close()
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


def register(app: typer.Typer) -> None:
    app.command("sql")(sql)
