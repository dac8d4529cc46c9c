"""The Dagster side of the ingest: asset keys, the run plan of `edustat run`, the landing sensor."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, RunRequest, SkipReason, build_sensor_context

from pipelines.assets.ingest import INGEST_JOBS, landing_sweep_job
from pipelines.assets.jobs import build_job, publish_job, run_order, warehouse_job
from pipelines.assets.resources import HomeResource
from pipelines.assets.sensors import landing_sensor
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


def test_run_order_contiguous_ranges_per_source_then_the_build_once(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for rnd in ("2023-autumn", "2024-spring", "2025-spring"):  # 2024-autumn missing: a gap
        _touch(landing, f"nobd/{rnd}/123456789012_{rnd}_v1.xlsx")
    _touch(landing, "passports/2024/passports_2024.xlsx")
    runs = run_order(landing)
    by_job = [(r.job_name, r.partition_keys) for r in runs]
    assert by_job == [
        ("ingest_nobd", ("2023-autumn", "2024-spring")),
        ("ingest_nobd", ("2025-spring",)),
        ("ingest_passports", ("2024",)),  # no CIS export: no worldskills run
        (warehouse_job.name, ()),
        ("yearbook_job", ("2024-2025",)),
        (publish_job.name, ()),  # after the yearbook: a failed yearbook publishes nothing
    ]


def test_run_order_ingests_only_the_partitions_with_changes(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for rnd in ("2023-autumn", "2024-spring", "2024-autumn"):
        _touch(landing, f"nobd/{rnd}/123456789012_{rnd}_v1.xlsx")
    _touch(landing, "passports/2024/passports_2024.xlsx")
    runs = run_order(landing, ingest={("nobd_submission", "2024-spring")})
    assert [(r.job_name, r.partition_keys) for r in runs][:2] == [
        ("ingest_nobd", ("2024-spring",)),
        (warehouse_job.name, ()),
    ]
    assert [r.job_name for r in run_order(landing, ingest=set())][0] == warehouse_job.name


def test_the_jobs_of_edustat_run_cover_every_asset_and_check_once() -> None:
    jobs = [*INGEST_JOBS.values(), warehouse_job, yearbook_job, publish_job]
    assets: list[AssetKey] = []
    checks: list[object] = []
    for job in jobs:
        layer = defs.resolve_job_def(job.name).asset_layer
        assets += layer.selected_asset_keys
        checks += layer.asset_graph.asset_check_keys  # the checks this job's graph executes
    graph = defs.resolve_asset_graph()
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert sorted(assets) == sorted(materializable)
    assert sorted(checks, key=str) == sorted(graph.asset_check_keys, key=str)


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
        ("ingest_nobd", "2024-autumn"),
        ("ingest_passports", "2024"),
        (landing_sweep_job.name, None),
    }

    # Nothing ran in between: the same change, the same run keys (Dagster launches a key once).
    again = landing_sensor(build_sensor_context(instance=INSTANCE, resources={"home": home}))
    assert {r.run_key for r in again.run_requests} == {r.run_key for r in first.run_requests}

    f.write_bytes(b"a resubmission with other content")
    changed = landing_sensor(build_sensor_context(instance=INSTANCE, resources={"home": home}))
    request = next(r for r in changed.run_requests if r.partition_key == "2024-autumn")
    assert isinstance(request, RunRequest)
    assert request.job_name == "ingest_nobd"
    old_key = next(r.run_key for r in first.run_requests if r.partition_key == "2024-autumn")
    assert request.run_key != old_key


def test_landing_sensor_is_quiet_when_nothing_is_under_landing(tmp_path: Path) -> None:
    home = HomeResource(root=str(tmp_path))
    assert isinstance(
        landing_sensor(build_sensor_context(instance=INSTANCE, resources={"home": home})),
        SkipReason,
    )


@pytest.mark.parametrize("job", [*INGEST_JOBS.values(), landing_sweep_job, build_job, yearbook_job])
def test_sensor_jobs_resolve(job) -> None:  # noqa: ANN001
    assert defs.resolve_job_def(job.name) is not None
