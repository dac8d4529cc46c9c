"""`edustat bench`: the parts on tiny data, then the command end to end at a tiny scale.

No timing assertions: only that every number is measured (present and positive) and that the
JSON has the keys issue 9 asks for.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import edustat
from rich.console import Console

from pipelines.bench import data, floor, source, statistician_loader
from pipelines.bench.measure import run_measured
from pipelines.bench.pipeline import RunResult, StepWindow, phase_of
from pipelines.bench.runner import round_metrics
from pipelines.bench.table import render
from pipelines.bench.targets import TARGETS, stats

HEADLINE = (
    "ingest_vs_floor_ratio",
    "speedup_vs_statistician_loader",
    "e2e_seconds",
    "rerun_seconds",
    "peak_rss_mb",
    "e2e_vs_statistician_loader",
    "rss_growth_4x",
    "large_file_peak_rss_mb",
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> data.Dataset:
    """12 colleges, one academic year, generated through the bench's cache."""
    root = tmp_path_factory.mktemp("bench")
    return data.ensure(root, data.spec_for("12", seed=3))


def test_dataset_is_cached(tiny: data.Dataset) -> None:
    again = data.ensure(tiny.root.parent.parent, tiny.spec)
    assert again.generated_s is None  # reused: the manifest exists
    assert tiny.root.name == "12-3"
    summary = tiny.summary()
    assert summary["files"] > 24 and summary["bytes"] > 0
    assert summary["rounds"] == ["2024-autumn", "2025-spring"]


def test_scaling_spec_keeps_the_sizing() -> None:
    national = data.spec_for("national", 1, multiplier=4)
    assert (national.colleges, national.scale_name, national.folder) == (
        3200,
        "national",
        "national-x4-1",
    )
    assert data.spec_for("12", 1, multiplier=4).colleges == 48


def test_measure_samples_the_process_tree(tmp_path: Path) -> None:
    code = (
        "import subprocess, sys, time; b = bytearray(60_000_000); "
        "subprocess.run([sys.executable, '-c', 'import time; c = bytearray(60_000_000); "
        "time.sleep(0.6)']); time.sleep(0.1)"
    )
    m = run_measured([sys.executable, "-c", code], log=tmp_path / "log")
    assert m.returncode == 0 and m.wall_s > 0.6
    assert m.peak_rss_mb > 120  # parent + child, summed
    assert m.peak_between(m.started_at, m.started_at + 60) == max(r for _, r in m.samples) / 1e6


def test_floor_reads_every_file(tiny: data.Dataset) -> None:
    result = floor.read_all(tiny.landing)
    assert result["files"] == len(tiny.files())
    assert result["rows"] > 0 and result["seconds"] > 0
    assert "nobd_submission/2024-autumn" in result["partitions"]


def test_statistician_loader_loads_every_table(tiny: data.Dataset, tmp_path: Path) -> None:
    skipped: list[str] = []
    counts = statistician_loader.load(tiny.landing, tmp_path / "s.duckdb", skipped)
    assert {"nobd_students", "nobd_header", "passports", "worldskills_results"} <= set(counts)
    assert all(n > 0 for n in counts.values())


