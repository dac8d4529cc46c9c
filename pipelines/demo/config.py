"""Generator options and the parsing of the CLI's `--scale` and `--years` values."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

# Colleges per named scale; national ≈ the real 770–830 TVET colleges (DOMAIN.md "Scale").
SCALES = {"sample": 100, "national": 800}
# Mean students per college per round at national scale: ~500,000 students / ~800 colleges.
NATIONAL_MEAN_STUDENTS = 625


@dataclass(frozen=True)
class Options:
    seed: int = 42
    n_colleges: int = SCALES["sample"]
    scale: str = "sample"
    first_year: int = 2022
    last_year: int = 2024
    jobs: int = 0  # 0 = decide from the work size and os.cpu_count()

    @property
    def national_sizing(self) -> bool:
        """Realistic college sizes (~625 students) instead of the small 30–120 sample sizes."""
        return self.scale == "national"

    def worker_count(self, rows_in_round: int) -> int:
        """Processes for writing one round: a pool only pays off for large rounds."""
        if self.jobs:
            return max(1, self.jobs)
        if rows_in_round < 40_000:
            return 1
        return max(1, min(4, os.cpu_count() or 1))


def parse_scale(text: str) -> tuple[str, int]:
    """`sample` | `national` | a positive integer number of colleges -> (scale name, colleges)."""
    value = text.strip().lower()
    if value in SCALES:
        return value, SCALES[value]
    if value.isdigit() and int(value) > 0:
        return value, int(value)
    raise ValueError(f"--scale must be 'sample', 'national' or a number of colleges, not {text!r}")


_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$")


def parse_years(text: str) -> tuple[int, int]:
    """`2022-2024` -> (2022, 2024): academic years 2022-2023 … 2024-2025; `2024` -> (2024, 2024)."""
    m = _YEARS.match(text)
    if not m:
        raise ValueError(f"--years must look like 2022-2024 or 2024, not {text!r}")
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if last < first:
        raise ValueError(f"--years: {last} is before {first}")
    return first, last
