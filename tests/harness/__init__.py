"""Test-only launchers: the `edustat` CLI in this process with a production function wrapped.

`edustat run` executes its Dagster runs in its own process (pipelines/cli/run.py `execute`,
in_process_executor in pipelines/definitions.py), so a wrapper installed before the CLI starts
is in force in every step. Tests start them as `python -m harness.<name> …` with tests/ on
PYTHONPATH (`command` below).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent


def command(module: str, *args: str) -> list[str]:
    """argv that runs `harness.<module>` with this interpreter."""
    return [sys.executable, "-m", f"harness.{module}", *args]


def env(base: dict[str, str]) -> dict[str, str]:
    """`base` with tests/ first on PYTHONPATH (the repository stays importable after it)."""
    parts = [str(TESTS_DIR), *filter(None, [base.get("PYTHONPATH")])]
    return {**base, "PYTHONPATH": os.pathsep.join(parts)}


def edustat_main(args: list[str]) -> None:
    from pipelines.cli.main import app

    app(args, prog_name="edustat")
