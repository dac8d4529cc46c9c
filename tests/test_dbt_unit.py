"""dbt unit tests (dbt_project/models/**/*unit_tests.yml): the submission status and the indicators.

They check SQL logic on hand-made rows (on time, late, missing, held back, rejected, previous
version current, corrected after the due date, extensions; ratios of sums, suppression, declared
measures), so they run here and not in the
pipeline's build (pipelines/assets/warehouse.py excludes unit tests). dbt reads the columns of a
model's inputs from a built warehouse to fill what a fixture leaves out: a copy of the session's
pipeline home's (dbt opens its warehouse for writing, and the other worker reads the shared one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from pipelines.executables import dbt_executable
from pipelines.settings import DBT_PROJECT_DIR


def test_dbt_unit_tests_pass(pipeline_home: Path, tmp_path: Path) -> None:
    warehouse = shutil.copy2(pipeline_home / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    env = {**os.environ, "EDUSTAT_WAREHOUSE": str(warehouse)}
    result = subprocess.run(
        [
            dbt_executable(),
            "test",
            "--select",
            "test_type:unit",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    # The selection found the tests (a typo in it would select nothing and pass).
    ran = re.search(r"Finished running (\d+) unit tests", result.stdout)
    assert ran and int(ran.group(1)) >= 8, result.stdout[-3000:]
