"""Which code the benchmark measures, and whether it stayed the same while being measured.

The repository is shared: other engineers commit and edit while a bench runs, and every measured
process imports the code as it is at its own start. Two modes:

- `head` (default): the committed HEAD, exported once (`git archive`) to
  EDUSTAT_HOME/bench/src/<commit>/ with its dbt manifest parsed, and put first on PYTHONPATH of
  every measured process. All runs measure exactly that commit, whatever happens in the tree.
- `worktree`: the checkout as it is, uncommitted edits included. The tree's state (HEAD plus a
  hash of `git status` and `git diff`) is recorded before each measured process, and a change is
  reported, because the numbers then mix versions.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import REPO_ROOT

MODES = ("head", "worktree")
_READY = ".bench-ready"


@dataclass(frozen=True)
class Code:
    mode: str
    root: Path  # the tree the measured processes import `pipelines` from
    commit: str | None

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment of a measured process: this code first on PYTHONPATH."""
        env = dict(os.environ if base is None else base)
        if self.mode == "head":
            parts = [str(self.root), *filter(None, [env.get("PYTHONPATH")])]
            env["PYTHONPATH"] = os.pathsep.join(parts)
        return env


def _git(*args: str, cwd: Path = REPO_ROOT) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return out.stdout.strip()


def tree_state() -> str:
    """HEAD and a digest of uncommitted changes: equal states mean the same code."""
    digest = hashlib.sha256()
    digest.update(_git("status", "--porcelain").encode())
    digest.update(_git("diff", "HEAD").encode())
    return f"{_git('rev-parse', 'HEAD')}+{digest.hexdigest()[:12]}"


def prepare(mode: str, bench_root: Path, log: Path | None = None) -> Code:
    if mode == "worktree":
        return Code("worktree", REPO_ROOT, _git("rev-parse", "HEAD") or None)
    if mode != "head":
        raise ValueError(f"code mode must be one of {MODES}, not {mode!r}")
    commit = _git("rev-parse", "HEAD")
    if not commit:
        raise RuntimeError(f"{REPO_ROOT} is not a git checkout: use --code worktree")
    root = bench_root / "src" / commit[:12]
    if (root / _READY).exists():
        return Code("head", root, commit)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    code = Code("head", root, commit)
    # The dbt manifest is not committed: parse it now, not inside the first measured run.
    warm = "from pipelines.assets.dbt_project import prepare_manifest; prepare_manifest()"
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        subprocess.run(
            [sys.executable, "-c", warm],
            cwd=root,
            env=code.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    finally:
        if log and not isinstance(out, int):
            out.close()
    (root / _READY).write_text(commit + "\n", encoding="utf-8")
    return code
