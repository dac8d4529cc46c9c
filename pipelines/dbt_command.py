"""Which dbt executable every part of the pipeline starts (STACK.md trap 7: the venv's own)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def dbt_executable() -> str:
    """The dbt next to this interpreter (the venv's), else the one on PATH."""
    sibling = Path(sys.executable).with_name("dbt")
    if sibling.exists():
        return str(sibling)
    found = shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt executable not found next to python or on PATH (make install)")
    return found
