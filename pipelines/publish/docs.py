"""`dbt docs generate` against a published snapshot, so its data dictionary sits beside it.

Run against the snapshot (not the live warehouse) so catalog.json describes exactly the tables a
reader of this snapshot sees, and so no writer lock on the warehouse is needed. dbt gets its own
profiles dir, target path and log path in a temp folder: the build's `dbt_project/target/` (which
dagster-dbt reads its manifest from) is never touched, and a concurrent dbt run is not disturbed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pipelines.settings import DBT_PROJECT_DIR

# What a reader needs: index.html (+ the two JSON files it loads, served over HTTP) and
# static_index.html, which embeds both and also works when opened straight from disk.
DOC_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")
DOCS_TIMEOUT_S = 600


class DocsGenerationError(RuntimeError):
    pass


def dbt_executable() -> str:
    """The venv's dbt (beside this interpreter), else the one on PATH (STACK.md trap 7)."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise DocsGenerationError("dbt executable not found (expected beside the Python in .venv)")
    return found


def _profile_name(project_dir: Path) -> str:
    cfg = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    name = cfg.get("profile")
    if not isinstance(name, str) or not name:
        raise DocsGenerationError(f"{project_dir}/dbt_project.yml names no profile")
    return name


def generate_docs(
    db_path: Path,
    out_dir: Path,
    *,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
    log: Any = None,
) -> list[str]:
    """Write the dbt docs of `db_path` into `out_dir`; returns the file names written."""
    if not (dbt_project_dir / "dbt_project.yml").is_file():
        raise DocsGenerationError(f"no dbt project at {dbt_project_dir}")
    profile = _profile_name(dbt_project_dir)
    with tempfile.TemporaryDirectory(prefix="edustat-docs-") as tmp_s:
        tmp = Path(tmp_s)
        profiles = {
            profile: {
                "target": "snapshot",
                "outputs": {
                    "snapshot": {
                        "type": "duckdb",
                        "path": str(db_path),
                        "threads": 1,
                        # Read-only: the snapshot is not to be changed by documenting it.
                        "config_options": {"access_mode": "READ_ONLY"},
                    }
                },
            }
        }
        (tmp / "profiles.yml").write_text(yaml.safe_dump(profiles), encoding="utf-8")
        target = tmp / "target"
        cmd = [
            dbt_executable(),
            "docs",
            "generate",
            "--static",
            "--project-dir",
            str(dbt_project_dir),
            "--profiles-dir",
            str(tmp),
            "--profile",
            profile,
            "--target",
            "snapshot",
            "--target-path",
            str(target),
            "--log-path",
            str(tmp / "logs"),
            "--no-use-colors",
            "--quiet",
        ]
        proc = subprocess.run(
            cmd,
            cwd=dbt_project_dir,
            capture_output=True,
            text=True,
            timeout=DOCS_TIMEOUT_S,
            check=False,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise DocsGenerationError(f"dbt docs generate failed ({proc.returncode}):\n{tail}")
        out_dir.mkdir(parents=True, exist_ok=True)
        written: list[str] = []
        for fname in DOC_FILES:
            src = target / fname
            if src.is_file():
                shutil.copy2(src, out_dir / fname)
                written.append(fname)
        missing = {"index.html", "manifest.json", "catalog.json"} - set(written)
        if missing:
            raise DocsGenerationError(f"dbt docs generate did not write {sorted(missing)}")
        if log is not None:
            log.info(f"dbt docs for {db_path.parent.name}: {', '.join(written)}")
        return written
