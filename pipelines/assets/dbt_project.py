"""The dbt project as dagster-dbt knows it (`DBT_PROJECT`), and its manifest.

dagster-dbt builds the dbt assets from target/manifest.json when pipelines/assets/warehouse.py is
imported, and the manifest is not committed. `make install` prepares it (`prepare`), and it is
prepared again when a file dbt parses is newer than it (`prepare_manifest`): on that import, by
`edustat run`, the tests, the bench and, under `dagster dev` (`edustat ui`), a load of the code
location after an edit.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.executables import dbt_executable
from pipelines.settings import DBT_PROJECT_DIR

PARTIAL_PARSE = "partial_parse.msgpack"

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


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < newest_input_mtime(
        project.project_dir
    )


def prepare(project: DbtProject) -> None:
    """`dbt parse` into a folder of its own, then the partial-parse file and the manifest moved
    into target/ whole (os.replace), the manifest last.

    dagster-dbt's preparer lets dbt write target/manifest.json in place, and under `dagster dev`
    on every load of the code location: a run that imported the assets meanwhile read half a
    manifest and failed (JSONDecodeError). Here a reader sees the old manifest or the new one,
    and two preparers at once each swap in a whole copy of the same parse. The project has no
    dbt packages, so there is no `dbt deps`."""
    target = project.manifest_path.parent
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".parse-") as aside:
        subprocess.run(
            [
                dbt_executable(), "parse", "--quiet",
                "--project-dir", str(project.project_dir),
                "--profiles-dir", str(project.profiles_dir),
                "--target-path", aside,
                "--log-path", aside,
            ],
            check=True,
        )  # fmt: skip
        for name in (PARTIAL_PARSE, project.manifest_path.name):
            os.replace(Path(aside) / name, target / name)


DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """The project's manifest, prepared first when it is missing or stale."""
    if manifest_is_stale(project):
        prepare(project)
    return project.manifest_path
