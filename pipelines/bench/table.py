"""The bench result as rich tables: measurements (median, min, max) and targets (PASS/MISS)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table

from pipelines.bench.pipeline import PHASES

_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "edustat run",
        (
            "e2e_seconds",
            "e2e_pipeline_seconds",
            "startup_and_overhead_seconds",
            "rerun_seconds",
            "peak_rss_mb",
            "rerun_peak_rss_mb",
        ),
    ),
    (
        "steps of the cold run",
        (
            "ingest_seconds",
            "ingest_peak_rss_mb",
            *(f"{p}_seconds" for p in PHASES),
            *(f"{p}_peak_rss_mb" for p in PHASES),
        ),
    ),
    ("per round", ()),  # filled from the metric names (ingest_round[…])
    (
        "one resubmitted file (built warehouse → new published/current)",
        ("resubmit_seconds", "resubmit_ingest_seconds", "resubmit_peak_rss_mb"),
    ),
    ("one large file (ingest alone)", ("large_file_seconds", "large_file_peak_rss_mb")),
    ("raw floor", ("floor_seconds", "floor_peak_rss_mb")),
    ("statistician's loader", ("loader_seconds", "loader_wall_seconds", "loader_peak_rss_mb")),
    (
        "ratios",
        (
            "ingest_vs_floor_ratio",
            "speedup_vs_statistician_loader",
            "e2e_vs_statistician_loader",
        ),
    ),
    ("scaling (1 run at 4×)", ("rss_growth_4x", "ingest_rss_growth_4x", "ingest_time_growth_4x")),
)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def _unit(name: str) -> str:
    if name.endswith("_seconds"):
        return "s"
    if name.endswith("_mb"):
        return "MB"
    return "×"


def measurements(result: dict[str, Any]) -> Table:
    ds = result.get("dataset", {})
    table = Table(
        title=(
            f"edustat bench — {result.get('scale')} ({ds.get('colleges')} colleges, "
            f"{ds.get('files')} files, {(ds.get('bytes') or 0) / 1e6:.0f} MB), "
            f"{result.get('runs')} run(s)"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("measure")
    table.add_column("unit")
    for col in ("median", "min", "max"):
        table.add_column(col, justify="right")
    metrics: dict[str, dict[str, Any]] = result.get("metrics", {})
    per_round = tuple(sorted(k for k in metrics if "round[" in k))
    for title, names in _SECTIONS:
        names = per_round if title == "per round" else names
        shown = [n for n in names if n in metrics and metrics[n].get("n")]
        if not shown:
            continue
        table.add_row(f"[bold]{title}[/bold]", "", "", "", "")
        for n in shown:
            s = metrics[n]
            table.add_row(f"  {n}", _unit(n), _fmt(s["median"]), _fmt(s["min"]), _fmt(s["max"]))
    return table


def targets(result: dict[str, Any]) -> Table:
    m = result.get("machine", {})
    table = Table(
        title=(
            f"targets (medians) — {m.get('cores_logical')} cores, {m.get('ram_gb')} GB RAM, "
            f"load average at start {m.get('load_average')}, "
            f"commit {(result.get('git', {}).get('commit') or '?')[:10]}"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("target")
    table.add_column("value", justify="right")
    table.add_column("result")
    for t in result.get("targets", {}).values():
        status = t["status"]
        colour = {"PASS": "green", "MISS": "red"}.get(status, "yellow")
        note = f" ({t['note']})" if t.get("note") else ""
        table.add_row(t["text"], _fmt(t["value"]), f"[{colour}]{status}[/{colour}]{note}")
    return table


def render(result: dict[str, Any]) -> Group:
    return Group(measurements(result), targets(result))
