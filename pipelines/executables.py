"""The command-line tools the pipeline starts (dbt, dagster): the venv's own, never another
installation's (docs/STACK.md trap 7)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def venv_executable(name: str) -> str:
    """`name` next to this interpreter (the venv's), else the one on PATH."""
    sibling = Path(sys.executable).with_name(name)
    if sibling.exists():
        return str(sibling)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found next to python or on PATH (make install)")
    return found


def dbt_executable() -> str:
    return venv_executable("dbt")
