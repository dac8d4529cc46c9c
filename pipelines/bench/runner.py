"""`edustat bench`: the pipeline, the raw floor and the statistician's loader on the same files.

Each of `runs` rounds measures, back to back (so they share the machine's load of the moment):
a cold `edustat run` on a fresh EDUSTAT_HOME, a second unchanged `edustat run` on the same home,
the raw floor (`pipelines.bench.floor`) and the statistician's loader — each in its own process,
its tree's RSS sampled. Ratios are taken within a round, then their median over the rounds.
Scaling then runs one cold `edustat run` on 4× the colleges. Results: a rich table and
EDUSTAT_HOME/bench/latest.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console

from pipelines.bench import data, large_file, source
from pipelines.bench.measure import run_reporting
from pipelines.bench.pipeline import INGEST_STEPS, PHASES, RunResult, fresh_home, run_edustat
from pipelines.bench.resubmit import run_resubmit
from pipelines.bench.source import Code
from pipelines.bench.targets import TARGETS, stats
from pipelines.contracts import all_contracts
from pipelines.ingest.loader import DEFAULT_WORKERS
from pipelines.settings import REPO_ROOT, Home

LATEST = "latest.json"
DEFAULT_TIMEOUT_S = 3600.0
NOBD_SOURCE = "nobd_submission"


@dataclass(frozen=True)
class BenchOptions:
    scale: str = "national"
    runs: int = 3
    seed: int = 42
    skip_scaling: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    workers: int = DEFAULT_WORKERS  # the ingest's pool size, used by the floor
    code: str = "head"  # pipelines.bench.source: the committed HEAD, or the worktree as is
    large_rows: int = large_file.ROWS  # rows of the one-large-file measure's students sheet


def machine_info() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 1e9, 2),
        "ram_available_gb": round(psutil.virtual_memory().available / 1e9, 2),
        "load_average": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "bytecode": bytecode_info(),
    }


def bytecode_info() -> dict[str, Any]:
    """Whether imports can use compiled bytecode: without it every process (edustat, each dbt
    call, GX's import) compiles its libraries from source, measured at ~17 s of a national run."""
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    return {
        "PYTHONDONTWRITEBYTECODE": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        "PYTHONPYCACHEPREFIX": os.environ.get("PYTHONPYCACHEPREFIX"),
        "site_packages_pyc_files": sum(1 for _ in site.rglob("*.pyc")),
        "site_packages_py_files": sum(1 for _ in site.rglob("*.py")),
    }


def git_info() -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return out.stdout.strip()

    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {"commit": git("rev-parse", "HEAD") or None, "dirty_files": len(changed)}


def _load1() -> float:
    return round(os.getloadavg()[0], 2)


def run_floor(
    landing: Path, work: Path, log: Path, workers: int, timeout: float, code: Code
) -> dict[str, Any]:
    m, result = run_reporting(
        [sys.executable, "-m", "pipelines.bench.floor", str(landing), "--workers", str(workers)],
        work / "floor.json",
        env=code.env(),
        cwd=code.root,
        log=log,
        timeout_s=timeout,
    )
    return {
        **result,
        "ok": m.returncode == 0 and bool(result),
        "wall_seconds": m.wall_s,
        "peak_rss_mb": m.peak_rss_mb,
    }


def run_loader(landing: Path, work: Path, log: Path, timeout: float, code: Code) -> dict[str, Any]:
    out, db = work / "loader.json", work / "statistician.duckdb"
    m, result = run_reporting(
        [sys.executable, "-m", "pipelines.bench.statistician_loader", str(landing), str(db)],
        out,
        env=code.env(),
        cwd=code.root,
        log=log,
        timeout_s=timeout,
    )
    db.unlink(missing_ok=True)
    return {
        **result,
        "ok": m.returncode == 0 and bool(result),
        "wall_seconds": m.wall_s,
        "peak_rss_mb": m.peak_rss_mb,
    }


def raw_row_counts(home: Path) -> dict[str, int]:
    """Rows per raw table of a finished run's warehouse (the loader's counts sit next to it)."""
    import duckdb

    path = home / "warehouse.duckdb"
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        present = {
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
            ).fetchall()
        }
        sheets = {s.raw_table for c in all_contracts().values() for s in c.sheets}
        return {
            t: con.execute(f'SELECT count(*) FROM raw."{t}"').fetchall()[0][0]
            for t in sorted(sheets & present)
        }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def round_metrics(
    cold: RunResult,
    rerun: RunResult,
    floor: dict[str, Any],
    loader: dict[str, Any],
    resubmit: dict[str, Any] | None = None,
) -> dict[str, float | None]:
    """The numbers of one bench round (one cold run, its rerun, one floor, one loader, one
    resubmitted file)."""
    m: dict[str, float | None] = {}
    ingest = cold.ingest_seconds() or None
    floor_s = floor.get("seconds") if floor.get("ok") else None
    loader_s = loader.get("seconds") if loader.get("ok") else None
    m["e2e_seconds"] = cold.measured.wall_s
    m["e2e_pipeline_seconds"] = (cold.report or {}).get("pipeline_seconds")
    m["startup_and_overhead_seconds"] = cold.measured.wall_s - sum(cold.steps.values())
    m["rerun_seconds"] = rerun.measured.wall_s
    m["peak_rss_mb"] = cold.measured.peak_rss_mb
    m["rerun_peak_rss_mb"] = rerun.measured.peak_rss_mb
    m["ingest_seconds"] = ingest
    phases, peaks = cold.phase_seconds(), cold.phase_peaks()
    for phase in PHASES:
        m[f"{phase}_seconds"] = phases.get(phase)
        m[f"{phase}_peak_rss_mb"] = peaks.get(phase)
    m["ingest_peak_rss_mb"] = max(
        (v for k, v in peaks.items() if k.startswith("ingest_")), default=None
    )
    for key, st in cold.partition_stats().items():
        source, part = key.split("/", 1)
        if source != NOBD_SOURCE:
            continue
        m[f"ingest_round[{part}]_seconds"] = st["seconds"]
        m[f"ingest_round[{part}]_peak_rss_mb"] = st["peak_rss_mb"]
        fp = floor.get("partitions", {}).get(key, {})
        m[f"floor_round[{part}]_seconds"] = fp.get("seconds")
        m[f"ingest_vs_floor_round[{part}]"] = _ratio(st["seconds"], fp.get("seconds"))
    m["floor_seconds"] = floor_s
    m["floor_peak_rss_mb"] = floor.get("peak_rss_mb")
    m["loader_seconds"] = loader_s
    m["loader_wall_seconds"] = loader.get("wall_seconds")
    m["loader_peak_rss_mb"] = loader.get("peak_rss_mb")
    m["ingest_vs_floor_ratio"] = _ratio(ingest, floor_s)
    m["speedup_vs_statistician_loader"] = _ratio(loader_s, ingest)
    m["e2e_vs_statistician_loader"] = _ratio(cold.measured.wall_s, loader_s)
    ok = resubmit is not None and resubmit.get("success")
    m["resubmit_seconds"] = resubmit["wall_seconds"] if ok else None
    m["resubmit_ingest_seconds"] = resubmit["ingest_seconds"] if ok else None
    m["resubmit_peak_rss_mb"] = resubmit["peak_rss_mb"] if ok else None
    return m


