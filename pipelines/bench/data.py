"""The benchmark's data: generated once per (scale, seed), cached under EDUSTAT_HOME/bench/data/.

A dataset folder holds `landing/` and the generator's `manifest.json`; the manifest is written
last, so a folder without one is an interrupted generation and is generated again.

Scales follow `edustat demo-data --scale`: `national` (800 colleges, national sizing: ~625
students each, ~500,000 per round), `sample` (100 colleges) or a number of colleges (sample
sizing, 36–110 students each). The scaling step needs 4× the colleges *at the same sizing*:
for `national` that is 3,200 colleges of national size (~2,000,000 students per round), built
through the generator's API, because `demo-data --scale 3200` would switch to sample sizing and
produce fewer students than `national` itself. For a numeric scale N it is simply 4N.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
DEFAULT_YEARS = (2024, 2024)  # one academic year: rounds 2024-autumn and 2025-spring


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate: `scale_name` is the generator's sizing switch ('national' or other)."""

    label: str  # cache folder stem: national, national-x4, 12, 48, sample
    colleges: int
    scale_name: str
    seed: int
    years: tuple[int, int] = DEFAULT_YEARS

    @property
    def folder(self) -> str:
        return f"{self.label}-{self.seed}"


@dataclass(frozen=True)
class Dataset:
    spec: DatasetSpec
    root: Path
    generated_s: float | None  # None: reused from the cache

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def files(self) -> list[Path]:
        return sorted(p for p in self.landing.rglob("*") if p.is_file())

    def summary(self) -> dict[str, object]:
        files = self.files()
        manifest = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        return {
            "label": self.spec.label,
            "path": str(self.root),
            "colleges": self.spec.colleges,
            "sizing": "national" if self.spec.scale_name == "national" else "sample",
            "seed": self.spec.seed,
            "years": f"{self.spec.years[0]}-{self.spec.years[1]}",
            "rounds": manifest.get("rounds"),
            "files": len(files),
            "bytes": sum(p.stat().st_size for p in files),
            "files_by_type": {
                ext: sum(1 for p in files if p.suffix == ext) for ext in (".xlsx", ".csv")
            },
            "generated_seconds": self.generated_s,
        }


def spec_for(scale: str, seed: int, multiplier: int = 1) -> DatasetSpec:
    """`--scale` value (+ the scaling multiplier) -> what to generate."""
    from pipelines.demo.config import parse_scale

    name, colleges = parse_scale(scale)
    if multiplier == 1:
        return DatasetSpec(name, colleges, name, seed)
    if name == "national":
        return DatasetSpec(f"national-x{multiplier}", colleges * multiplier, "national", seed)
    n = colleges * multiplier
    return DatasetSpec(str(n), n, str(n), seed)


def ensure(bench_root: Path, spec: DatasetSpec, log: Path | None = None) -> Dataset:
    """The cached dataset, generated first (in a subprocess) when its manifest is missing."""
    root = bench_root / "data" / spec.folder
    if (root / MANIFEST).exists():
        return Dataset(spec, root, None)
    if root.exists():
        shutil.rmtree(root)  # an interrupted generation: never mix two runs' files
    root.mkdir(parents=True)
    import time

    t0 = time.perf_counter()
    cmd = [
        sys.executable,
        "-m",
        "pipelines.bench.data",
        str(root),
        str(spec.colleges),
        spec.scale_name,
        str(spec.seed),
        str(spec.years[0]),
        str(spec.years[1]),
    ]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        subprocess.run(cmd, check=True, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    finally:
        if log and not isinstance(out, int):
            out.close()
    return Dataset(spec, root, time.perf_counter() - t0)


def _generate(root: Path, colleges: int, scale_name: str, seed: int, first: int, last: int) -> None:
    from pipelines.demo.config import Options
    from pipelines.demo.generate import generate

    summary = generate(root, Options(seed, colleges, scale_name, first, last, 0))
    print(f"wrote {summary.files} files ({summary.bytes / 1e6:.1f} MB) to {root}", flush=True)


if __name__ == "__main__":
    a = sys.argv[1:]
    _generate(Path(a[0]), int(a[1]), a[2], int(a[3]), int(a[4]), int(a[5]))
