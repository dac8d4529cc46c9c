"""The dbt project as dagster-dbt knows it (`DBT_PROJECT`), and its manifest.

dagster-dbt builds the dbt assets from target/manifest.json when pipelines/assets/warehouse.py is
imported, and the manifest is not committed. dagster-dbt prepares it (`dbt parse`, under its own
guard against concurrent updates): under `dagster dev` (`edustat ui`) on every load of the code
location (`prepare_if_dev`), and anywhere else (`edustat run`, tests, the bench) when a file dbt
parses is newer than the manifest (`prepare_manifest`). `make install` prepares it once too:

    dagster-dbt project prepare-and-package --file pipelines/assets/dbt_project.py
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.executables import dbt_executable
from pipelines.settings import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# What `dbt parse` reads; a change to any of these makes the manifest stale. indicators.yml is
# not among them: the models read its validated copy when they are compiled for a run
# (macros/indicators.sql), which every dbt step writes first.
_PARSED_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
_PARSED_DIRS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")


def newest_input_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _PARSED_FILES:
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for name in _PARSED_DIRS:
        root = project_dir / name
        if not root.exists():
            continue
        # Directories too: deleting a model changes its folder's mtime, not any file's.
        newest = max(newest, root.stat().st_mtime)
        for path in root.rglob("*"):
            newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject = DBT_PROJECT) -> bool:
    manifest = project.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < newest_input_mtime(
        project.project_dir
    )


def _venv_dbt_on_path() -> None:
    """dagster-dbt's preparer starts `dbt` from PATH: make it the venv's own (docs/STACK.md trap
    7), also when the venv is not activated (`.venv/bin/edustat ui`)."""
    venv_bin = str(Path(dbt_executable()).parent)
    path = os.environ.get("PATH", "")
    if venv_bin not in path.split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([venv_bin, path]) if path else venv_bin


def prepare_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """The project's manifest, prepared by dagster-dbt first when it is missing or stale."""
    if manifest_is_stale(project):
        _venv_dbt_on_path()
        project.preparer.prepare(project)
    return project.manifest_path


def prepare_if_dev(project: DbtProject = DBT_PROJECT) -> None:
    """`DbtProject.prepare_if_dev` with the venv's dbt: under `dagster dev` (`edustat ui`) the
    manifest is parsed again on every load of the code location."""
    if project.preparer and project.preparer.using_dagster_dev():
        _venv_dbt_on_path()
    project.prepare_if_dev()
