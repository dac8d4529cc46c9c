"""`dbt docs generate` against a published snapshot, so its data dictionary sits beside it.

Run against the snapshot (not the live warehouse) so catalog.json describes exactly the tables a
reader of this snapshot sees, and so no writer lock on the warehouse is needed. dbt gets its own
profiles dir, target path and log path: the build's target folders (which dagster-dbt reads its
manifest from) are never touched, and a concurrent dbt run is not disturbed.

Speed: a full `dbt parse` of the project is most of the cost (measured 23 s vs 9 s with a
partial-parse file, under load). dbt only reuses its partial-parse file when the profile is
unchanged, and the profile names the database path, which differs per snapshot. So with a
`work_dir` the profile points at a fixed path, `<work_dir>/db/warehouse.duckdb`, a symlink
re-pointed at each snapshot, and the target folder (with partial_parse.msgpack) is kept there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from pipelines.settings import DBT_PROJECT_DIR

# What a reader needs: index.html (+ the two JSON files it loads, served over HTTP) and
# static_index.html, which embeds both and also works when opened straight from disk.
DOC_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")
REQUIRED = ("index.html", "manifest.json", "catalog.json")
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


@contextlib.contextmanager
def _work_dir(work_dir: Path | None) -> Iterator[Path]:
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="edustat-docs-") as tmp:
            yield Path(tmp)
    else:
        work_dir.mkdir(parents=True, exist_ok=True)
        yield work_dir


def _point_at(link: Path, target: Path) -> None:
    """Re-point `link` at `target` (atomically: a temp link renamed over the old one)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def generate_docs(
    db_path: Path,
    out_dir: Path,
    *,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
    work_dir: Path | None = None,
    log: Any = None,
) -> list[str]:
    """Write the dbt docs of `db_path` into `out_dir`; returns the file names written.

    `work_dir`: a folder kept between calls (profile, target with dbt's partial-parse file); the
    caller serialises calls that share one. None: a temp folder and a full parse every time.
    """
    if not (dbt_project_dir / "dbt_project.yml").is_file():
        raise DocsGenerationError(f"no dbt project at {dbt_project_dir}")
    profile = _profile_name(dbt_project_dir)
    with _work_dir(work_dir) as work:
        # The file must be called warehouse.duckdb: dbt-duckdb names the database after the
        # file's stem, and the manifest's nodes say `warehouse`.
        stable_db = work / "db" / db_path.name
        _point_at(stable_db, db_path.resolve())
        profiles = {
            profile: {
                "target": "snapshot",
                "outputs": {
                    "snapshot": {
                        "type": "duckdb",
                        "path": str(stable_db),
                        "threads": 1,
                        # Read-only: the snapshot is not to be changed by documenting it.
                        "config_options": {"access_mode": "READ_ONLY"},
                    }
                },
            }
        }
        (work / "profiles.yml").write_text(yaml.safe_dump(profiles), encoding="utf-8")
        target = work / "target"
        for fname in DOC_FILES:  # never copy a previous snapshot's docs by mistake
            with contextlib.suppress(FileNotFoundError):
                (target / fname).unlink()
        cmd = [
            dbt_executable(),
            "docs",
            "generate",
            "--static",
            "--project-dir",
            str(dbt_project_dir),
            "--profiles-dir",
            str(work),
            "--profile",
            profile,
            "--target",
            "snapshot",
            "--target-path",
            str(target),
            "--log-path",
            str(work / "logs"),
            "--no-use-colors",
            "--quiet",
        ]
        try:
            proc = subprocess.run(
                cmd,
                cwd=dbt_project_dir,
                capture_output=True,
                text=True,
                timeout=DOCS_TIMEOUT_S,
                check=False,
            )
        finally:
            # The link must not keep naming a staging file that is about to be renamed/removed.
            with contextlib.suppress(FileNotFoundError):
                stable_db.unlink()
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
        missing = set(REQUIRED) - set(written)
        if missing:
            raise DocsGenerationError(f"dbt docs generate did not write {sorted(missing)}")
        if log is not None:
            log.info(f"dbt docs for {db_path.parent.name}: {', '.join(written)}")
        return written