def _say(console: Console, text: str) -> None:
    console.print(f"[dim]{datetime.now().strftime('%H:%M:%S')}[/dim] {text}")


def _run_line(label: str, r: RunResult) -> str:
    state = "ok" if r.success else "[red]FAILED[/red]"
    return (
        f"{label}: {state} {r.measured.wall_s:.1f} s, peak RSS {r.measured.peak_rss_mb:.0f} MB"
        + (f" — {r.errors[0]}" if r.errors else "")
    )


def run_bench(home: Home, opts: BenchOptions, console: Console) -> dict[str, Any]:
    """Measure everything; write EDUSTAT_HOME/bench/latest.json; return its content."""
    bench_root = home.bench
    work = bench_root / "work"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    log.write_text("", encoding="utf-8")
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    machine = machine_info()
    git = git_info()
    _say(console, f"load average at start: {machine['load_average']} on "
         f"{machine['cores_logical']} cores")  # fmt: skip
    bc = machine["bytecode"]
    if bc["site_packages_pyc_files"] < bc["site_packages_py_files"] // 10:
        console.print(
            "[yellow]note:[/yellow] the venv holds almost no compiled bytecode"
            + (" and PYTHONDONTWRITEBYTECODE is set" if bc["PYTHONDONTWRITEBYTECODE"] else "")
            + ": every measured process compiles its imports (see README, Performance)"
        )

    code = source.prepare(opts.code, bench_root, log)
    states = [source.tree_state()]
    _say(console, f"code: {opts.code} ({code.root}, commit {(code.commit or '?')[:10]})")
    spec = data.spec_for(opts.scale, opts.seed)
    _say(console, f"dataset {spec.folder}: {spec.colleges} colleges (cached if present)")
    dataset = data.ensure(bench_root, spec, log)
    ds_summary = dataset.summary()
    _say(console, f"dataset: {ds_summary['files']} files, {ds_summary['bytes'] / 1e6:.1f} MB")

    rounds: list[dict[str, Any]] = []
    metrics_per_round: list[dict[str, float | None]] = []
    rows: dict[str, Any] = {}
    for i in range(opts.runs):
        tag = f"[{i + 1}/{opts.runs}]"
        load_before = _load1()
        run_home = fresh_home(work / "home", dataset.landing)
        states.append(source.tree_state())
        cold = run_edustat(run_home, log, opts.timeout_s, code)
        _say(console, _run_line(f"{tag} edustat run (empty warehouse)", cold))
        if i == 0:
            rows["pipeline_raw"] = raw_row_counts(run_home)
        rerun = run_edustat(run_home, log, opts.timeout_s, code)
        _say(console, _run_line(f"{tag} edustat run (unchanged)", rerun))
        resubmit = run_resubmit(run_home, log, opts.timeout_s, code)
        _say(console, f"{tag} one resubmitted file until the new published/current: "
             f"{'ok' if resubmit['success'] else '[red]FAILED[/red]'} "
             f"{resubmit['wall_seconds']:.1f} s")  # fmt: skip
        floor = run_floor(dataset.landing, work, log, opts.workers, opts.timeout_s, code)
        _say(console, f"{tag} raw floor: {floor.get('seconds', float('nan')):.1f} s")
        loader = run_loader(dataset.landing, work, log, opts.timeout_s, code)
        _say(console, f"{tag} statistician's loader: {loader.get('seconds', float('nan')):.1f} s")
        if i == 0:
            rows["statistician_loader"] = loader.get("rows")
            rows["statistician_loader_skipped_files"] = loader.get("skipped")
            rows["floor_rows_read"] = floor.get("rows")
        metrics_per_round.append(round_metrics(cold, rerun, floor, loader, resubmit))
        rounds.append(
            {
                "load_1m_before": load_before,
                "load_1m_after": _load1(),
                "cold": cold.summary(),
                "rerun": rerun.summary(),
                "resubmit": resubmit,
                "floor": {k: v for k, v in floor.items() if k != "partitions"}
                | {"partitions": floor.get("partitions")},
                "loader": loader,
            }
        )

    large = large_file.run_large_file(
        bench_root, dataset, work, log, opts.timeout_s, code, opts.large_rows
    )
    seconds = large.get("seconds", float("nan"))
    _say(console, f"one file of {opts.large_rows:,} rows: {seconds:.1f} s, "
         f"peak RSS {large['peak_rss_mb']:.0f} MB")  # fmt: skip

    scaling = None
    if not opts.skip_scaling:
        states.append(source.tree_state())
        scaling = _scaling(bench_root, work, log, opts, code, metrics_per_round, console)
    states.append(source.tree_state())
    warnings: list[str] = []
    if opts.code == "worktree" and len(set(states)) > 1:
        warnings.append(
            "the working tree changed while the bench ran: its numbers mix code versions "
            "(use --code head to measure one commit)"
        )
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")

    names = list(dict.fromkeys(k for m in metrics_per_round for k in m))
    metrics = {n: stats([m.get(n) for m in metrics_per_round]) for n in names}
    large_ok = large["ok"]
    metrics["large_file_seconds"] = stats([large.get("seconds") if large_ok else None])
    metrics["large_file_peak_rss_mb"] = stats([large["peak_rss_mb"] if large_ok else None])
    if scaling is not None:
        for key in ("rss_growth_4x", "ingest_rss_growth_4x", "ingest_time_growth_4x"):
            metrics[key] = stats([scaling.get(key)])
    headline = {t.metric: metrics.get(t.metric, {}).get("median") for t in TARGETS}
    all_ok = all(r["cold"]["success"] and r["rerun"]["success"] for r in rounds)
    scaling_ok = scaling is None or scaling["run"]["success"]
    targets = {}
    for t in TARGETS:
        value = headline[t.metric]
        ok = t.check(value)
        valid = {"rss_growth_4x": scaling_ok, "large_file_peak_rss_mb": large_ok}.get(
            t.metric, all_ok
        )
        if t.metric == "rss_growth_4x" and scaling is None:
            status = "SKIPPED"
        elif ok is None:
            status = "MISS"  # no number is a miss, never a pass
        else:
            status = "PASS" if ok and valid else "MISS"
        targets[t.name] = {
            "target": f"{t.op} {t.bound:g}",
            "text": t.text,
            "value": value,
            "status": status,
            "note": None if valid else "a measured run failed: its number does not count",
        }
    result: dict[str, Any] = {
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in headline.items()},
        "all_runs_succeeded": all_ok,
        "targets": targets,
        "metrics": metrics,
        "scale": opts.scale,
        "runs": opts.runs,
        "seed": opts.seed,
        "dataset": ds_summary,
        "rows": rows,
        "scaling": scaling,
        "large_file": large,
        "machine": machine | {"load_average_end": [round(x, 2) for x in os.getloadavg()]},
        "git": git,
        "code": {
            "mode": opts.code,
            "root": str(code.root),
            "commit": code.commit,
            "worktree_states": list(dict.fromkeys(states)),
        },
        "warnings": warnings,
        "started_at": started.isoformat(timespec="seconds"),
        "bench_seconds": round(time.perf_counter() - t_start, 1),
        "method": {
            "pipeline": "`edustat run --quiet` subprocess on a fresh EDUSTAT_HOME (landing/ "
            "hard-linked to the cached dataset); e2e/rerun = process wall time incl. start-up",
            "peak_rss": "sum of RSS over the process tree, sampled every 50 ms (psutil), "
            "decimal MB; max'ed with wait4 ru_maxrss",
            "steps": "per-step seconds from logs/latest/edustat-run.json; step windows and "
            "per-round windows from the Dagster event log",
            "ingest": " + ".join(INGEST_STEPS) + " steps",
            "floor": f"pipelines.bench.floor: read_cells on every file, {opts.workers} threads, "
            "per partition like the ingest",
            "loader": "pipelines.bench.statistician_loader.load, in-process time (excl. imports)",
            "ratios": "per bench round, then the median",
            "resubmit": "per round, after the unchanged rerun: the first NOBD file copied as its "
            "college's next version into the built home, then `edustat run` (wall) until "
            "published/current points at a new snapshot (pipelines/bench/resubmit.py)",
            "large_file": "once: one NOBD workbook whose students sheet has `file_rows` rows "
            "(pipelines/bench/large_file.py), ingested alone into a fresh warehouse in its own "
            "process; seconds in-process, peak RSS of the process tree",
        },
        "rounds": rounds,
    }
    path = bench_root / LATEST
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    result["_path"] = str(path)
    return result


