"""`edustat ui`: the Dagster UI comes up with the whole code location, and Ctrl-C leaves nothing.

Runs on an empty EDUSTAT_HOME of its own: the UI starts the daemon, whose landing sensor would
otherwise launch runs against a warehouse that other tests read. The venv is not on PATH, as for
a user who starts `.venv/bin/edustat ui` without activating it (`make test` puts it there).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

EDUSTAT = [sys.executable, "-m", "pipelines.cli.main"]
UI_TIMEOUT_S = 240

QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def graphql(url: str, query: str) -> dict[str, Any]:
    req = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def pgid_of(p: psutil.Process) -> int | None:
    try:
        return os.getpgid(p.pid)
    except (ProcessLookupError, psutil.Error):
        return None


def alive_in_groups(pgids: set[int]) -> list[str]:
    left = []
    for p in psutil.process_iter(["pid", "cmdline", "status"]):
        if p.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if pgid_of(p) in pgids:
            left.append(f"{p.pid}: {' '.join(p.info['cmdline'] or [])[:120]}")
    return left


@pytest.fixture
def ui(tmp_path: Path):  # type: ignore[no-untyped-def]
    """`edustat ui` on a free port; yields (url, process, log path) and always cleans up."""
    port = free_port()
    log = tmp_path / "ui.log"
    venv_bin = Path(sys.executable).parent
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != venv_bin]
    env = {**os.environ, "EDUSTAT_HOME": str(tmp_path / "home"), "PATH": os.pathsep.join(path)}
    env.pop("DAGSTER_HOME", None)
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [*EDUSTAT, "ui", "--port", str(port), "--host", "127.0.0.1"],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        yield f"http://127.0.0.1:{port}", proc, log
    finally:
        if proc.poll() is None:  # a failed assertion: stop it the way a user would
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        for p in psutil.Process().children(recursive=True):
            p.kill()  # never leave a stray webserver behind a failed test


def test_ui_serves_the_code_location_and_stops_cleanly(ui) -> None:  # type: ignore[no-untyped-def]
    url, proc, log = ui
    deadline = time.monotonic() + UI_TIMEOUT_S
    nodes: list[dict[str, Any]] = []
    descendants: dict[int, psutil.Process] = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        for p in psutil.Process(proc.pid).children(recursive=True):
            descendants[p.pid] = p
        try:
            nodes = graphql(url, QUERY)["data"]["assetNodes"]
        except (OSError, KeyError, TypeError, ValueError):
            nodes = []
        # The location loads after the webserver answers; wait for the last asset of the graph.
        if any(n["assetKey"]["path"] == ["published_snapshot"] for n in nodes):
            break
        time.sleep(2)
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes}
    checks = {
        (("/".join(n["assetKey"]["path"])), c["name"]): c["blocking"]
        for n in nodes
        for c in (n["assetChecksOrError"].get("checks") or [])
    }
    # `edustat ui` polls the address every 0.5 s: its announcement may follow our first answer.
    while f"Dagster UI: {url}" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert f"Dagster UI: {url}" in log.read_text()
    # DAGSTER_HOME = $EDUSTAT_HOME/dagster, with the instance settings `edustat run` uses.
    assert (log.parent / "home" / "dagster" / "dagster.yaml").is_file()

    # All three sources, the dbt models, the publish step, and checks (dbt tests, GX rules).
    assert {"raw/nobd_header", "raw/passports", "raw/worldskills_results"} <= keys, keys
    assert {"staging/stg_nobd__students", "marts/fct_indicator_values"} <= keys, keys
    assert groups.get("published_snapshot") == "publish"
    assert any(k.startswith("staging/") for k, _ in checks), checks
    assert any(blocking for blocking in checks.values()), "no blocking check in the graph"

    # Everything it started: dagster dev and its webserver, daemon and code servers.
    for p in psutil.Process(proc.pid).children(recursive=True):
        descendants[p.pid] = p
    pgids = {g for p in descendants.values() if (g := pgid_of(p)) is not None}
    assert len(descendants) >= 3 and pgids, descendants
    assert os.getpgid(proc.pid) not in pgids, "dagster must run in a process group of its own"

    proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
    assert proc.wait(timeout=90) == 0, log.read_text()[-3000:]
    assert "Dagster UI stopped." in log.read_text()
    assert alive_in_groups(pgids) == []
    assert [p.pid for p in descendants.values() if p.is_running() and p.status() != "zombie"] == []
