"""dbt in the run's process (pipelines/dbt_runner.py): one parse per process while the project's
files are unchanged, a new one when a model changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipelines import dbt_runner
from pipelines.settings import DBT_PROJECT_DIR


def test_the_project_is_parsed_once_until_a_model_changes(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    target = tmp_path / "target"
    target.mkdir()
    prepared = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    if prepared.exists():
        shutil.copy2(prepared, target)

    first = dbt_runner.parsed_manifest(project, target)
    assert dbt_runner.parsed_manifest(project, target) is first
    assert "model.edustat.stg_ref__regions" in first.nodes

    model = project / "models" / "staging" / "reference" / "stg_ref__regions.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    later = model.stat().st_mtime + 2
    os.utime(model, (later, later))
    second = dbt_runner.parsed_manifest(project, target)
    assert second is not first
    assert "-- changed" in second.nodes["model.edustat.stg_ref__regions"].raw_code
