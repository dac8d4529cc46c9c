"""Each `edustat run` keeps its own log folder; the last build's stays while later runs come."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.cli import run_logs
from pipelines.settings import Home

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_latest_moves_and_the_last_build_survives_rotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(run_logs.KEEP_ENV, "2")
    home = Home(tmp_path)
    build = run_logs.start(home, T0)
    build.tool_log.write_text("dbt output\n")
    run_logs.mark_build(home, build)
    later = [run_logs.start(home, T0 + timedelta(minutes=i)) for i in range(1, 5)]
    assert run_logs.latest(home) == later[-1]
    assert run_logs.last_build(home) == build
    assert build.tool_log.read_text() == "dbt output\n"  # untouched by the runs after it
    kept = sorted(p.name for p in (home.logs / run_logs.RUNS_DIR).iterdir())
    assert kept == sorted([build.folder.name, later[-2].folder.name, later[-1].folder.name])


def test_two_runs_in_one_second_get_two_folders(tmp_path: Path) -> None:
    home = Home(tmp_path)
    first, second = run_logs.start(home, T0), run_logs.start(home, T0)
    assert first.folder != second.folder and first.folder.is_dir() and second.folder.is_dir()
