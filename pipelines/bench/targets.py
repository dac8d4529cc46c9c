"""Issue 9's and 17's targets, as written (never loosened here), and the statistics over runs."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    metric: str
    op: str  # "<=", "<", ">="
    bound: float
    text: str
    key: str = ""  # where latest.json lists it; the metric's name unless a metric has two

    @property
    def name(self) -> str:
        return self.key or self.metric

    def check(self, value: float | None) -> bool | None:
        if value is None:
            return None
        if self.op == "<=":
            return value <= self.bound
        if self.op == "<":
            return value < self.bound
        return value >= self.bound


TARGETS: tuple[Target, ...] = (
    Target("ingest_vs_floor_ratio", "<=", 2.0, "ingest ≤ 2× raw floor"),
    Target("speedup_vs_statistician_loader", ">=", 5.0, "loader ÷ ingest ≥ 5"),
    Target("e2e_vs_statistician_loader", "<=", 1.0, "edustat run ÷ loader ≤ 1.0"),
    Target("e2e_seconds", "<", 120.0, "edustat run < 120 s"),
    Target("rerun_seconds", "<", 10.0, "unchanged rerun < 10 s"),
    Target("peak_rss_mb", "<", 2000.0, "peak RSS < 2 GB"),
    Target("rss_growth_4x", "<", 1.25, "peak RSS growth 1×→4× < 25%"),
    # Issue 17: tighter bounds on the same figures, and the new ones.
    Target("e2e_seconds", "<=", 60.0, "edustat run ≤ 60 s (17)", "e2e_seconds_17"),
    Target(
        "e2e_vs_statistician_loader", "<=", 0.6, "edustat run ÷ loader ≤ 0.6 (17)", "e2e_loader_17"
    ),
    Target("resubmit_seconds", "<=", 15.0, "one resubmitted file → published ≤ 15 s (17)"),
    Target("rerun_seconds", "<=", 5.0, "unchanged rerun ≤ 5 s (17)", "rerun_seconds_17"),
    Target("peak_rss_mb", "<=", 1000.0, "peak RSS ≤ 1 GB (17)", "peak_rss_mb_17"),
    Target("large_file_peak_rss_mb", "<=", 1000.0, "1,000,000-row file: peak RSS ≤ 1 GB (17)"),
    Target("rss_growth_4x", "<=", 1.1, "peak RSS growth 1×→4× ≤ 1.1 (17)", "rss_growth_4x_17"),
)


def stats(values: list[float]) -> dict[str, float | int | list[float] | None]:
    """median, min, max (and the values) of the runs that produced a number."""
    vals = [v for v in values if v is not None]
    if not vals:
        return {"median": None, "min": None, "max": None, "n": 0, "values": []}
    return {
        "median": statistics.median(vals),
        "min": min(vals),
        "max": max(vals),
        "n": len(vals),
        "values": [round(v, 4) for v in vals],
    }
