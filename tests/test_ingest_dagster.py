"""The Dagster side of the ingest: asset keys, the run plan of `edustat run`, the landing sensor."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, RunRequest, SkipReason, build_sensor_context

from pipelines.assets.ingest import ingest_rounds_job, ingest_years_job, landing_sweep_job
from pipelines.assets.plan import plan_runs
from pipelines.assets.resources import HomeResource
from pipelines.assets.sensors import build_job, landing_sensor
from pipelines.assets.yearbook import yearbook_job
from pipelines.contracts import all_contracts
from pipelines.definitions import defs
from pipelines.ingest.reference import reference_tables

INSTANCE = DagsterInstance.ephemeral()  # no runs in progress


def _touch(landing: Path, rel: str, content: bytes = b"x") -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_raw_asset_keys_are_the_tables_dbt_reads() -> None:
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    expected = {AssetKey(["raw", s.raw_table]) for c in all_contracts().values() for s in c.sheets}
    expected |= {AssetKey(["raw", t]) for t in [*reference_tables(), "landing_files"]}
    assert expected <= keys


def test_plan_runs_contiguous_round_ranges_and_everything_else_once(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for rnd in ("2023-autumn", "2024-spring", "2025-spring"):  # 2024-autumn missing: a gap
        _touch(landing, f"nobd/{rnd}/123456789012_{rnd}_v1.xlsx")
    _touch(landing, "passports/2024/passports_2024.xlsx")
    runs = plan_runs(defs, landing)
    nobd = [r.partition_keys for r in runs if AssetKey(["raw", "nobd_students"]) in r.asset_keys]
    assert nobd == [("2023-autumn", "2024-spring"), ("2025-spring",)]
    years = [r.partition_keys for r in runs if AssetKey(["raw", "passports"]) in r.asset_keys]
    assert years == [("2024",)]
    unpartitioned = [r for r in runs if not r.partition_keys and r.asset_keys]
    # Everything else once, then publishing after the yearbook (which reads the marts).
    assert len(unpartitioned) == 2
    assert AssetKey(["raw", "landing_files"]) in unpartitioned[0].asset_keys
    assert runs[-1].asset_keys == (AssetKey("published_snapshot"),)
    # Every asset and every check of the code location is in exactly one planned run.
    graph = defs.resolve_asset_graph()
    planned = [k for r in runs if r.partition_keys != ("2025-spring",) for k in r.asset_keys]
    assert set(planned) == {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    checks = [c for r in runs if r.partition_keys != ("2025-spring",) for c in r.check_keys]
    assert sorted(checks, key=str) == sorted(set(graph.asset_check_keys), key=str)


def test_landing_sensor_requests_runs_for_files_the_registry_has_not_seen(tmp_path: Path) -> None:
    # No warehouse yet: the registry has seen nothing, so every group needs a run.
    home = HomeResource(root=str(tmp_path))
    landing = tmp_path / "landing"
    f = _touch(landing, "nobd/2024-autumn/123456789012_2024-autumn_v1.xlsx")
    _touch(landing, "passports/2024/passports_2024.xlsx")
    _touch(landing, "stray.txt")

    first = landing_sensor(build_sensor_context(instance=INSTANCE, resources={"home": home}))
    requests = {(r.job_name, r.partition_key) for r in first.run_requests}
    assert requests == {
        (ingest_rounds_job.name, "2024-autumn"),
        (ingest_years_job.name, "2024"),
        (landing_sweep_job.name, None),
    }

    # Nothing ran in between: the same change, the same run keys (Dagster launches a key once).
    again = landing_sensor(build_sensor_context(instance=INSTANCE, resources={"home": home}))
    assert {r.run_key for r in again.run_requests} == {r.run_key for r in first.run_requests}

    f.write_bytes(b"a resubmission with other content")
    changed = landing_sensor(build_sensor_context(instance=INSTANCE, resources={"home": home}))
    request = next(r for r in changed.run_requests if r.partition_key == "2024-autumn")
    assert isinstance(request, RunRequest)
    assert request.job_name == ingest_rounds_job.name
    old_key = next(r.run_key for r in first.run_requests if r.partition_key == "2024-autumn")
    assert request.run_key != old_key


def test_landing_sensor_is_quiet_when_nothing_is_under_landing(tmp_path: Path) -> None:
    home = HomeResource(root=str(tmp_path))
    assert isinstance(
        landing_sensor(build_sensor_context(instance=INSTANCE, resources={"home": home})),
        SkipReason,
    )


@pytest.mark.parametrize(
    "job", [ingest_rounds_job, ingest_years_job, landing_sweep_job, build_job, yearbook_job]
)
def test_sensor_jobs_resolve(job) -> None:  # noqa: ANN001
    assert defs.resolve_job_def(job.name) is not None
