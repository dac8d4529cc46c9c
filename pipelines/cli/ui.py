"""`edustat ui`: the Dagster UI (webserver + daemon, so sensors and schedules run) for this repo.

`dagster dev` started from a script ignores SIGINT/SIGTERM sent to it alone, and its children
outlive a `kill -9` of the parent (docs/STACK.md trap 10). So it gets a session and process group
of its own (`start_new_session=True`), and on Ctrl-C / SIGTERM / SIGHUP we signal that whole group,
wait, escalate, and finally kill any descendant that left the group, so nothing is orphaned.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from types import FrameType
from typing import Annotated

import psutil
import typer

from pipelines.executables import venv_executable
from pipelines.settings import LOG_LEVEL_ENV, REPO_ROOT, Home

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
READY_TIMEOUT_S = 180.0
# dagster dev shuts its webserver, daemon and code server down on SIGINT; give it time to do so
# before escalating to SIGTERM and then SIGKILL.
GRACE_INT_S = 20.0
GRACE_TERM_S = 5.0


def _die_with_parent() -> None:
    """In the child before exec: get SIGINT if `edustat ui` itself is killed (even -9), so
    dagster dev shuts its group down instead of running on unowned. Linux only; a no-op
    elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGINT)


class _Stop(Exception):
    """Raised from a signal handler to leave the wait loop."""


def dagster_command(host: str, port: int, verbose: bool = False) -> list[str]:
    """`dagster dev` for the repo's workspace.yaml, else the definitions module directly."""
    workspace = REPO_ROOT / "workspace.yaml"
    target = ["-w", str(workspace)] if workspace.is_file() else ["-m", "pipelines.definitions"]
    level = "debug" if verbose else "info"
    return [
        venv_executable("dagster"),
        "dev",
        *target,
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        level,
    ]


def display_url(host: str, port: int) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # IPv6 literal
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as resp:
            json.load(resp)
            return True
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _descendants(pid: int) -> dict[int, psutil.Process]:
    try:
        return {p.pid: p for p in psutil.Process(pid).children(recursive=True)}
    except psutil.Error:
        return {}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (cannot happen for our own group)
        return True


def _wait_group_gone(proc: subprocess.Popen[bytes], pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader so it does not linger as a zombie group member
        if not _group_alive(pgid):
            return True
        time.sleep(0.2)
    proc.poll()
    return not _group_alive(pgid)


def stop_process_group(
    proc: subprocess.Popen[bytes], known: dict[int, psutil.Process] | None = None
) -> None:
    """SIGINT the group, then SIGTERM, then SIGKILL; then kill stragglers that left the group."""
    pgid = proc.pid  # start_new_session: the leader's pid is the group id
    known = dict(known or {})
    known.update(_descendants(proc.pid))
    for sig, grace in ((signal.SIGINT, GRACE_INT_S), (signal.SIGTERM, GRACE_TERM_S)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        if _wait_group_gone(proc, pgid, grace):
            break
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        _wait_group_gone(proc, pgid, GRACE_TERM_S)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=GRACE_TERM_S)
    # A child that called setsid() escapes killpg; it is still one of ours, so end it too.
    for p in known.values():
        with contextlib.suppress(psutil.Error):
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                p.kill()
    psutil.wait_procs(list(known.values()), timeout=GRACE_TERM_S)


def ui(
    port: Annotated[int, typer.Option("--port", "-p", help="Port of the web UI.")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option("--host", "-h", help="Address to listen on (0.0.0.0 for all).")
    ] = DEFAULT_HOST,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Show DEBUG lines of the runs and the daemon."),
    ] = False,
) -> None:
    """Start the Dagster UI with its daemon (sensors, schedules); Ctrl-C stops everything."""
    from pipelines.cli.home_check import is_home
    from pipelines.cli.run import prepare_dagster_home

    home = Home.from_env()
    if not is_home(home):
        # Not refused: an empty home is a valid place to start the UI and drop files into; but
        # a mistyped EDUSTAT_HOME should not go unnoticed.
        typer.echo(
            f"warning: EDUSTAT_HOME={home.root} holds no landing files and no warehouse yet",
            err=True,
        )
    # The same instance settings as `edustat run` (it writes dagster.yaml when missing): runs the
    # sensor launches then queue one at a time, as the single-writer warehouse needs, even when
    # the UI is started before any `edustat run`.
    prepare_dagster_home(home)
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(home.dagster_home)
    env["EDUSTAT_HOME"] = str(home.root)
    # Runs launched here (sensor, schedule, the UI's buttons) log at INFO on this terminal unless
    # asked; pipelines/definitions.py reads it when the code server loads the definitions.
    env[LOG_LEVEL_ENV] = "DEBUG" if verbose else (env.get(LOG_LEVEL_ENV) or "INFO")
    url = display_url(host, port)
    try:
        cmd = dagster_command(host, port, verbose)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise _Stop(signal.Signals(signum).name)

    # Install the handlers before starting the child so no signal can slip in between.
    previous = {
        s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    typer.echo(f"Starting Dagster UI on {url} (DAGSTER_HOME={home.dagster_home}) …", err=True)
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=env, start_new_session=True, preexec_fn=_die_with_parent
    )
    known: dict[int, psutil.Process] = {}
    code = 0
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        announced = False
        while proc.poll() is None:
            known.update(_descendants(proc.pid))
            if not announced and _ready(url):
                # Flushed: with stdout redirected (a log, a pipe) it would wait in the buffer.
                print(f"Dagster UI: {url}   (Ctrl-C to stop)", flush=True)
                announced = True
            elif not announced and time.monotonic() > deadline:
                typer.echo(
                    f"warning: {url} does not answer after {READY_TIMEOUT_S:.0f} s", err=True
                )
                announced = True
            time.sleep(0.5 if not announced else 2.0)
        code = proc.returncode or 0
        if code:
            typer.echo(f"error: dagster dev exited with code {code}", err=True)
    except _Stop as why:
        typer.echo(f"Stopping Dagster UI ({why}) …", err=True)
    finally:
        # Further Ctrl-Cs must not interrupt the shutdown half-way and orphan the group.
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        stop_process_group(proc, known)
        for s, h in previous.items():
            signal.signal(s, h)
    typer.echo("Dagster UI stopped.", err=True)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)