def test_head_snapshot_is_importable(tmp_path: Path) -> None:
    """--code head: the committed tree, exported once, first on PYTHONPATH, manifest parsed."""
    import subprocess

    code = source.prepare("head", tmp_path)
    assert code.commit and code.root == tmp_path / "src" / code.commit[:12]
    assert (code.root / "dbt_project" / "target" / "manifest.json").exists()
    out = subprocess.run(
        [sys.executable, "-c", "import pipelines; print(pipelines.__file__)"],
        env=code.env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().startswith(str(code.root))
    assert source.prepare("head", tmp_path).root == code.root  # reused
    assert source.tree_state().startswith(code.commit)


def _fake_run(wall: float, rss: int, steps: dict[str, float]) -> RunResult:
    from pipelines.bench.measure import Measured

    m = Measured(wall, 0, 1000.0, [(1000.5, rss), (1001.5, rss // 2)], rss // 3)
    r = RunResult(m, {"success": True, "pipeline_seconds": sum(steps.values())}, steps)
    r.windows = [StepWindow("nobd_submissions", 1000.0, 1001.0, "STEP_SUCCESS")]
    r.partitions = {"nobd_submission/2024-autumn": (1000.0, 1001.0)}
    return r


def test_metrics_targets_and_table() -> None:
    steps = {"nobd_submissions": 3.0, "college_passports": 0.5, "worldskills_exports": 0.5}
    steps |= {"dbt_staging": 4.0, "dq_findings": 2.0, "dq_report_packs": 1.0, "yearbook": 1.0}
    cold, rerun = _fake_run(20.0, 900_000_000, steps), _fake_run(4.0, 300_000_000, {})
    floor_result = {
        "ok": True,
        "seconds": 2.0,
        "peak_rss_mb": 100.0,
        "partitions": {"nobd_submission/2024-autumn": {"seconds": 0.5}},
    }
    loader = {"ok": True, "seconds": 40.0, "wall_seconds": 42.0, "peak_rss_mb": 500.0}
    m = round_metrics(cold, rerun, floor_result, loader)
    assert m["ingest_seconds"] == 4.0
    assert m["ingest_vs_floor_ratio"] == 2.0
    assert m["speedup_vs_statistician_loader"] == 10.0
    assert m["e2e_vs_statistician_loader"] == 0.5
    assert m["peak_rss_mb"] == 900.0
    assert m["ingest_round[2024-autumn]_seconds"] == 1.0
    assert m["ingest_vs_floor_round[2024-autumn]"] == 2.0
    assert phase_of("dbt_marts_2") == "dbt" and phase_of("raw__landing_files") == "landing_sweep"
    assert stats([3.0, 1.0, 2.0])["median"] == 2.0 and stats([])["median"] is None
    by_name = {t.name: t for t in TARGETS}
    assert len(by_name) == len(TARGETS)  # every target has a place of its own in latest.json
    assert by_name["speedup_vs_statistician_loader"].check(5.0) is True
    assert by_name["e2e_seconds"].check(120.0) is False  # strictly below
    assert by_name["e2e_seconds_17"].check(60.0) is True and by_name["resubmit_seconds"].bound == 15
    result = {
        "scale": "x",
        "runs": 1,
        "metrics": {k: stats([v]) for k, v in m.items()},
        "targets": {
            t.name: {"target": "", "text": t.text, "value": 1.0, "status": "MISS", "note": None}
            for t in TARGETS
        },
    }
    console = Console(record=True, width=160)
    console.print(render(result))
    text = console.export_text()
    assert "ingest_vs_floor_ratio" in text and "MISS" in text


def test_edustat_bench_tiny(tmp_path: Path) -> None:
    """The command end to end: 12 colleges, one run, no scaling."""
    out = edustat(
        "bench", "--scale", "12", "--runs", "1", "--skip-scaling", "--seed", "5",
        "--code", "worktree", "--large-rows", "3000", home=tmp_path, timeout=1500,
    )  # fmt: skip
    assert "PASS" in out.stdout or "MISS" in out.stdout
    result = json.loads((tmp_path / "bench" / "latest.json").read_text(encoding="utf-8"))
    assert set(HEADLINE) <= set(result)
    for key in HEADLINE:
        if key == "rss_growth_4x":
            assert result[key] is None  # --skip-scaling
            continue
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["targets"]["rss_growth_4x"]["status"] == "SKIPPED"
    assert result["targets"]["rss_growth_4x_17"]["status"] == "SKIPPED"
    assert {t["status"] for t in result["targets"].values()} <= {"PASS", "MISS", "SKIPPED"}
    machine = result["machine"]
    assert machine["cores_logical"] >= 1 and machine["ram_gb"] > 0
    assert len(machine["load_average"]) == 3
    assert len(result["git"]["commit"]) == 40
    metrics = result["metrics"]
    for key in ("ingest_seconds", "dbt_seconds", "floor_seconds", "loader_seconds"):
        assert metrics[key]["median"] > 0, key
    assert metrics["ingest_round[2024-autumn]_seconds"]["median"] > 0
    assert result["rows"]["pipeline_raw"]["nobd_students"] > 0
    # One resubmitted file into the built warehouse, until a new published/current.
    resubmit = result["rounds"][0]["resubmit"]
    assert resubmit["success"] and resubmit["published_new_snapshot"], resubmit["errors"]
    assert resubmit["file"].startswith("nobd/") and "_v" in resubmit["file"]
    for key in ("resubmit_seconds", "resubmit_ingest_seconds", "resubmit_peak_rss_mb"):
        assert metrics[key]["median"] > 0, key
    # The one large file: generated in the bench's cache, ingested alone, measured.
    large = result["large_file"]
    assert large["ok"] and large["file_rows"] == 3000
    assert large["rows"]["nobd_students"] == 3000
    assert metrics["large_file_seconds"]["median"] > 0
    assert metrics["large_file_peak_rss_mb"]["median"] > 0
    assert result["targets"]["large_file_peak_rss_mb"]["status"] in {"PASS", "MISS"}
    assert (tmp_path / "bench" / "data" / "large-3000-5" / "landing").is_dir()
    assert (tmp_path / "bench" / "data" / "12-5" / "manifest.json").exists()
