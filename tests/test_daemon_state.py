"""One state, whoever runs it: `edustat run`, then the daemon's sensors against the same Dagster
instance and registry.

On a copy of the session's sample (conftest.pipeline_home, built by `edustat run`), with one
corrected NOBD submission held aside:
- `edustat run` again: this unchanged run writes its own short log folder and leaves the build's
  logs as they were;
- `edustat status` describes it;
- the landing and build sensors, evaluated once as the daemon would: no run requested;
- the held file dropped into landing/: exactly one ingest run for its round; once that ran, the
  build sensor asks for one build; once that ran, the published snapshot holds the file's rows
  and neither sensor asks for anything more.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import edustat
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context
from test_yearbook import AUTUMN, resubmit_with_fewer_students

from pipelines.assets.resources import HomeResource, default_resources
from pipelines.assets.sensors import build_job, build_sensor, landing_sensor
from pipelines.cli import run_logs
from pipelines.publish.snapshot import current_database
from pipelines.settings import Home

ROUND = AUTUMN


@contextlib.contextmanager
def english() -> Iterator[None]:
    """The CLI's words in English, whatever the machine's locale."""
    before = os.environ.get("EDUSTAT_LANG")
    os.environ["EDUSTAT_LANG"] = "en"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("EDUSTAT_LANG")
        else:
            os.environ["EDUSTAT_LANG"] = before


@pytest.fixture(scope="module")
def sample(pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A copy of the built sample after one more (unchanged) `edustat run`, with a corrected
    submission (a new version, fewer students) held aside."""
    home = tmp_path_factory.mktemp("daemon") / "home"
    # symlinks=True keeps `published/current` a (relative) symlink into the copy
    shutil.copytree(pipeline_home, home, symlinks=True)
    college_bin, _ = resubmit_with_fewer_students(home)
    held = home / "landing" / "nobd" / ROUND / f"{college_bin}_{ROUND}_v9.xlsx"
    aside = home.parent / held.name
    shutil.move(held, aside)
    build_logs = run_logs.latest(Home(home))
    assert build_logs is not None
    before = {p.name: p.read_bytes() for p in build_logs.folder.iterdir()}
    with english():
        second = edustat("run", home=home)
    return {
        "home": home,
        "held": held,
        "aside": aside,
        "second": second,
        "build_logs": build_logs,
        "build_files": before,
    }


def test_an_unchanged_rerun_leaves_the_last_builds_logs_alone(sample: dict) -> None:
    home = Home(sample["home"])
    build: run_logs.RunLogs = sample["build_logs"]
    latest = run_logs.latest(home)
    assert latest is not None and latest.folder != build.folder
    assert run_logs.last_build(home) == build
    assert {p.name: p.read_bytes() for p in build.folder.iterdir()} == sample["build_files"]
    assert build.tool_log.stat().st_size > 0  # dbt's output of the build is still there
    assert not latest.tool_log.exists()  # no dbt in the unchanged run
    report = json.loads(latest.report.read_text(encoding="utf-8"))
    assert report["built"] is False and report["success"] is True
    assert json.loads(build.report.read_text(encoding="utf-8"))["built"] is True
    assert "Warehouse up to date" in sample["second"].stdout


def test_status_describes_the_sample(sample: dict) -> None:
    with english():
        out = edustat("status", home=sample["home"])
    print(out.stdout)
    for text in ("Loaded", "Files", "Colleges per round", ROUND, "Last build", "Published"):
        assert text in out.stdout, text
    assert "every file is in the registry" in out.stdout


def _context(instance: DagsterInstance, home: Path):  # type: ignore[no-untyped-def]
    return build_sensor_context(instance=instance, resources={"home": HomeResource(root=str(home))})


def _requests(result: object) -> list[RunRequest]:
    if isinstance(result, SkipReason) or result is None:
        return []
    if isinstance(result, RunRequest):
        return [result]
    return list(getattr(result, "run_requests", None) or [])


def test_the_daemon_redoes_nothing_and_takes_a_dropped_file_to_the_snapshot(
    sample: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.definitions import defs

    home_path: Path = sample["home"]
    home = Home(home_path)
    monkeypatch.setenv("EDUSTAT_HOME", str(home_path))
    monkeypatch.setenv("DAGSTER_HOME", str(home.dagster_home))
    with DagsterInstance.from_config(str(home.dagster_home)) as instance:
        # Right after `edustat run`: nothing to do.
        assert _requests(landing_sensor(_context(instance, home_path))) == []
        assert _requests(build_sensor(_context(instance, home_path))) == []

        shutil.copy2(sample["aside"], sample["held"])  # a college submits
        [ingest] = _requests(landing_sensor(_context(instance, home_path)))
        assert (ingest.job_name, ingest.partition_key) == ("ingest_nobd", ROUND)
        resources = default_resources(home)

        def launch(request: RunRequest) -> None:
            job = defs.resolve_job_def(request.job_name)
            result = job.execute_in_process(
                instance=instance,
                partition_key=request.partition_key,
                tags=request.tags,
                resources=resources,
                raise_on_error=False,
            )
            assert result.success, request.job_name

        assert _requests(build_sensor(_context(instance, home_path))) == []  # not ingested yet
        launch(ingest)
        assert _requests(landing_sensor(_context(instance, home_path))) == []
        [build] = _requests(build_sensor(_context(instance, home_path)))
        assert build.job_name == build_job.name
        launch(build)
        assert _requests(build_sensor(_context(instance, home_path))) == []
        assert _requests(landing_sensor(_context(instance, home_path))) == []

    path = sample["held"].relative_to(home.landing).as_posix()
    with duckdb.connect(str(current_database(home)), read_only=True) as con:
        rows = con.execute(
            "SELECT count(*) FROM raw.nobd_students WHERE _file_path = ?", [path]
        ).fetchall()[0][0]
        status = con.execute(
            "SELECT status FROM raw.landing_files WHERE path = ?", [path]
        ).fetchall()
    assert rows > 0
    assert status and status[0][0] in ("loaded", "held_back")
