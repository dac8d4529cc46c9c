"""Where things live. Runtime data sits under EDUSTAT_HOME (default ./var), with fixed names."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.quality.rules import DEFECTIVE_ROWS_SHARE

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
REFERENCE_DIR = REPO_ROOT / "sources" / "reference"


def cache_dir() -> Path:
    """This user's cache of outputs keyed by their inputs (the dbt docs of a schema), shared by
    every home on the machine: `$XDG_CACHE_HOME/edustat`, by default `~/.cache/edustat`. Deleting
    it only costs time."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edustat"


# DuckDB's memory cap for the pipeline's connections to the warehouse (the Dagster resource and
# dbt). DuckDB's own default is 80% of RAM, which it keeps as cache; above the cap it spills to
# disk instead, so the build's memory does not grow with the size of the country.
DUCKDB_MEMORY_LIMIT_ENV = "EDUSTAT_DUCKDB_MEMORY_LIMIT"
# The warehouse file of a dbt step, set by the Dagster step to its DuckDB resource's file
# (pipelines/assets/warehouse.py) and read by dbt's plugin (pipelines/dbt_warehouse.py).
WAREHOUSE_ENV = "EDUSTAT_WAREHOUSE"
DUCKDB_MEMORY_LIMIT = "512MB"
# The cap of the ingest's writer, which only appends rows: DuckDB fills whatever cap it is given,
# and the writer runs beside the ingest's two worker processes. National: the run's process
# peaked at 628 MB during the ingest under 512MB, 513 MB under 100MB, in the same time.
WRITER_MEMORY_LIMIT = "128MB"


# dbt's marts step runs after the data-quality step, when the run's process carries ~700 MB (GX,
# pandas, the definitions), so it gets a tighter cap than the staging step. At 4x national the
# marts step's dbt process (when dbt still ran as one; pipelines/dbt_runner.py) peaked at 666 MB
# under 512MB, 483-514 MB under 320MB and 449 MB under 256MB (the run's peak, 1,455 -> 1,269 MB
# at 320MB, sampled every 0.1 s); at national scale 450 -> 436 MB, in the same time (9.4-10.6 s
# standalone at 256MB, 9.9-11.2 s at 320MB).
MARTS_MEMORY_LIMIT = "256MB"

# The data-quality step's connections (pipelines/assets/quality.py): a thread copies the frames
# out of DuckDB while GX is imported and validates, so DuckDB's share adds to GX's. Whole national
# validations on copies of one warehouse, the step alone: peak 826 MB under 512MB, 730 under
# 256MB, 680 under 128MB, in 8.7-10.1 s (the copying, 2.9 -> 4.0 s, still hides behind GX's
# import). Whole cold national runs: the step's phase 1,135-1,145 -> 1,000-1,021 MB, its time
# 8.7-9.4 s either way; a resubmission's step 5.0-5.3 -> 5.2-5.6 s.
DQ_MEMORY_LIMIT = "128MB"


def duckdb_memory_limit(default: str = DUCKDB_MEMORY_LIMIT) -> str:
    """A connection's cap: the operator's EDUSTAT_DUCKDB_MEMORY_LIMIT for all, else `default`
    (DUCKDB_MEMORY_LIMIT, or a step's own such as MARTS_MEMORY_LIMIT)."""
    return os.environ.get(DUCKDB_MEMORY_LIMIT_ENV) or default


# Level of the runs' console log (pipelines/definitions.py); `edustat ui --verbose` sets DEBUG.
LOG_LEVEL_ENV = "EDUSTAT_LOG_LEVEL"

# Share of a sheet's rows that may be quarantined before the submission is held back
# (rule submission.defective_rows, docs/ARCHITECTURE.md "Acceptance policy").
DEFECTIVE_ROWS_SHARE_ENV = "EDUSTAT_DEFECTIVE_ROWS_SHARE"


def defective_rows_share() -> float:
    return float(os.environ.get(DEFECTIVE_ROWS_SHARE_ENV) or DEFECTIVE_ROWS_SHARE)


# The pseudonym key's file, when not the default `<EDUSTAT_HOME>.pseudonym.key` beside the home.
PSEUDONYM_KEY_FILE_ENV = "EDUSTAT_PSEUDONYM_KEY_FILE"


@dataclass(frozen=True)
class Home:
    """The runtime folder layout. Every path the pipeline writes is named here, once."""

    root: Path

    @classmethod
    def from_env(cls) -> Home:
        return cls(Path(os.environ.get("EDUSTAT_HOME", REPO_ROOT / "var")).resolve())

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def bench(self) -> Path:
        return self.root / "bench"

    @property
    def pseudonym_key_file(self) -> Path:
        """Outside the home on purpose (pipelines/ingest/pseudonym_key.py): a copy of the home,
        a published snapshot or a query never reaches it."""
        named = os.environ.get(PSEUDONYM_KEY_FILE_ENV)
        if named:
            return Path(named).resolve()
        return self.root.with_name(f"{self.root.name}.pseudonym.key")

    @property
    def legacy_pseudonym_key_file(self) -> Path:
        """Where the key used to live; moved to `pseudonym_key_file` on first use."""
        return self.root / "pseudonym.key"

    def ensure(self) -> Home:
        for p in (self.landing, self.published, self.reports, self.dagster_home, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        return self