def _scaling(
    bench_root: Path,
    work: Path,
    log: Path,
    opts: BenchOptions,
    code: Code,
    base: list[dict[str, float | None]],
    console: Console,
) -> dict[str, Any]:
    spec = data.spec_for(opts.scale, opts.seed, multiplier=4)
    _say(console, f"scaling dataset {spec.folder}: {spec.colleges} colleges (cached if present)")
    dataset = data.ensure(bench_root, spec, log)
    run_home = fresh_home(work / "home-x4", dataset.landing)
    cold = run_edustat(run_home, log, opts.timeout_s, code)
    _say(console, _run_line("4× edustat run (empty warehouse)", cold))
    peaks = cold.phase_peaks()
    ingest_peak_4x = max((v for k, v in peaks.items() if k.startswith("ingest_")), default=None)
    peak_1x = stats([m.get("peak_rss_mb") for m in base])["median"]
    ingest_peak_1x = stats([m.get("ingest_peak_rss_mb") for m in base])["median"]
    ingest_1x = stats([m.get("ingest_seconds") for m in base])["median"]
    ingest_4x = cold.ingest_seconds() or None
    summary = cold.summary()
    return {
        "dataset": dataset.summary(),
        "run": summary,
        "peak_rss_mb_1x": peak_1x,
        "peak_rss_mb_4x": cold.measured.peak_rss_mb,
        "rss_growth_4x": _ratio(cold.measured.peak_rss_mb, peak_1x),  # type: ignore[arg-type]
        "ingest_peak_rss_mb_1x": ingest_peak_1x,
        "ingest_peak_rss_mb_4x": ingest_peak_4x,
        "ingest_rss_growth_4x": _ratio(ingest_peak_4x, ingest_peak_1x),  # type: ignore[arg-type]
        "ingest_seconds_1x": ingest_1x,
        "ingest_seconds_4x": ingest_4x,
        "ingest_time_growth_4x": _ratio(ingest_4x, ingest_1x),  # type: ignore[arg-type]
        "phase_peak_rss_mb_4x": summary["phase_peak_rss_mb"],
        "phases_4x": summary["phases"],
    }


def print_report(result: dict[str, Any], console: Console) -> None:
    from pipelines.bench.table import render

    console.print(render(result))
    console.print(f"JSON: {result.get('_path')}")
